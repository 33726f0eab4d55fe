import { expect } from 'chai';
import { fmtRegion, type Region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { randInt } from '../src/random.js';

/** Asserts a and b have the same shape and every element is === (bit-identical up to the sign of zero). */
export function expectBitEqual(a: Tensor, b: Tensor, what = 'tensor'): void {
  expect(a.shape, `${what} shape`).to.deep.equal(b.shape);
  const x = a.toFloat32Array(), y = b.toFloat32Array();
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) {
      expect.fail(`${what}: element ${i} differs: ${x[i]} vs ${y[i]}`);
    }
  }
}

/** Largest |a-b| / max(|b|, floor) over all elements. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor);
    if (!(e <= m)) m = e; // NaN propagates as a failure
  }
  return m;
}

export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = 'values'): void {
  expect(a.length, `${what} length`).to.equal(b.length);
  const e = maxRelError(a, b);
  expect(e, `${what}: max relative error`).to.be.at.most(tol);
}

/**
 * Cuts `r` into random rectangles that cover it exactly once: a random grid
 * over batch, channel, row and column axes.
 */
export function randomTiling(r: Region, rand: () => number): Region[] {
  const cuts = (lo: number, hi: number): number[] => {
    const k = randInt(rand, 0, Math.min(3, hi - lo - 1));
    const s = new Set<number>();
    while (s.size < k) s.add(randInt(rand, lo + 1, hi - 1));
    return [lo, ...[...s].sort((p, q) => p - q), hi];
  };
  const ns = cuts(r.n0, r.n1), cs = cuts(r.c0, r.c1), ys = cuts(r.y0, r.y1), xs = cuts(r.x0, r.x1);
  const out: Region[] = [];
  for (let a = 0; a + 1 < ns.length; a++)
    for (let b = 0; b + 1 < cs.length; b++)
      for (let c = 0; c + 1 < ys.length; c++)
        for (let d = 0; d + 1 < xs.length; d++)
          out.push({ n0: ns[a]!, n1: ns[a + 1]!, c0: cs[b]!, c1: cs[b + 1]!, y0: ys[c]!, y1: ys[c + 1]!, x0: xs[d]!, x1: xs[d + 1]! });
  return out;
}

export { fmtRegion };

// ---- Op-kernel property helpers (used by the per-op test files) ----

import { checkRegion, fullRegion, regionsEqual } from '../src/region.js';
import { copyRegion } from '../src/tensor.js';
import type { Shape } from '../src/shape.js';
import type { OpDef, Weights, WeightShapes } from '../src/ops/op.js';
import { TesseraError } from '../src/errors.js';

/** A value no kernel here produces from the test data: marks memory a kernel must not write. */
export const SENTINEL = -7777.25;

/**
 * The same values as `t`, as a strided view at an offset inside a larger
 * buffer whose other elements are `fill`. With fill = NaN a kernel that
 * assumes contiguity or reads outside its view shows up as NaN output.
 */
export function embed(t: Tensor, rand: () => number, fill = NaN): Tensor {
  const extra = (): number => randInt(rand, 0, 2);
  const dims = t.shape.map((d) => d + extra());
  const big = Tensor.filled(dims, fill);
  const [n, c, h, w] = t.dims4();
  const [bn, bc, bh, bw] = big.dims4();
  const n0 = randInt(rand, 0, bn - n), c0 = randInt(rand, 0, bc - c), y0 = randInt(rand, 0, bh - h), x0 = randInt(rand, 0, bw - w);
  const v = big.view({ n0, n1: n0 + n, c0, c1: c0 + c, y0, y1: y0 + h, x0, x1: x0 + w });
  copyRegion(t, v, fullRegion(t.shape));
  return v;
}

/** `t` itself or, half of the time, a strided NaN-surrounded copy (see embed). */
export function maybeEmbed(t: Tensor, rand: () => number): Tensor {
  return rand() < 0.5 ? t : embed(t, rand);
}

/** A non-empty random sub-box of `shape`. */
export function randomRegion(shape: Shape, rand: () => number): Region {
  const r = fullRegion(shape);
  const span = (lo: number, hi: number): [number, number] => {
    const a = randInt(rand, lo, hi - 1);
    return [a, randInt(rand, a + 1, hi)];
  };
  const [n0, n1] = span(r.n0, r.n1), [c0, c1] = span(r.c0, r.c1), [y0, y1] = span(r.y0, r.y1), [x0, x1] = span(r.x0, r.x1);
  return { n0, n1, c0, c1, y0, y1, x0, x1 };
}

/** Contiguous copy of `t` with every element outside `r` (everything, when r is null) set to NaN. */
export function nanOutside(t: Tensor, r: Region | null): Tensor {
  const o = Tensor.filled(t.shape, NaN);
  if (r) copyRegion(t, o, r);
  return o;
}

/** Contiguous copy of `t` with the elements of `r` set to NaN. */
export function nanInside(t: Tensor, r: Region): Tensor {
  const o = t.clone();
  copyRegion(Tensor.filled(t.shape, NaN), o, r);
  return o;
}

export function countNaN(t: Tensor): number {
  let k = 0;
  for (const v of t.toFloat32Array()) if (Number.isNaN(v)) k++;
  return k;
}

/** One op call as data: the OpDef, its spec, inputs and weights. */
export interface OpCase<S extends { readonly op: string }> {
  readonly def: OpDef<S>;
  readonly spec: S;
  readonly inputs: readonly Tensor[];
  readonly weights?: Weights;
}

function caseWeightShapes(w: Weights | undefined): WeightShapes {
  const out: Record<string, Shape> = {};
  for (const [k, v] of Object.entries(w ?? {})) if (v) out[k] = v.shape;
  return out;
}

export function caseOutShape<S extends { readonly op: string }>(c: OpCase<S>): Shape {
  return c.def.outputShape(c.spec, c.inputs.map((t) => t.shape), caseWeightShapes(c.weights));
}

/** Runs a kernel of the OpDef on `region` (default: all) of `out` (default: new zeros). */
export function runCase<S extends { readonly op: string }>(c: OpCase<S>, impl: 'fast' | 'reference' = 'fast', region?: Region, out?: Tensor): Tensor {
  const shape = caseOutShape(c);
  const o = out ?? Tensor.zeros(shape);
  c.def[impl](c.inputs, c.weights ?? {}, c.spec, o, region ?? fullRegion(shape));
  return o;
}

/**
 * Asserts `out` was written exactly on `r`: every element of its backing
 * buffer outside r (inside or outside the view) still holds SENTINEL, every
 * element inside r does not.
 */
export function expectWrittenExactly(out: Tensor, r: Region, what = 'output'): void {
  const mask = new Uint8Array(out.data.length);
  const [sn, sc, sh, sw] = out.strides4();
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++)
      for (let y = r.y0; y < r.y1; y++)
        for (let x = r.x0; x < r.x1; x++) mask[out.offset + n * sn + c * sc + y * sh + x * sw] = 1;
  const d = out.data;
  for (let i = 0; i < d.length; i++) {
    if (mask[i] ? d[i] === SENTINEL : d[i] !== SENTINEL) {
      expect.fail(`${what}: buffer element ${i} ${mask[i] ? 'inside' : 'outside'} ${fmtRegion(r)} ${mask[i] ? 'was not written' : `was written (${d[i]})`}`);
    }
  }
}

/**
 * The fast kernel run tile by tile over random tilings, into strided
 * sentinel-filled outputs, equals the whole output bit for bit; the first
 * few tiles, run alone, write exactly their own region.
 */
export function expectTilingsBitEqual<S extends { readonly op: string }>(c: OpCase<S>, rand: () => number, tilings = 2, soloTiles = 3): void {
  const shape = caseOutShape(c);
  const whole = runCase(c, 'fast');
  for (let t = 0; t < tilings; t++) {
    const out = embed(Tensor.filled(shape, SENTINEL), rand, SENTINEL);
    const tiles = randomTiling(fullRegion(shape), rand);
    tiles.forEach((tile, i) => {
      if (i < soloTiles) {
        const solo = embed(Tensor.filled(shape, SENTINEL), rand, SENTINEL);
        runCase(c, 'fast', tile, solo);
        expectWrittenExactly(solo, tile, `${c.spec.op} tile ${fmtRegion(tile)}`);
      }
      runCase(c, 'fast', tile, out);
    });
    expectBitEqual(out, whole, `${c.spec.op} over ${tiles.length} tiles`);
  }
}

const FACES = [['n', 0], ['n', 1], ['c', 0], ['c', 1], ['y', 0], ['y', 1], ['x', 0], ['x', 1]] as const;

/**
 * inputRegion is exact for output region `r`:
 *  - sufficient: with every input element outside its inputRegion replaced
 *    by NaN (a null region: the whole input), r's output is unchanged, bit for bit;
 *  - minimal: NaN in any one boundary slab (first/last n, c, row, column) of
 *    an input region makes some output of r NaN, so no slab is padding.
 * The ops propagate NaN, so minimality shows as NaN.
 */
export function expectInputRegionExact<S extends { readonly op: string }>(c: OpCase<S>, r: Region, impl: 'fast' | 'reference' = 'fast'): void {
  const shape = caseOutShape(c);
  const shapes = c.inputs.map((t) => t.shape);
  const want = runCase(c, impl, r).view(r);
  const irs = c.inputs.map((_, i) => c.def.inputRegion(c.spec, r, shapes, shape, i));
  irs.forEach((ir, i) => { if (ir) checkRegion(ir, shapes[i]!, `${c.spec.op} inputRegion ${i}`); });
  const masked = c.inputs.map((t, i) => nanOutside(t, irs[i] ?? null));
  expectBitEqual(runCase({ ...c, inputs: masked }, impl, r).view(r), want, `${c.spec.op} ${fmtRegion(r)} from its input regions alone`);
  irs.forEach((ir, i) => {
    if (!ir) return;
    for (const [axis, end] of FACES) {
      const k = end === 0 ? ir[`${axis}0`] : ir[`${axis}1`] - 1;
      const slab = { ...ir, [`${axis}0`]: k, [`${axis}1`]: k + 1 } as Region;
      if (end === 1 && regionsEqual(slab, { ...ir, [`${axis}0`]: ir[`${axis}0`], [`${axis}1`]: ir[`${axis}0`] + 1 } as Region)) continue;
      const poisoned = c.inputs.map((t, j) => (j === i ? nanInside(t, slab) : t));
      const got = runCase({ ...c, inputs: poisoned }, impl, r).view(r);
      expect(countNaN(got), `${c.spec.op} ${fmtRegion(r)}: input ${i} region ${fmtRegion(ir)} slab ${fmtRegion(slab)} is not read`).to.be.above(0);
    }
  });
}

/** Asserts `f` throws a TesseraError with this stable `code` and a message matching `msg` (which should name the bad value). */
export function expectTesseraError(f: () => unknown, code: string, msg: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) expect.fail(`expected a TesseraError ${code} matching ${msg}, nothing was thrown`);
  expect(thrown, String(thrown)).to.be.instanceOf(TesseraError);
  expect((thrown as TesseraError).code, (thrown as Error).message).to.equal(code);
  expect((thrown as Error).message).to.match(msg);
}

// ---- Numeric-contract helpers (op.ts): fast vs reference, fused vs unfused ----

import { FAST_TOLERANCE } from '../src/ops/op.js';

/** Largest |got − want| and largest |want| over all elements (NaN in either gives NaN). */
export function maxAbsError(got: ArrayLike<number>, want: ArrayLike<number>): { err: number; scale: number } {
  let err = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    if (!(e <= err)) err = e; // NaN sticks
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return { err, scale };
}

/**
 * The production-vs-reference contract of op.ts: every |got − want| is at
 * most FAST_TOLERANCE · max|want| (times `factor`), and the shapes agree.
 * Elements where both are NaN count as equal; NaN on one side fails.
 */
export function expectWithinFastTolerance(got: Tensor, want: Tensor, what = 'fast vs reference', factor = 1): void {
  expect(got.shape, `${what} shape`).to.deep.equal(want.shape);
  const a = got.toFloat32Array(), b = want.toFloat32Array();
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (Number.isNaN(a[i]) && Number.isNaN(b[i])) continue;
    x.push(a[i]!);
    y.push(b[i]!);
  }
  const { err, scale } = maxAbsError(x, y);
  const limit = FAST_TOLERANCE * factor * scale;
  if (!(err <= limit)) expect.fail(`${what}: max |error| ${err} exceeds ${FAST_TOLERANCE * factor} · max|ref| ${scale} = ${limit}`);
}

/**
 * Stricter than expectBitEqual: the float32 bits agree, so +0 and −0 differ;
 * only NaN payloads are not compared (any NaN equals any NaN).
 */
export function expectSameBits(a: Tensor, b: Tensor, what = 'tensor'): void {
  expect(a.shape, `${what} shape`).to.deep.equal(b.shape);
  const x = a.toFloat32Array(), y = b.toFloat32Array();
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i]) && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) {
      expect.fail(`${what}: element ${i} differs: ${Object.is(x[i], -0) ? '-0' : x[i]} vs ${Object.is(y[i], -0) ? '-0' : y[i]}`);
    }
  }
}
