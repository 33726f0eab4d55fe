import { TesseraError, fmtShape } from '../../errors.js';
import type { Region } from '../../region.js';
import { dims4, type Shape } from '../../shape.js';
import { checkEnum } from '../../options.js';
import { checkInputCount, checkSpecOp, checkWeightNames, identityWindow } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/**
 * a ∘ b element-wise for ∘ in add, sub, mul, div, with numpy/ONNX
 * broadcasting between two computed tensors of one rank (4 or 2): along each
 * axis the sizes are equal or one of them is 1 (per-channel [N, C, 1, 1],
 * scalar [1, 1, 1, 1], or any other such mix). One float32 operation per
 * element, rounded once (the float64 reference rounds to the same bits).
 */
export type BinaryFn = 'add' | 'sub' | 'mul' | 'div';
export const BINARY_FNS: readonly BinaryFn[] = ['add', 'sub', 'mul', 'div'];
export interface BinarySpec { readonly op: 'binary'; readonly fn: BinaryFn }

const KEYS: readonly string[] = ['op', 'fn'];

export function binaryOutputShape(spec: BinarySpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['binary'], 'binary', KEYS);
  if (checkEnum('binary fn', spec.fn, BINARY_FNS) === undefined) throw new TesseraError('BAD_ARGUMENT', `binary fn is required (${BINARY_FNS.join(', ')})`);
  checkInputCount('binary', inputs, 2);
  checkWeightNames('binary', weights, []);
  const [a, b] = inputs as [Shape, Shape];
  dims4(a, 'binary input 0');
  dims4(b, 'binary input 1');
  if (a.length !== b.length || a.some((d, i) => d !== b[i] && d !== 1 && b[i] !== 1)) {
    throw new TesseraError('SHAPE_MISMATCH', `binary ${spec.fn}: inputs ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (each axis equal or 1, one rank)`, { a, b });
  }
  return a.map((d, i) => Math.max(d, b[i]!));
}

/** An input reads the output's own positions, and only position 0 along an axis it broadcasts (size 1). */
export function binaryInputRegion(out: Region, input: Shape): Region {
  const [n, c, h, w] = dims4(input, 'binary input');
  return {
    n0: n === 1 ? 0 : out.n0, n1: n === 1 ? 1 : out.n1,
    c0: c === 1 ? 0 : out.c0, c1: c === 1 ? 1 : out.c1,
    y0: h === 1 ? 0 : out.y0, y1: h === 1 ? 1 : out.y1,
    x0: w === 1 ? 0 : out.x0, x1: w === 1 ? 1 : out.x1,
  };
}

export function binaryWindow(_spec: BinarySpec, inputs: readonly Shape[]): Geometry {
  const [, , h, w] = dims4(inputs[0]!, 'binary input');
  return identityWindow(h, w);
}

/** One operation per output element. */
export function binaryFlops(_spec: BinarySpec, _inputs: readonly Shape[], outShape: Shape): number {
  return outShape.reduce((p, d) => p * d, 1);
}
