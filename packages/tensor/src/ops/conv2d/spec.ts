import { TesseraError, checkInt, fmtShape } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkSpecOp, checkWeightNames } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';
import { pair, resolveWindow, windowInputRegion, type WindowSpec } from '../window.js';

/**
 * 2-D cross-correlation (eq. 1.3), or true convolution with `flip: true`.
 * Weights: `weight` [Cout, Cin/groups, kh, kw], optional `bias` [Cout].
 * Output channel co reads the input channels of its group only.
 */
export interface Conv2dSpec extends WindowSpec {
  readonly op: 'conv2d';
  readonly groups?: number;
  readonly flip?: boolean;
}

export function conv2dGeometry(spec: Conv2dSpec, input: Shape): Geometry {
  const [, , h, w] = expectRank4(input, 'conv2d input');
  return resolveWindow(spec, h, w, 'conv2d');
}

export function conv2dOutputShape(spec: Conv2dSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  if (inputs.length !== 1) throw new TesseraError('BAD_ARGUMENT', `conv2d takes 1 input, got ${inputs.length}`);
  const [n, cin] = expectRank4(inputs[0]!, 'conv2d input');
  const groups = checkInt('conv2d groups', spec.groups ?? 1, 1);
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
  const g = conv2dGeometry(spec, inputs[0]!);
  return [n, cout, g.outH, g.outW];
}

/**
 * conv2dOutputShape plus what a kernel must know before trusting its
 * arguments: the spec is a conv2d spec, and no weight name is misspelt (a
 * `biases` would otherwise be silently ignored).
 */
export function conv2dCheckedOutputShape(spec: Conv2dSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['conv2d'], 'conv2d');
  checkWeightNames('conv2d', weights, ['weight', 'bias']);
  return conv2dOutputShape(spec, inputs, weights);
}

export function conv2dInputRegion(spec: Conv2dSpec, out: Region, inputs: readonly Shape[], outShape: Shape): Region {
  const g = conv2dGeometry(spec, inputs[0]!);
  const r = windowInputRegion(g, out);
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
