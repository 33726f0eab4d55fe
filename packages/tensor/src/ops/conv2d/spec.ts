import { TesseraError, checkInt, fmtShape } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkSpecOp, checkWeightNames } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';
import { WINDOW_KEYS, pair, resolveWindow, type WindowSpec } from '../window.js';
import { checkBool } from '../../options.js';
import { EPILOGUE_KEYS, checkEpilogue, type EpilogueSpec } from '../epilogue.js';

/**
 * 2-D cross-correlation (eq. 1.3), or true convolution with `flip: true`.
 * Weights: `weight` [Cout, Cin/groups, kh, kw], optional `bias` [Cout] and
 * `scale` + `shift` [Cout]; `activation` runs on each output after them
 * (the fused epilogue, ops/epilogue.ts).
 * Output channel co reads the input channels of its group only.
 */
export interface Conv2dSpec extends WindowSpec, EpilogueSpec {
  readonly op: 'conv2d';
  readonly groups?: number;
  readonly flip?: boolean;
}

export const CONV2D_WEIGHTS = ['weight', 'bias', 'scale', 'shift', 'postScale', 'postShift'] as const;
/** Every key a conv2d spec may have; the epilogue's are added by fuseLayers. */
export const CONV2D_KEYS: readonly string[] = ['op', ...WINDOW_KEYS, 'groups', 'flip', ...EPILOGUE_KEYS];

export function conv2dGeometry(spec: Conv2dSpec, input: Shape): Geometry {
  const [, , h, w] = expectRank4(input, 'conv2d input');
  return resolveWindow(spec, h, w, 'conv2d');
}

export function conv2dOutputShape(spec: Conv2dSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  if (inputs.length !== 1) throw new TesseraError('BAD_ARGUMENT', `conv2d takes 1 input, got ${inputs.length}`);
  const [n, cin] = expectRank4(inputs[0]!, 'conv2d input');
  const groups = checkInt('conv2d groups', spec.groups ?? 1, 1);
  checkBool('conv2d flip', spec.flip);
  const ws = weights.weight;
  if (!ws) throw new TesseraError('BAD_ARGUMENT', 'conv2d needs a weight tensor [Cout, Cin/groups, kh, kw]');
  const [cout, cpg, kh, kw] = expectRank4(ws, 'conv2d weight');
  const [skh, skw] = pair('conv2d kernel', spec.kernel, 1, 1);
  if (kh !== skh || kw !== skw) {
    throw new TesseraError('SHAPE_MISMATCH', `conv2d weight ${fmtShape(ws)} has a ${kh}×${kw} kernel, spec says ${skh}×${skw}`, { weight: ws });
  }
  if (cin % groups !== 0 || cout % groups !== 0) {
    throw new TesseraError('SHAPE_MISMATCH', `conv2d groups ${groups} must divide input channels ${cin} and output channels ${cout}`, { groups, cin, cout });
  }
  if (cpg !== cin / groups) {
    throw new TesseraError('SHAPE_MISMATCH',
      `conv2d weight ${fmtShape(ws)} expects ${cpg * groups} input channels (${cpg} per group × ${groups} groups), input ${fmtShape(inputs[0]!)} has ${cin}`,
      { weight: ws, input: inputs[0] });
  }
  const bs = weights.bias;
  if (bs && (bs.length !== 1 || bs[0] !== cout)) {
    throw new TesseraError('SHAPE_MISMATCH', `conv2d bias ${fmtShape(bs)} must be [${cout}]`, { bias: bs });
  }
  checkEpilogue('conv2d', spec, weights, cout);
  const g = conv2dGeometry(spec, inputs[0]!);
  return [n, cout, g.outH, g.outW];
}

/**
 * conv2dOutputShape plus what a kernel must know before trusting its
 * arguments: the spec is a conv2d spec, and no weight name is misspelt (a
 * `biases` would otherwise be silently ignored).
 */
export function conv2dCheckedOutputShape(spec: Conv2dSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['conv2d'], 'conv2d', CONV2D_KEYS);
  checkWeightNames('conv2d', weights, CONV2D_WEIGHTS);
  return conv2dOutputShape(spec, inputs, weights);
}

/**
 * Input rows (or columns) [lo, hi) that outputs [o0, o1) really read along one
 * axis: taps o·s − pad + k·d inside [0, size). Tighter than the window span
 * where dilation steps over the first or last rows; null when every tap of
 * these outputs falls in the padding.
 */
function tapSpan(o0: number, o1: number, kernel: number, s: number, d: number, pad: number, size: number): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (let k = 0; k < kernel; k++) {
    const off = k * d - pad;
    const first = Math.max(o0, Math.ceil(-off / s)); // first output whose tap k is ≥ 0
    if (first < o1 && first * s + off < size) lo = Math.min(lo, first * s + off);
    const last = Math.min(o1 - 1, Math.floor((size - 1 - off) / s)); // last output whose tap k is < size
    if (last >= o0 && last * s + off >= 0) hi = Math.max(hi, last * s + off + 1);
  }
  return lo < hi ? [lo, hi] : null;
}

/**
 * The input rectangle an output region reads: exactly the rows and columns
 * its taps hit (see tapSpan), and the input channels of its groups. Null when
 * the region sees only padding (its outputs are the bias).
 */
export function conv2dInputRegion(spec: Conv2dSpec, out: Region, inputs: readonly Shape[], outShape: Shape): Region | null {
  const g = conv2dGeometry(spec, inputs[0]!);
  const ys = tapSpan(out.y0, out.y1, g.kh, g.sh, g.dh, g.pt, g.inH);
  const xs = tapSpan(out.x0, out.x1, g.kw, g.sw, g.dw, g.pl, g.inW);
  if (!ys || !xs) return null;
  const r = { n0: out.n0, n1: out.n1, y0: ys[0], y1: ys[1], x0: xs[0], x1: xs[1] };
  const cin = inputs[0]![1]!, cout = outShape[1]!;
  const groups = spec.groups ?? 1;
  if (groups === 1) return { ...r, c0: 0, c1: cin };
  const opg = cout / groups, ipg = cin / groups;
  const g0 = Math.floor(out.c0 / opg), g1 = Math.floor((out.c1 - 1) / opg) + 1;
  return { ...r, c0: g0 * ipg, c1: g1 * ipg };
}

export function conv2dFlops(spec: Conv2dSpec, inputs: readonly Shape[], outShape: Shape): number {
  const g = conv2dGeometry(spec, inputs[0]!);
  const cin = inputs[0]![1]!, groups = spec.groups ?? 1;
  const [n, cout, oh, ow] = outShape as [number, number, number, number];
  return 2 * n * cout * oh * ow * (cin / groups) * g.kh * g.kw;
}
