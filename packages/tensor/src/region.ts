import { TesseraError } from './errors.js';
import { dims4, type Shape } from './shape.js';

/**
 * A half-open box of an NCHW tensor: batch [n0, n1), channels [c0, c1),
 * rows [y0, y1), columns [x0, x1). Every kernel fills exactly one Region of
 * its output (DESIGN.md §3). Rank-2 tensors use y = x = [0, 1).
 */
export interface Region {
  readonly n0: number; readonly n1: number;
  readonly c0: number; readonly c1: number;
  readonly y0: number; readonly y1: number;
  readonly x0: number; readonly x1: number;
}

const FIELDS = ['n0', 'n1', 'c0', 'c1', 'y0', 'y1', 'x0', 'x1'] as const;

export function region(n0: number, n1: number, c0: number, c1: number, y0: number, y1: number, x0: number, x1: number): Region {
  return { n0, n1, c0, c1, y0, y1, x0, x1 };
}

export function fullRegion(shape: Shape): Region {
  const [n, c, h, w] = dims4(shape);
  return { n0: 0, n1: n, c0: 0, c1: c, y0: 0, y1: h, x0: 0, x1: w };
}

export function regionVolume(r: Region): number {
  return Math.max(0, r.n1 - r.n0) * Math.max(0, r.c1 - r.c0) * Math.max(0, r.y1 - r.y0) * Math.max(0, r.x1 - r.x0);
}

export function isEmptyRegion(r: Region): boolean {
  return r.n1 <= r.n0 || r.c1 <= r.c0 || r.y1 <= r.y0 || r.x1 <= r.x0;
}

export function regionsEqual(a: Region, b: Region): boolean {
  return FIELDS.every((f) => a[f] === b[f]);
}

export function intersectRegions(a: Region, b: Region): Region {
  return {
    n0: Math.max(a.n0, b.n0), n1: Math.min(a.n1, b.n1),
    c0: Math.max(a.c0, b.c0), c1: Math.min(a.c1, b.c1),
    y0: Math.max(a.y0, b.y0), y1: Math.min(a.y1, b.y1),
    x0: Math.max(a.x0, b.x0), x1: Math.min(a.x1, b.x1),
  };
}

/** Smallest region containing both. */
export function unionRegions(a: Region, b: Region): Region {
  return {
    n0: Math.min(a.n0, b.n0), n1: Math.max(a.n1, b.n1),
    c0: Math.min(a.c0, b.c0), c1: Math.max(a.c1, b.c1),
    y0: Math.min(a.y0, b.y0), y1: Math.max(a.y1, b.y1),
    x0: Math.min(a.x0, b.x0), x1: Math.max(a.x1, b.x1),
  };
}

export function regionContains(outer: Region, inner: Region): boolean {
  return inner.n0 >= outer.n0 && inner.n1 <= outer.n1 && inner.c0 >= outer.c0 && inner.c1 <= outer.c1 &&
    inner.y0 >= outer.y0 && inner.y1 <= outer.y1 && inner.x0 >= outer.x0 && inner.x1 <= outer.x1;
}

export function fmtRegion(r: Region): string {
  return `n[${r.n0},${r.n1}) c[${r.c0},${r.c1}) y[${r.y0},${r.y1}) x[${r.x0},${r.x1})`;
}

/**
 * Throws BAD_REGION unless `r` is a non-empty box of integers inside `shape`.
 * Every kernel calls this first, so a NaN or out-of-range request can never
 * turn into NaN output or a write outside the tensor.
 */
export function checkRegion(r: Region, shape: Shape, what = 'region'): void {
  if (r === null || typeof r !== 'object') {
    throw new TesseraError('BAD_REGION', `${what} must be an object {n0,n1,c0,c1,y0,y1,x0,x1}, got ${String(r)}`);
  }
  const [n, c, h, w] = dims4(shape);
  const limits = { n: n, c: c, y: h, x: w };
  for (const f of FIELDS) {
    const v = r[f];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new TesseraError('BAD_REGION', `${what}.${f} must be an integer, got ${String(v)}`, { field: f, value: v });
    }
  }
  for (const axis of ['n', 'c', 'y', 'x'] as const) {
    const lo = r[`${axis}0`], hi = r[`${axis}1`];
    if (lo < 0 || hi > limits[axis] || lo >= hi) {
      throw new TesseraError('BAD_REGION',
        `${what} ${fmtRegion(r)} is empty or outside [0, ${limits[axis]}) on axis ${axis} of shape [${shape.join(', ')}]`,
        { field: axis, region: r, shape });
    }
  }
}

/**
 * Cuts `r` into `parts` nearly equal slabs along one axis. Used by tests and
 * planners; the pieces cover `r` exactly once.
 */
export function splitRegion(r: Region, axis: 'n' | 'c' | 'y' | 'x', parts: number): Region[] {
  const lo = r[`${axis}0`], hi = r[`${axis}1`];
  const len = hi - lo;
  const k = Math.max(1, Math.min(parts, len));
  const out: Region[] = [];
  for (let i = 0; i < k; i++) {
    const a = lo + Math.floor((len * i) / k), b = lo + Math.floor((len * (i + 1)) / k);
    out.push({ ...r, [`${axis}0`]: a, [`${axis}1`]: b });
  }
  return out;
}
