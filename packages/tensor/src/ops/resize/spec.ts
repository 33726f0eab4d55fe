import { TesseraError, checkInt } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkInputCount, checkSpecOp, checkWeightNames } from '../invoke.js';
import { checkBool, checkEnum } from '../../options.js';
import type { WeightShapes } from '../op.js';

/**
 * Resize of H×W to height×width: nearest neighbour (ONNX's modes, see
 * nearestSource) or bilinear, as TensorFlow's resizeBilinear:
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
  /** 'bilinear' (default) or 'nearest' (see nearestSource). */
  readonly mode?: ResizeInterpolation;
  /** Bilinear only. */
  readonly alignCorners?: boolean;
  /** Bilinear only. */
  readonly halfPixelCenters?: boolean;
  /** Nearest only: how an output index maps to an input coordinate (default 'asymmetric'). */
  readonly coordinates?: NearestCoordinates;
  /** Nearest only: how that coordinate rounds to a cell (default 'round_prefer_floor'). */
  readonly nearestMode?: NearestRounding;
}

export type ResizeInterpolation = 'bilinear' | 'nearest';
export type NearestCoordinates = 'asymmetric' | 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'tf_half_pixel_for_nn';
export type NearestRounding = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';
export const RESIZE_INTERPOLATIONS: readonly ResizeInterpolation[] = ['bilinear', 'nearest'];
export const NEAREST_COORDINATES: readonly NearestCoordinates[] = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'];
export const NEAREST_ROUNDINGS: readonly NearestRounding[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

const RESIZE_KEYS: readonly string[] = ['op', 'height', 'width', 'mode', 'alignCorners', 'halfPixelCenters', 'coordinates', 'nearestMode'];

export interface ResizeMode {
  height: number; width: number; mode: ResizeInterpolation; alignCorners: boolean; halfPixelCenters: boolean;
  coordinates: NearestCoordinates; nearestMode: NearestRounding;
}

export function resolveResize(spec: ResizeSpec): ResizeMode {
  checkSpecOp(spec, ['resize'], 'resize', RESIZE_KEYS);
  const height = checkInt('resize height', spec.height, 1);
  const width = checkInt('resize width', spec.width, 1);
  const mode = checkEnum('resize mode', spec.mode, RESIZE_INTERPOLATIONS) ?? 'bilinear';
  const alignCorners = checkBool('resize alignCorners', spec.alignCorners) ?? false;
  const halfPixelCenters = checkBool('resize halfPixelCenters', spec.halfPixelCenters) ?? false;
  const coordinates = checkEnum('resize coordinates', spec.coordinates, NEAREST_COORDINATES) ?? 'asymmetric';
  const nearestMode = checkEnum('resize nearestMode', spec.nearestMode, NEAREST_ROUNDINGS) ?? 'round_prefer_floor';
  if (mode === 'bilinear' && (spec.coordinates !== undefined || spec.nearestMode !== undefined)) {
    throw new TesseraError('BAD_ARGUMENT', `resize: coordinates and nearestMode are for mode 'nearest'; bilinear uses alignCorners/halfPixelCenters`, { coordinates: spec.coordinates, nearestMode: spec.nearestMode });
  }
  if (mode === 'nearest' && (spec.alignCorners !== undefined || spec.halfPixelCenters !== undefined)) {
    throw new TesseraError('BAD_ARGUMENT', `resize: alignCorners and halfPixelCenters are for mode 'bilinear'; nearest uses coordinates ('align_corners', 'half_pixel', …)`, { alignCorners: spec.alignCorners, halfPixelCenters: spec.halfPixelCenters });
  }
  if (alignCorners && halfPixelCenters) {
    throw new TesseraError('BAD_ARGUMENT', 'resize: halfPixelCenters requires alignCorners false (as in TensorFlow); got both true', { alignCorners, halfPixelCenters });
  }
  return { height, width, mode, alignCorners, halfPixelCenters, coordinates, nearestMode };
}

/**
 * The input cell of output index o along one axis in nearest mode, as ONNX
 * defines it and onnxruntime computes it, in float32 (the arithmetic
 * decides which cell a tie at .5 lands on):
 *   scale = out/in
 *   asymmetric            x = o/scale
 *   half_pixel            x = (o + 0.5)/scale − 0.5
 *   pytorch_half_pixel    as half_pixel, x = 0 when out = 1
 *   tf_half_pixel_for_nn  x = (o + 0.5)/scale
 *   align_corners         x = o·(in − 1)/(out − 1), x = 0 when out = 1
 * rounded by `rounding` (round_prefer_floor: a tie goes down; round_prefer_ceil:
 * half away from zero; floor; ceil) and clamped to [0, in − 1].
 */
export function nearestSource(o: number, inSize: number, outSize: number, coordinates: NearestCoordinates, rounding: NearestRounding): number {
  const f = Math.fround;
  const scale = f(outSize / inSize);
  let x: number;
  switch (coordinates) {
    case 'asymmetric': x = f(o / scale); break;
    case 'half_pixel': x = f(f(f(o + 0.5) / scale) - 0.5); break;
    case 'pytorch_half_pixel': x = outSize > 1 ? f(f(f(o + 0.5) / scale) - 0.5) : 0; break;
    case 'tf_half_pixel_for_nn': x = f(f(o + 0.5) / scale); break;
    case 'align_corners': x = outSize === 1 ? 0 : f(f(o * (inSize - 1)) / (outSize - 1)); break;
  }
  let i: number;
  switch (rounding) {
    case 'round_prefer_floor': i = x === Math.trunc(x) + 0.5 ? Math.floor(x) : roundHalfAway(x); break;
    case 'round_prefer_ceil': i = roundHalfAway(x); break;
    case 'floor': i = Math.floor(x); break;
    case 'ceil': i = Math.ceil(x); break;
  }
  return Math.min(Math.max(i, 0), inSize - 1);
}

/** C's round(): halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
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
  if (m.mode === 'nearest') {
    // nearestSource is non-decreasing in o (each step is monotonic): the first and last outputs bound the box.
    const ny = (o: number): number => nearestSource(o, h, m.height, m.coordinates, m.nearestMode);
    const nx = (o: number): number => nearestSource(o, w, m.width, m.coordinates, m.nearestMode);
    return { n0: out.n0, n1: out.n1, c0: out.c0, c1: out.c1, y0: ny(out.y0), y1: ny(out.y1 - 1) + 1, x0: nx(out.x0), x1: nx(out.x1 - 1) + 1 };
  }
  const sy = resizeScale(h, m.height, m.alignCorners), sx = resizeScale(w, m.width, m.alignCorners);
  return {
    n0: out.n0, n1: out.n1, c0: out.c0, c1: out.c1,
    y0: resizeSource(out.y0, sy, m.halfPixelCenters, h)[0], y1: resizeSource(out.y1 - 1, sy, m.halfPixelCenters, h)[1] + 1,
    x0: resizeSource(out.x0, sx, m.halfPixelCenters, w)[0], x1: resizeSource(out.x1 - 1, sx, m.halfPixelCenters, w)[1] + 1,
  };
}

/** Three lerps (subtract, multiply, add) per output element; nearest is a copy. */
export function resizeFlops(spec: ResizeSpec, _inputs: readonly Shape[], outShape: Shape): number {
  let n = 1;
  for (const d of outShape) n *= d;
  return spec.mode === 'nearest' ? 0 : 9 * n;
}
