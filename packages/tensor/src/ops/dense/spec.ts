import { TesseraError, fmtShape } from '../../errors.js';
import type { Region } from '../../region.js';
import { dims4, type Shape } from '../../shape.js';
import { checkInputCount, checkSpecOp, checkVector, checkWeightNames } from '../invoke.js';
import type { WeightShapes } from '../op.js';
import { EPILOGUE_KEYS, checkEpilogue, type EpilogueSpec } from '../epilogue.js';

/**
 * Fully connected layer out = x·W (+ bias), W laid out [K, F] as TF's
 * matMul(x, W). Input [N, K], or [N, C, H, W] flattened in NCHW order to
 * K = C·H·W (k = (c·H + y)·W + x; this equals TF's NHWC flatten when H = W = 1,
 * which is how the face nets use it). Output [N, F] (rank 2).
 * Weights: `weight` [K, F], optional `bias` [F] and `scale` + `shift` [F];
 * `activation` runs on each output after them (the fused epilogue,
 * ops/epilogue.ts). Each output sums k = 0 … K−1 in order, then the epilogue.
 */
export interface DenseSpec extends EpilogueSpec { readonly op: 'dense' }

export const DENSE_WEIGHTS = ['weight', 'bias', 'scale', 'shift'] as const;
const DENSE_KEYS: readonly string[] = ['op', ...EPILOGUE_KEYS];

export function denseOutputShape(spec: DenseSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['dense'], 'dense', DENSE_KEYS);
  checkInputCount('dense', inputs, 1);
  checkWeightNames('dense', weights, DENSE_WEIGHTS);
  const [n, c, h, w] = dims4(inputs[0]!, 'dense input');
  const k = c * h * w;
  const ws = weights.weight;
  if (!ws) throw new TesseraError('BAD_ARGUMENT', `dense needs a weight tensor [${k}, F]`);
  if (ws.length !== 2) {
    throw new TesseraError('SHAPE_MISMATCH', `dense weight must have rank 2 [K, F], got ${fmtShape(ws)}`, { weight: ws });
  }
  if (ws[0] !== k) {
    throw new TesseraError('SHAPE_MISMATCH',
      `dense weight ${fmtShape(ws)} expects K = ${ws[0]} inputs, input ${fmtShape(inputs[0]!)} has K = ${k}${inputs[0]!.length === 4 ? ' (C·H·W)' : ''}`,
      { weight: ws, input: inputs[0], k });
  }
  const f = ws[1]!;
  if (weights.bias) checkVector('dense bias', weights.bias, f, `one per output of weight ${fmtShape(ws)}`);
  checkEpilogue('dense', spec, weights, f);
  return [n, f];
}

/** Every output of a row reads that whole input row. */
export function denseInputRegion(_spec: DenseSpec, out: Region, inputs: readonly Shape[]): Region {
  const [, c, h, w] = dims4(inputs[0]!, 'dense input');
  return { n0: out.n0, n1: out.n1, c0: 0, c1: c, y0: 0, y1: h, x0: 0, x1: w };
}

/** A multiply-add per weight per row, plus the bias add. */
export function denseFlops(_spec: DenseSpec, inputs: readonly Shape[], outShape: Shape): number {
  const [n, c, h, w] = dims4(inputs[0]!, 'dense input');
  return n * outShape[1]! * (2 * c * h * w + 1);
}
