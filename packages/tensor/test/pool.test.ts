import { expect } from 'chai';
import { TesseraError } from '../src/errors.js';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region, type Region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import {
  avgPool, avgPoolOp, avgPoolRef, globalAvgPool, globalAvgPoolOp, globalMaxPool, globalMaxPoolOp, globalMaxPoolRef,
  l2Pool, l2PoolOp, maxPool, maxPoolOp, maxPoolRef, poolGeometry,
  type GlobalPoolSpec, type Pool2dSpec, type PoolOp,
} from '../src/ops/pool/index.js';
import { FAST_TOLERANCE, type OpDef } from '../src/ops/op.js';
import type { Padding } from '../src/ops/window.js';
import {
  caseOutShape, embed, expectBitEqual, expectTesseraError, expectInputRegionExact, expectTilingsBitEqual, maxRelError, maybeEmbed, randomRegion, runCase,
  type OpCase,
} from './util.js';

const DEFS: Record<PoolOp, OpDef<Pool2dSpec>> = { maxPool: maxPoolOp, avgPool: avgPoolOp, l2Pool: l2PoolOp };
const GLOBAL_DEFS: Record<GlobalPoolSpec['op'], OpDef<GlobalPoolSpec>> = { globalAvgPool: globalAvgPoolOp, globalMaxPool: globalMaxPoolOp };

const seq = (shape: number[], f: (i: number) => number = (i) => i + 1): Tensor =>
  Tensor.from(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)), shape);

/** A random valid windowed-pool case: odd sizes, kernel 1–7, stride 1–3, dilation 1–3, every padding mode, batch ≤ 2. */
function randomPoolCase(rand: () => number): OpCase<Pool2dSpec> {
  for (;;) {
    const op = (['maxPool', 'avgPool', 'l2Pool'] as const)[randInt(rand, 0, 2)]!;
    const k: [number, number] = [randInt(rand, 1, 7), randInt(rand, 1, 7)];
    const stride = rand() < 0.25 ? undefined : ([randInt(rand, 1, 3), randInt(rand, 1, 3)] as const);
    const dilation = rand() < 0.5 ? undefined : ([randInt(rand, 1, 3), randInt(rand, 1, 3)] as const);
    const pads: Padding[] = ['valid', 'same', randInt(rand, 0, 3),
      { top: randInt(rand, 0, 3), bottom: randInt(rand, 0, 3), left: randInt(rand, 0, 3), right: randInt(rand, 0, 3) }];
    const padding = pads[randInt(rand, 0, 3)]!;
    const spec: Pool2dSpec = { op, kernel: k, stride, dilation, padding };
    const shape = [randInt(rand, 1, 2), randInt(rand, 1, 3), randInt(rand, 1, 13), randInt(rand, 1, 13)];
    try {
      poolGeometry(spec, shape); // kernel fits and no window is all padding
    } catch (e) {
      if (e instanceof TesseraError) continue;
      throw e;
    }
    return { def: DEFS[op], spec, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)] };
  }
}

function randomGlobalCase(rand: () => number): OpCase<GlobalPoolSpec> {
  const op = rand() < 0.5 ? 'globalAvgPool' : 'globalMaxPool';
  const shape = [randInt(rand, 1, 3), randInt(rand, 1, 5), randInt(rand, 1, 9), randInt(rand, 1, 9)];
  return { def: GLOBAL_DEFS[op], spec: { op }, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)] };
}

/**
 * The production kernel against the float64 reference on `r`: max pools
 * equal (no arithmetic), the sums within FAST_TOLERANCE of the largest
 * |reference| output; NaN exactly where the reference has NaN.
 */
function expectFastMatchesReference<S extends { readonly op: string }>(c: OpCase<S>, r?: Region, what = `${c.spec.op} ${JSON.stringify(c.spec)} on ${c.inputs[0]}`): void {
  const fast = runCase(c, 'fast', r).toFloat32Array(), ref = runCase(c, 'reference', r).toFloat32Array();
  if (c.spec.op === 'maxPool' || c.spec.op === 'globalMaxPool') {
    for (let i = 0; i < ref.length; i++) {
      if (fast[i] !== ref[i] && !(Number.isNaN(fast[i]) && Number.isNaN(ref[i]))) expect.fail(`${what}: element ${i}: ${fast[i]} vs ${ref[i]}`);
    }
    return;
  }
  let scale = 0;
  for (const v of ref) if (Math.abs(v) > scale) scale = Math.abs(v);
  for (let i = 0; i < ref.length; i++) {
    const f = fast[i]!, g = ref[i]!;
    if (Number.isNaN(f) || Number.isNaN(g) ? Number.isNaN(f) !== Number.isNaN(g) : !(Math.abs(f - g) <= FAST_TOLERANCE * scale)) {
      expect.fail(`${what}: element ${i}: ${f} vs reference ${g} (tolerance ${FAST_TOLERANCE} · ${scale})`);
    }
  }
}

/** Windows the engine has fast paths for (2×2/2, stride 1, stride 2, stride 3), on rows wide enough for its 16-output loop. */
function wideCase(rand: () => number, spec: Pool2dSpec, channels = randInt(rand, 1, 6)): OpCase<Pool2dSpec> {
  const shape = [randInt(rand, 1, 2), channels, randInt(rand, 9, 41), randInt(rand, 9, 77)];
  return { def: DEFS[spec.op], spec, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)] };
}

const WIDE_SPECS: readonly Omit<Pool2dSpec, 'op'>[] = [
  { kernel: 2 }, { kernel: 2, padding: 'same' }, { kernel: 2, stride: 2, padding: { top: 1, bottom: 0, left: 1, right: 0 } },
  { kernel: 3, stride: 1, padding: 'same' }, { kernel: 3, stride: 2, padding: 'same' }, { kernel: 3, stride: 2 },
  { kernel: [3, 2], stride: [1, 3], dilation: [2, 1] }, { kernel: [1, 4], stride: [2, 1], dilation: [1, 2], padding: { top: 0, bottom: 0, left: 2, right: 1 } },
  { kernel: 2, stride: 2, dilation: 2 }, { kernel: 5, stride: 3, padding: 'same' },
];

const globalCase = (op: GlobalPoolSpec['op'], x: Tensor): OpCase<GlobalPoolSpec> => ({ def: GLOBAL_DEFS[op], spec: { op }, inputs: [x] });

/** Test-local float64 pooling straight from the definition (TF padding rule). */
function pool64(spec: Pool2dSpec, x: Tensor): Float64Array {
  const g = poolGeometry(spec, x.shape);
  const [n, c] = x.dims4();
  const out = new Float64Array(n * c * g.outH * g.outW);
  let k = 0;
  for (let a = 0; a < n; a++)
    for (let b = 0; b < c; b++)
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++) {
          const cells: number[] = [];
          for (let ky = 0; ky < g.kh; ky++)
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.sh - g.pt + ky * g.dh, ix = ox * g.sw - g.pl + kx * g.dw;
              if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW) cells.push(x.get(a, b, iy, ix));
            }
          out[k++] = spec.op === 'maxPool' ? Math.max(...cells)
            : spec.op === 'avgPool' ? cells.reduce((s, v) => s + v, 0) / cells.length
            : Math.sqrt(cells.reduce((s, v) => s + v * v, 0));
        }
  return out;
}

describe('pool', () => {
  describe('known answers', () => {
    it('L2 pool of a window is sqrt of the sum of squares (the seed)', () => {
      // Windows of 2×2 over 4×4: {1,2,5,6}, {3,4,7,8}, ...
      const x = seq([1, 1, 4, 4]);
      const got = l2Pool(x, { kernel: 2 }).toArray();
      const want = [[1, 2, 5, 6], [3, 4, 7, 8], [9, 10, 13, 14], [11, 12, 15, 16]].map((w) => Math.fround(Math.sqrt(w.reduce((s, v) => s + v * v, 0))));
      expect(got).to.deep.equal(want);
      expect(l2Pool(Tensor.from([3, 4, 0, 12], [1, 1, 2, 2]), { kernel: 2 }).toArray()).to.deep.equal([13]);
    });

    it('max and avg of 2×2 windows by hand; stride defaults to the kernel', () => {
      const x = seq([1, 1, 4, 4]); // 1..16 row-major
      expect(maxPool(x, { kernel: 2 }).toArray()).to.deep.equal([6, 8, 14, 16]);
      expect(avgPool(x, { kernel: 2 }).toArray()).to.deep.equal([3.5, 5.5, 11.5, 13.5]);
      expect(maxPool(x, { kernel: 2, stride: 1 }).shape).to.deep.equal([1, 1, 3, 3]);
      expect(maxPool(seq([1, 1, 6, 6]), { kernel: 3 }).toArray()).to.deep.equal([15, 18, 33, 36]);
    });

    it("'same' padding: max ignores padded cells, avg divides by the real ones", () => {
      // 3×3 of −1..−9, kernel 2 stride 2 same → one padded row/column at the bottom/right.
      const x = seq([1, 1, 3, 3], (i) => -(i + 1));
      expect(maxPool(x, { kernel: 2, padding: 'same' }).toArray()).to.deep.equal([-1, -3, -7, -9]);
      expect(avgPool(x, { kernel: 2, padding: 'same' }).toArray()).to.deep.equal([-3, -4.5, -7.5, -9]);
      expect(l2Pool(x, { kernel: 2, padding: 'same' }).toArray()).to.deep.equal([Math.fround(Math.sqrt(1 + 4 + 16 + 25)), Math.fround(Math.sqrt(9 + 36)), Math.fround(Math.sqrt(49 + 64)), 9]);
      // Explicit padding 1 on all sides, kernel 3 stride 1: corner windows hold 4 real cells.
      const a = avgPool(seq([1, 1, 3, 3]), { kernel: 3, stride: 1, padding: 1 }).toArray();
      expect(a[0]).to.equal((1 + 2 + 4 + 5) / 4);
      expect(a[4]).to.equal(5);
      expect(a[8]).to.equal((5 + 6 + 8 + 9) / 4);
    });

    it('dilated windows skip cells', () => {
      const x = seq([1, 1, 5, 5], (i) => i); // value = 5y + x
      // kernel 2 dilation 2 stride 1: output (0,0) reads (0,0), (0,2), (2,0), (2,2).
      expect(maxPool(x, { kernel: 2, stride: 1, dilation: 2 }).get(0, 0, 0, 0)).to.equal(12);
      expect(avgPool(x, { kernel: 2, stride: 1, dilation: 2 }).get(0, 0, 0, 0)).to.equal((0 + 2 + 10 + 12) / 4);
      expect(avgPool(x, { kernel: 2, stride: 1, dilation: 2 }).shape).to.deep.equal([1, 1, 3, 3]);
    });

    it('global average and max pool to [N, C, 1, 1]', () => {
      const x = seq([2, 3, 2, 2]);
      const avg = globalAvgPool(x);
      expect(avg.shape).to.deep.equal([2, 3, 1, 1]);
      expect(avg.toArray()).to.deep.equal([2.5, 6.5, 10.5, 14.5, 18.5, 22.5]);
      expect(globalMaxPool(x).toArray()).to.deep.equal([4, 8, 12, 16, 20, 24]);
    });

    it('sums each window in row-major order (ky, then kx)', () => {
      // 2^60 + 1 absorbs the 1, −2^60 cancels, + 1: sum 1 in this order only (descending would give 0).
      const x = Tensor.from([2 ** 60, 1, -(2 ** 60), 1], [1, 1, 2, 2]);
      expect(avgPool(x, { kernel: 2 }).toArray()).to.deep.equal([0.25]);
      expect(avgPoolRef(x, { kernel: 2 }).toArray()).to.deep.equal([0.25]);
      expect(globalAvgPool(x).toArray()).to.deep.equal([0.25]);
    });

    it('propagates NaN from a window instead of hiding it', () => {
      const x = seq([1, 1, 2, 2]);
      x.set(NaN, 0, 0, 1, 0);
      expect(Number.isNaN(maxPool(x, { kernel: 2 }).get(0, 0, 0, 0))).to.equal(true);
      expect(Number.isNaN(globalMaxPool(x).get(0, 0, 0, 0))).to.equal(true);
    });

    it('a NaN at any tap of any window makes exactly that output NaN, on every path', () => {
      const rand = rng(23);
      for (const op of ['maxPool', 'avgPool', 'l2Pool'] as const) {
        for (const w of WIDE_SPECS) {
          const base = wideCase(rand, { ...w, op }, 1);
          for (let k = 0; k < 4; k++) {
            const x = base.inputs[0]!.clone();
            const [, , h, wd] = x.dims4();
            x.set(NaN, randInt(rand, 0, x.dims4()[0] - 1), 0, randInt(rand, 0, h - 1), k < 2 ? randInt(rand, 0, wd - 1) : wd - 1 - k);
            expectFastMatchesReference({ ...base, inputs: [x] }, undefined, `NaN: ${op} ${JSON.stringify(w)}`);
          }
        }
      }
      const g = randomTensor([1, 6, 5, 7], rand);
      g.set(NaN, 0, 5, 4, 6);
      expectFastMatchesReference(globalCase('globalMaxPool', g));
      expectFastMatchesReference(globalCase('globalAvgPool', g));
    });
  });

  it('fast agrees with the reference over 150 random windows (kernel 1–7, stride 1–3, dilation, all paddings, views, regions): max exactly, sums within FAST_TOLERANCE', () => {
    const rand = rng(11);
    for (let i = 0; i < 150; i++) {
      const c = randomPoolCase(rand);
      expectFastMatchesReference(c, rand() < 0.3 ? randomRegion(caseOutShape(c), rand) : undefined);
    }
    for (let i = 0; i < 30; i++) {
      const c = randomGlobalCase(rand);
      expectFastMatchesReference(c, rand() < 0.3 ? randomRegion(caseOutShape(c), rand) : undefined);
    }
  });

  it('every stride × dilation × padding combination agrees with the reference (kernels 2 and 3, batch 2, odd sizes)', () => {
    const rand = rng(21);
    const pads: Padding[] = ['valid', 'same', 1, { top: 2, bottom: 0, left: 0, right: 1 }, { top: 0, bottom: 1, left: 2, right: 0 }];
    for (const op of ['maxPool', 'avgPool', 'l2Pool'] as const) {
      for (const kernel of [2, 3] as const) {
        for (let sh = 1; sh <= 3; sh++) for (let sw = 1; sw <= 3; sw++) {
          for (const dilation of [1, [2, 1], [1, 3]] as const) {
            for (const padding of pads) {
              const spec: Pool2dSpec = { op, kernel, stride: [sh, sw], dilation, padding };
              const shape = [2, 2, randInt(rand, 5, 13) | 1, randInt(rand, 5, 23) | 1];
              try {
                poolGeometry(spec, shape);
              } catch {
                continue; // a window all padding, or larger than the padded input
              }
              expectFastMatchesReference({ def: DEFS[op], spec, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)] });
            }
          }
        }
      }
    }
  });

  it('the fast paths (2×2/2, stride 1 and 2, wide rows, many channel blocks) agree with the reference, whole and on edge regions', () => {
    const rand = rng(22);
    for (const op of ['maxPool', 'avgPool', 'l2Pool'] as const) {
      for (const w of WIDE_SPECS) {
        const c = wideCase(rand, { ...w, op });
        const shape = caseOutShape(c);
        expectFastMatchesReference(c);
        // A region against each border, and one inside.
        const full = fullRegion(shape);
        const [h, wd] = [shape[2]!, shape[3]!];
        for (const r of [{ ...full, y1: Math.ceil(h / 3) }, { ...full, y0: Math.floor(h / 2) }, { ...full, x1: Math.min(wd, 5) },
          { ...full, x0: Math.max(0, wd - 7) }, randomRegion(shape, rand)]) expectFastMatchesReference(c, r);
      }
    }
    // 40 channels of 61×57: three blocks of channel planes (fast.ts streams ~64K input floats per pass), batch 2.
    const many = randomTensor([2, 40, 61, 57], rand, -2, 2);
    for (const op of ['maxPool', 'avgPool'] as const) expectFastMatchesReference({ def: DEFS[op], spec: { op, kernel: 2 }, inputs: [many] });
    expectFastMatchesReference(globalCase('globalAvgPool', randomTensor([2, 300, 17, 19], rand, -2, 2)));
    expectFastMatchesReference(globalCase('globalMaxPool', embed(randomTensor([2, 7, 9, 5], rand, -2, 2), rand)));
  });

  it('a plane too big for one pass is cut by rows with the same result', () => {
    const x = randomTensor([1, 1, 1460, 1460], 5, -2, 2);
    for (const op of ['maxPool', 'avgPool'] as const) {
      const c: OpCase<Pool2dSpec> = { def: DEFS[op], spec: { op, kernel: 2 }, inputs: [x] };
      expectFastMatchesReference(c);
      const shape = caseOutShape(c);
      const out = Tensor.zeros(shape);
      for (const r of [{ ...fullRegion(shape), y1: 100 }, { ...fullRegion(shape), y0: 100 }]) runCase(c, 'fast', r, out);
      expectBitEqual(out, runCase(c, 'fast'));
    }
  });

  it('any tiling of the output is bit-identical and each tile writes only its region', () => {
    const rand = rng(12);
    for (let i = 0; i < 25; i++) expectTilingsBitEqual(randomPoolCase(rand), rand);
    for (const op of ['maxPool', 'avgPool', 'l2Pool'] as const) for (const w of WIDE_SPECS) expectTilingsBitEqual(wideCase(rand, { ...w, op }), rand, 1, 1);
    for (let i = 0; i < 10; i++) expectTilingsBitEqual(randomGlobalCase(rand), rand);
  });

  it('inputRegion is exact: enough (NaN outside changes nothing) and no wider (NaN on its edges shows)', () => {
    const rand = rng(13);
    for (let i = 0; i < 40; i++) {
      const c = randomPoolCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    for (let i = 0; i < 10; i++) {
      const c = randomGlobalCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    // Pad 1, dilation 3: output row 0 reads rows −1 (padding), 2, 5; row 0 of the input is never read.
    const spec: Pool2dSpec = { op: 'maxPool', kernel: 3, stride: 1, dilation: 3, padding: 1 };
    const ir = maxPoolOp.inputRegion(spec, region(0, 1, 0, 1, 0, 1, 0, 1), [[1, 1, 8, 8]], [1, 1, 2, 2], 0)!;
    expect([ir.y0, ir.y1, ir.x0, ir.x1]).to.deep.equal([2, 6, 2, 6]);
  });

  it('matches float64 loops within 1e-5 relative (floor 1e-6)', () => {
    const rand = rng(14);
    for (let i = 0; i < 30; i++) {
      const c = randomPoolCase(rand);
      const got = runCase(c, 'fast').toFloat32Array();
      expect(maxRelError(got, pool64(c.spec, c.inputs[0]!), 1e-6), JSON.stringify(c.spec)).to.be.at.most(1e-5);
    }
    const x = randomTensor([2, 4, 7, 5], rand, -3, 3);
    const mean64 = (n: number, c: number): number => { let s = 0; for (let y = 0; y < 7; y++) for (let z = 0; z < 5; z++) s += x.get(n, c, y, z); return s / 35; };
    const want = Array.from({ length: 8 }, (_, i) => mean64(Math.floor(i / 4), i % 4));
    expect(maxRelError(globalAvgPool(x).toFloat32Array(), want, 1e-6)).to.be.at.most(1e-5);
  });

  it('the Ref variants, an existing out and a region work through the public functions', () => {
    const x = randomTensor([1, 2, 9, 9], 3);
    const whole = avgPool(x, { kernel: 3, stride: 2, padding: 'same' });
    expect(maxRelError(whole.toFloat32Array(), avgPoolRef(x, { kernel: 3, stride: 2, padding: 'same' }).toFloat32Array(), 1)).to.be.at.most(FAST_TOLERANCE);
    expectBitEqual(maxPoolRef(x, { kernel: 2 }), maxPool(x, { kernel: 2 }));
    expectBitEqual(globalMaxPoolRef(x), globalMaxPool(x));
    const out = Tensor.zeros(whole.shape);
    for (const r of [region(0, 1, 0, 2, 0, 2, 0, 5), region(0, 1, 0, 2, 2, 5, 0, 5)]) avgPool(x, { kernel: 3, stride: 2, padding: 'same' }, out, r);
    expectBitEqual(out, whole);
  });

  describe('bad input', () => {
    const x = Tensor.zeros([1, 2, 5, 5]);
    const code = expectTesseraError;
    it('wrong rank', () => code(() => maxPool(Tensor.zeros([2, 5]), { kernel: 2 }), 'SHAPE_MISMATCH', /maxPool input must have rank 4.*\[2, 5\]/));
    it('kernel larger than the padded input', () => code(() => avgPool(x, { kernel: 7 }), 'SHAPE_MISMATCH', /kernel 7×7.*larger than the padded input 5×5/));
    it('zero stride and zero kernel', () => {
      code(() => maxPool(x, { kernel: 2, stride: 0 }), 'BAD_ARGUMENT', /stride must be an integer ≥ 1, got 0/);
      code(() => maxPool(x, { kernel: [2, 0] }), 'BAD_ARGUMENT', /kernel must be an integer ≥ 1, got 0/);
    });
    it('negative padding', () => code(() => l2Pool(x, { kernel: 2, padding: { top: 0, bottom: -1, left: 0, right: 0 } }), 'BAD_ARGUMENT', /padding.bottom must be an integer ≥ 0, got -1/));
    it('a window made only of padding', () => code(() => maxPool(x, { kernel: 2, stride: 2, padding: 3 }), 'BAD_ARGUMENT', /output row 0 covers only padding/));
    it('NaN or out-of-range region', () => {
      code(() => maxPool(x, { kernel: 2 }, undefined, { ...fullRegion([1, 2, 2, 2]), y1: NaN }), 'BAD_REGION', /y1 must be an integer, got NaN/);
      code(() => globalAvgPool(x, undefined, region(0, 1, 0, 3, 0, 1, 0, 1)), 'BAD_REGION', /axis c/);
    });
    it('output of the wrong shape, a spec for another op, weights it does not take', () => {
      code(() => maxPool(x, { kernel: 2 }, Tensor.zeros([1, 2, 3, 3])), 'SHAPE_MISMATCH', /output \[1, 2, 3, 3\] must have shape \[1, 2, 2, 2\]/);
      code(() => maxPoolOp.outputShape({ op: 'avgPool', kernel: 2 }, [[1, 1, 4, 4]], {}), 'BAD_ARGUMENT', /maxPool got a spec for "avgPool"/);
      code(() => maxPoolOp.fast([x], { bias: Tensor.zeros([2]) }, { op: 'maxPool', kernel: 2 }, Tensor.zeros([1, 2, 2, 2]), fullRegion([1, 2, 2, 2])),
        'BAD_ARGUMENT', /unknown weight 'bias'/);
    });
  });

  it('reports windows and flops', () => {
    const g = maxPoolOp.window({ op: 'maxPool', kernel: 3, stride: 2, padding: 'same' }, [[1, 1, 8, 8]])!;
    expect([g.kh, g.sh, g.pt, g.pb, g.outH]).to.deep.equal([3, 2, 0, 1, 4]);
    expect(globalAvgPoolOp.window({ op: 'globalAvgPool' }, [[1, 1, 8, 8]])).to.equal(null);
    expect(avgPoolOp.flops({ op: 'avgPool', kernel: 2 }, [[1, 3, 4, 4]], [1, 3, 2, 2])).to.equal(12 * 5);
    expect(l2PoolOp.flops({ op: 'l2Pool', kernel: 2 }, [[1, 3, 4, 4]], [1, 3, 2, 2])).to.equal(12 * 9);
  });
});
