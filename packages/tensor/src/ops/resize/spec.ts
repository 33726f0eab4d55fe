import { TesseraError, checkInt } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkInputCount, checkSpecOp, checkWeightNames } from '../invoke.js';
import { checkBool } from '../../options.js';
import type { WeightShapes } from '../op.js';

/**
 * Bilinear resize of H×W to height×width, as TensorFlow's resizeBilinear:
 *   scale  = alignCorners && out > 1 ? (in − 1)/(out − 1) : in/out
 *   source = halfPixelCenters ? (o + 0.5)·scale − 0.5 : o·scale
 *   lower  = max(floor(source), 0), upper = min(ceil(source), in − 1),
 *   lerp   = source − floor(source)
 *   top    = tl + (tr − tl)·xlerp, bottom = bl + (br − bl)·xlerp,
 *   out    = top + (bottom − top)·ylerp
 * Defaults are TF's (both flags false), which the face nets use. Both flags
 * together is an error, as in TF. The arithmetic is double precision (TF
 * uses float32 for the scale and lerps; tfjs' CPU backend uses doubles).
 */
export interface ResizeSpec {
  readonly op: 'resize';
  readonly height: number;
  readonly width: number;
  readonly alignCorners?: boolean;
  readonly halfPixelCenters?: boolean;
}

const RESIZE_KEYS: readonly string[] = ['op', 'height', 'width', 'alignCorners', 'halfPixelCenters'];

export interface ResizeMode { height: number; width: number; alignCorners: boolean; halfPixelCenters: boolean }

export function resolveResize(spec: ResizeSpec): ResizeMode {
  checkSpecOp(spec, ['resize'], 'resize', RESIZE_KEYS);
  const height = checkInt('resize height', spec.height, 1);
  const width = checkInt('resize width', spec.width, 1);
  const alignCorners = checkBool('resize alignCorners', spec.alignCorners) ?? false;
  const halfPixelCenters = checkBool('resize halfPixelCenters', spec.halfPixelCenters) ?? false;
  if (alignCorners && halfPixelCenters) {
    throw new TesseraError('BAD_ARGUMENT', 'resize: halfPixelCenters requires alignCorners false (as in TensorFlow); got both true', { alignCorners, halfPixelCenters });
  }
  return { height, width, alignCorners, halfPixelCenters };
}

export function resizeScale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/** Source cells of output index o along one axis: [lower, upper, lerp]. */
export function resizeSource(o: number, scale: number, halfPixelCenters: boolean, inSize: number): [number, number, number] {
  const s = halfPixelCenters ? (o + 0.5) * scale - 0.5 : o * scale;
  const f = Math.floor(s);
  // max(0, …) on both also turns ceil's −0 into 0.
  const lower = Math.min(Math.max(f, 0), inSize - 1);
  const upper = Math.max(0, Math.min(Math.ceil(s), inSize - 1));
  return [lower, upper, s - f];
}

export function resizeOutputShape(spec: ResizeSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  const m = resolveResize(spec);
  checkInputCount('resize', inputs, 1);
  checkWeightNames('resize', weights, []);
  const [n, c] = expectRank4(inputs[0]!, 'resize input');
  return [n, c, m.height, m.width];
}

/**
 * Exactly the source rows and columns read: lower and upper are
 * non-decreasing in the output index, so the box runs from the first
 * output's lower cell to the last output's upper cell. (upper ≠ lower only
 * when lerp > 0, so every cell in the box's edges really contributes.)
 */
export function resizeInputRegion(spec: ResizeSpec, out: Region, inputs: readonly Shape[]): Region {
  const m = resolveResize(spec);
  const [, , h, w] = expectRank4(inputs[0]!, 'resize input');
  const sy = resizeScale(h, m.height, m.alignCorners), sx = resizeScale(w, m.width, m.alignCorners);
  return {
    n0: out.n0, n1: out.n1, c0: out.c0, c1: out.c1,
    y0: resizeSource(out.y0, sy, m.halfPixelCenters, h)[0], y1: resizeSource(out.y1 - 1, sy, m.halfPixelCenters, h)[1] + 1,
    x0: resizeSource(out.x0, sx, m.halfPixelCenters, w)[0], x1: resizeSource(out.x1 - 1, sx, m.halfPixelCenters, w)[1] + 1,
  };
}

/** Three lerps (subtract, multiply, add) per output element. */
export function resizeFlops(_spec: ResizeSpec, _inputs: readonly Shape[], outShape: Shape): number {
  let n = 1;
  for (const d of outShape) n *= d;
  return 9 * n;
}
