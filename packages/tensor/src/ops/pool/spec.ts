import { TesseraError } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkInputCount, checkSpecOp, checkWeightNames } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';
import { WINDOW_KEYS, resolveWindow, type WindowSpec } from '../window.js';

/**
 * Windowed pooling. Stride defaults to the kernel size. Padding follows
 * TensorFlow: padded cells are not values, so max ignores them, avg divides
 * by the number of real cells, l2 = sqrt(sum of squares of real cells).
 * A window made only of padding has no value and is rejected.
 */
export type PoolOp = 'maxPool' | 'avgPool' | 'l2Pool';
export type Pool2dSpec = WindowSpec & { readonly op: PoolOp };

/** Max or mean over all of H×W per channel: output [N, C, 1, 1]. */
export type GlobalPoolOp = 'globalAvgPool' | 'globalMaxPool';
export interface GlobalPoolSpec { readonly op: GlobalPoolOp }

export const POOL_OPS: readonly PoolOp[] = ['maxPool', 'avgPool', 'l2Pool'];
export const GLOBAL_POOL_OPS: readonly GlobalPoolOp[] = ['globalAvgPool', 'globalMaxPool'];
const POOL_KEYS: readonly string[] = ['op', ...WINDOW_KEYS];
const GLOBAL_POOL_KEYS: readonly string[] = ['op'];

/**
 * Taps [k0, k1) of a window along one axis that fall on real input cells:
 * output o reads cells o·s − pad + k·d for k in [0, kernel).
 */
export function tapRange(o: number, kernel: number, s: number, d: number, pad: number, size: number): [number, number] {
  const start = o * s - pad;
  const k0 = start >= 0 ? 0 : Math.ceil(-start / d);
  const k1 = Math.min(kernel, Math.floor((size - 1 - start) / d) + 1);
  return [k0, Math.max(k0, k1)];
}

function checkTaps(op: string, axis: 'row' | 'column', outSize: number, kernel: number, s: number, d: number, pad: number, size: number): void {
  for (let o = 0; o < outSize; o++) {
    const [k0, k1] = tapRange(o, kernel, s, d, pad, size);
    if (k1 <= k0) {
      throw new TesseraError('BAD_ARGUMENT',
        `${op}: output ${axis} ${o} covers only padding (kernel ${kernel}, stride ${s}, dilation ${d}, padding ${pad}, input ${size}); pooling it has no value`,
        { axis, index: o });
    }
  }
}

export function poolGeometry(spec: Pool2dSpec, input: Shape): Geometry {
  const [, , h, w] = expectRank4(input, `${spec.op} input`);
  const g = resolveWindow(spec, h, w, spec.op, true);
  checkTaps(spec.op, 'row', g.outH, g.kh, g.sh, g.dh, g.pt, g.inH);
  checkTaps(spec.op, 'column', g.outW, g.kw, g.sw, g.dw, g.pl, g.inW);
  return g;
}

export function poolOutputShape(spec: Pool2dSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, POOL_OPS, 'pool', POOL_KEYS);
  checkInputCount(spec.op, inputs, 1);
  checkWeightNames(spec.op, weights, []);
  const [n, c] = expectRank4(inputs[0]!, `${spec.op} input`);
  const g = poolGeometry(spec, inputs[0]!);
  return [n, c, g.outH, g.outW];
}

/** Smallest and one-past-largest real cell read by outputs [o0, o1) along one axis. */
function readSpan(o0: number, o1: number, kernel: number, s: number, d: number, pad: number, size: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let o = o0; o < o1; o++) {
    const [k0, k1] = tapRange(o, kernel, s, d, pad, size);
    const start = o * s - pad;
    lo = Math.min(lo, start + k0 * d);
    hi = Math.max(hi, start + (k1 - 1) * d + 1);
  }
  return [lo, hi];
}

/**
 * Exactly the rows and columns read: unlike the plain window span, taps that
 * dilation steps over at the clipped edges are not included.
 */
export function poolInputRegion(spec: Pool2dSpec, out: Region, inputs: readonly Shape[]): Region {
  const g = poolGeometry(spec, inputs[0]!);
  const [y0, y1] = readSpan(out.y0, out.y1, g.kh, g.sh, g.dh, g.pt, g.inH);
  const [x0, x1] = readSpan(out.x0, out.x1, g.kw, g.sw, g.dw, g.pl, g.inW);
  return { n0: out.n0, n1: out.n1, c0: out.c0, c1: out.c1, y0, y1, x0, x1 };
}

/** One compare (max), add (avg) or multiply-add (l2, counted 2) per window cell; avg and l2 add one divide or sqrt per output. */
export function poolFlops(spec: Pool2dSpec, inputs: readonly Shape[], outShape: Shape): number {
  const g = poolGeometry(spec, inputs[0]!);
  const [n, c, h, w] = outShape as [number, number, number, number];
  const perCell = spec.op === 'l2Pool' ? 2 : 1;
  const perOut = spec.op === 'maxPool' ? 0 : 1;
  return n * c * h * w * (perCell * g.kh * g.kw + perOut);
}

export function globalPoolOutputShape(spec: GlobalPoolSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, GLOBAL_POOL_OPS, 'global pool', GLOBAL_POOL_KEYS);
  checkInputCount(spec.op, inputs, 1);
  checkWeightNames(spec.op, weights, []);
  const [n, c] = expectRank4(inputs[0]!, `${spec.op} input`);
  return [n, c, 1, 1];
}

export function globalPoolInputRegion(_spec: GlobalPoolSpec, out: Region, inputs: readonly Shape[]): Region {
  const [, , h, w] = expectRank4(inputs[0]!, 'global pool input');
  return { n0: out.n0, n1: out.n1, c0: out.c0, c1: out.c1, y0: 0, y1: h, x0: 0, x1: w };
}

export function globalPoolFlops(spec: GlobalPoolSpec, inputs: readonly Shape[]): number {
  const [n, c, h, w] = expectRank4(inputs[0]!, 'global pool input');
  return n * c * (h * w + (spec.op === 'globalAvgPool' ? 1 : 0));
}
