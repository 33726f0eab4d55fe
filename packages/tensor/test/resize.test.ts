import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { engineTensor, releaseEngineTensor } from '../src/engine/tensors.js';
import { repeatOf } from '../src/engine/resize.js';
import { nearestSource, resizeBilinear, resizeBilinearRef, resizeOp, type NearestCoordinates, type NearestRounding, type ResizeSpec } from '../src/ops/resize/index.js';
import {
  caseOutShape, expectBitEqual, expectClose, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, maxRelError, maybeEmbed,
  randomRegion, randomTiling, runCase, type OpCase,
} from './util.js';

type Mode = Pick<ResizeSpec, 'alignCorners' | 'halfPixelCenters'>;
const MODES: Record<string, Mode> = {
  legacy: {},
  alignCorners: { alignCorners: true },
  halfPixelCenters: { halfPixelCenters: true },
};

/** Up- and down-sampling of odd sizes in every mode, batch ≤ 2. */
function randomCase(rand: () => number): OpCase<ResizeSpec> {
  const mode = Object.values(MODES)[randInt(rand, 0, 2)]!;
  const shape = [randInt(rand, 1, 2), randInt(rand, 1, 3), randInt(rand, 1, 11), randInt(rand, 1, 11)];
  const spec: ResizeSpec = { op: 'resize', height: randInt(rand, 1, 15), width: randInt(rand, 1, 15), ...mode };
  return { def: resizeOp, spec, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)] };
}

/** Test-local float64 bilinear from TF's definition, written as weights (1 − l)·a + l·b. */
function resize64(x: Tensor, spec: ResizeSpec): number[] {
  const [n, c, h, w] = x.dims4();
  const src = (o: number, inn: number, out: number): [number, number, number] => {
    const scale = spec.alignCorners && out > 1 ? (inn - 1) / (out - 1) : inn / out;
    const s = spec.halfPixelCenters ? (o + 0.5) * scale - 0.5 : o * scale;
    const lo = Math.floor(s);
    return [Math.min(inn - 1, Math.max(0, lo)), Math.min(inn - 1, Math.max(0, lo + 1)), s - lo];
  };
  const out: number[] = [];
  for (let a = 0; a < n; a++)
    for (let k = 0; k < c; k++)
      for (let oy = 0; oy < spec.height; oy++)
        for (let ox = 0; ox < spec.width; ox++) {
          const [y0, y1, ly] = src(oy, h, spec.height), [x0, x1, lx] = src(ox, w, spec.width);
          const g = (y: number, z: number): number => x.get(a, k, y, z);
          out.push((1 - ly) * ((1 - lx) * g(y0, x0) + lx * g(y0, x1)) + ly * ((1 - lx) * g(y1, x0) + lx * g(y1, x1)));
        }
  return out;
}

describe('resize (bilinear, as TensorFlow)', () => {
  const x2 = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]);
  const x4 = Tensor.from(Array.from({ length: 16 }, (_, i) => i), [1, 1, 4, 4]); // value 4y + x: bilinear reproduces it exactly

  it('2×2 → 3×3 in all three modes (hand-computed TF values)', () => {
    // legacy: scale 2/3, sources 0, 2/3, 4/3 (the last clamps to row/col 1): TF's well-known asymmetric result.
    expectClose(resizeBilinear(x2, { height: 3, width: 3 }).toArray(),
      [1, 5 / 3, 2, 7 / 3, 3, 10 / 3, 3, 11 / 3, 4], 1e-6, 'legacy');
    // alignCorners: scale 1/2, sources 0, 0.5, 1.
    expect(resizeBilinear(x2, { height: 3, width: 3, alignCorners: true }).toArray()).to.deep.equal([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
    // halfPixelCenters: sources −1/6 (clamped to 0), 0.5, 7/6 (clamped to 1).
    expect(resizeBilinear(x2, { height: 3, width: 3, halfPixelCenters: true }).toArray()).to.deep.equal([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });

  it('4×4 → 3×3 in all three modes (hand-computed TF values)', () => {
    const grid = (ys: number[], xs: number[]): number[] => ys.flatMap((y) => xs.map((x) => 4 * y + x));
    // legacy: scale 4/3, sources 0, 4/3, 8/3.
    expectClose(resizeBilinear(x4, { height: 3, width: 3 }).toArray(), grid([0, 4 / 3, 8 / 3], [0, 4 / 3, 8 / 3]), 1e-6, 'legacy');
    // alignCorners: scale 3/2, sources 0, 1.5, 3.
    expect(resizeBilinear(x4, { height: 3, width: 3, alignCorners: true }).toArray()).to.deep.equal([0, 1.5, 3, 6, 7.5, 9, 12, 13.5, 15]);
    // halfPixelCenters: scale 4/3, sources 1/6, 1.5, 17/6.
    expectClose(resizeBilinear(x4, { height: 3, width: 3, halfPixelCenters: true }).toArray(), grid([1 / 6, 1.5, 17 / 6], [1 / 6, 1.5, 17 / 6]), 1e-6, 'half');
  });

  it('edge cases: half-pixel clamping, 1-pixel outputs, identity, non-square', () => {
    // [1, 2] → 4 wide with half-pixel centres: sources −0.25, 0.25, 0.75, 1.25.
    expect(resizeBilinear(Tensor.from([1, 2], [1, 1, 1, 2]), { height: 1, width: 4, halfPixelCenters: true }).toArray()).to.deep.equal([1, 1.25, 1.75, 2]);
    // alignCorners with a 1-pixel output falls back to in/out (TF): source 0.
    expect(resizeBilinear(x4, { height: 1, width: 1, alignCorners: true }).toArray()).to.deep.equal([0]);
    expect(resizeBilinear(x4, { height: 1, width: 1, halfPixelCenters: true }).toArray()).to.deep.equal([7.5]); // sources 1.5, 1.5: 4·1.5 + 1.5
    for (const mode of Object.values(MODES)) expectBitEqual(resizeBilinear(x4, { height: 4, width: 4, ...mode }), x4, JSON.stringify(mode));
    // legacy 4×4 → 2×8: rows 0, 2; columns 0, 0.5, …, 3.5 (the last clamps between column 3 and 3).
    expect(resizeBilinear(x4, { height: 2, width: 8 }).toArray()).to.deep.equal([0, 0.5, 1, 1.5, 2, 2.5, 3, 3, 8, 8.5, 9, 9.5, 10, 10.5, 11, 11]);
  });

  it('fast equals reference bit for bit over 150 random up/down sizes in all modes', () => {
    const rand = rng(71);
    for (let i = 0; i < 150; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      expectBitEqual(runCase(c, 'fast', r), runCase(c, 'reference', r), `${JSON.stringify(c.spec)} ${c.inputs[0]}`);
    }
  });

  it('any tiling is bit-identical and each tile writes only its region', () => {
    const rand = rng(72);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
  });

  it('inputRegion is exactly the source rows/columns read', () => {
    const rand = rng(73);
    for (let i = 0; i < 60; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    // Legacy 8 → 2 reads rows 0 and 4 only: the box is [0, 5), not the whole input.
    const spec: ResizeSpec = { op: 'resize', height: 2, width: 2 };
    expect(resizeOp.inputRegion(spec, fullRegion([1, 1, 2, 2]), [[1, 1, 8, 8]], [1, 1, 2, 2], 0)).to.deep.equal(region(0, 1, 0, 1, 0, 5, 0, 5));
    // Output row 1 of 2×2 → 3×3 legacy reads rows 0 and 1; row 2 reads row 1 only.
    expect(resizeOp.inputRegion(spec, region(0, 1, 0, 1, 2, 3, 0, 1), [[1, 1, 2, 2]], [1, 1, 3, 3], 0)).to.deep.equal(region(0, 1, 0, 1, 1, 2, 0, 1));
  });

  it('matches float64 weights-form bilinear within 1e-5 relative (floor 1e-6)', () => {
    const rand = rng(74);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      expect(maxRelError(runCase(c, 'fast').toFloat32Array(), resize64(c.inputs[0]!, c.spec), 1e-6), JSON.stringify(c.spec)).to.be.at.most(1e-5);
    }
  });

  it('Ref variant matches', () => {
    const x = randomTensor([2, 3, 7, 5], 75);
    for (const mode of Object.values(MODES)) expectBitEqual(resizeBilinearRef(x, { height: 11, width: 4, ...mode }), resizeBilinear(x, { height: 11, width: 4, ...mode }));
  });

  describe('bad input', () => {
    it('zero, negative, fractional or NaN sizes', () => {
      expectTesseraError(() => resizeBilinear(x2, { height: 0, width: 3 }), 'BAD_ARGUMENT', /resize height must be an integer ≥ 1, got 0/);
      expectTesseraError(() => resizeBilinear(x2, { height: 3, width: -2 }), 'BAD_ARGUMENT', /resize width must be an integer ≥ 1, got -2/);
      expectTesseraError(() => resizeBilinear(x2, { height: 2.5, width: 3 }), 'BAD_ARGUMENT', /got 2.5/);
      expectTesseraError(() => resizeBilinear(x2, { height: NaN, width: 3 }), 'BAD_ARGUMENT', /got NaN/);
    });
    it('both alignCorners and halfPixelCenters, a non-boolean flag', () => {
      expectTesseraError(() => resizeBilinear(x2, { height: 3, width: 3, alignCorners: true, halfPixelCenters: true }), 'BAD_ARGUMENT', /halfPixelCenters requires alignCorners false/);
      expectTesseraError(() => resizeBilinear(x2, { height: 3, width: 3, alignCorners: 1 as never }), 'BAD_ARGUMENT', /alignCorners must be true or false, got 1/);
    });
    it('wrong rank, NaN region', () => {
      expectTesseraError(() => resizeBilinear(Tensor.zeros([2, 2]), { height: 3, width: 3 }), 'SHAPE_MISMATCH', /resize input must have rank 4 \(NCHW\), got shape \[2, 2\]/);
      expectTesseraError(() => resizeBilinear(x2, { height: 3, width: 3 }, undefined, { ...fullRegion([1, 1, 3, 3]), x1: NaN }), 'BAD_REGION', /x1 must be an integer, got NaN/);
    });
  });

  it('has no fixed window; 9 flops per output', () => {
    expect(resizeOp.window({ op: 'resize', height: 3, width: 3 }, [[1, 1, 2, 2]])).to.equal(null);
    expect(resizeOp.flops({ op: 'resize', height: 3, width: 3 }, [[1, 2, 2, 2]], [1, 2, 3, 3])).to.equal(162);
  });
});

describe('resize nearest (ONNX coordinate and rounding modes)', () => {
  const COORDS: readonly NearestCoordinates[] = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'];
  const ROUNDS: readonly NearestRounding[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
  const near = (x: Tensor, s: Omit<ResizeSpec, 'op' | 'mode'>): Tensor => resizeBilinear(x, { ...s, mode: 'nearest' });

  it('known answers: 2× up repeats cells; ties at .5 go as the rounding says', () => {
    const x = Tensor.from([1, 2, 3], [1, 1, 1, 3]);
    expect(near(x, { height: 1, width: 6 }).toArray()).to.deep.equal([1, 1, 2, 2, 3, 3]);
    // asymmetric 3 → 2: x = o·1.5 → 0, 1.5: the tie rounds down (prefer floor) or up (prefer ceil, ceil).
    expect(near(x, { height: 1, width: 2 }).toArray()).to.deep.equal([1, 2]);
    expect(near(x, { height: 1, width: 2, nearestMode: 'round_prefer_ceil' }).toArray()).to.deep.equal([1, 3]);
    expect(near(x, { height: 1, width: 2, nearestMode: 'ceil' }).toArray()).to.deep.equal([1, 3]);
    // half_pixel 3 → 2: x = (o + 0.5)·1.5 − 0.5 = 0.25, 1.75 → cells 0, 2.
    expect(near(x, { height: 1, width: 2, coordinates: 'half_pixel' }).toArray()).to.deep.equal([1, 3]);
    // align_corners 3 → 5: x = o/2 → 0, 0.5, 1, 1.5, 2 → floor ties: 0, 0, 1, 1, 2.
    expect(near(x, { height: 1, width: 5, coordinates: 'align_corners' }).toArray()).to.deep.equal([1, 1, 2, 2, 3]);
    // A size-1 output: pytorch_half_pixel and align_corners read cell 0, half_pixel the centre.
    expect(near(x, { height: 1, width: 1, coordinates: 'pytorch_half_pixel' }).toArray()).to.deep.equal([1]);
    expect(near(x, { height: 1, width: 1, coordinates: 'half_pixel' }).toArray()).to.deep.equal([2]);
    expect(nearestSource(5, 3, 6, 'tf_half_pixel_for_nn', 'floor')).to.equal(2);
  });

  /** Random sizes up and down, every coordinate and rounding mode, batch ≤ 2, strided inputs. */
  function nearestCase(rand: () => number): OpCase<ResizeSpec> {
    const shape = [randInt(rand, 1, 2), randInt(rand, 1, 3), randInt(rand, 1, 11), randInt(rand, 1, 11)];
    const spec: ResizeSpec = {
      op: 'resize', mode: 'nearest', height: randInt(rand, 1, 19), width: randInt(rand, 1, 19),
      coordinates: COORDS[randInt(rand, 0, COORDS.length - 1)]!, nearestMode: ROUNDS[randInt(rand, 0, ROUNDS.length - 1)]!,
    };
    return { def: resizeOp, spec, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)] };
  }

  it('fast equals the reference bit for bit; every output is a copy of an input cell', () => {
    const rand = rng(81);
    for (let t = 0; t < 80; t++) {
      const c = nearestCase(rand);
      const a = runCase(c, 'fast'), b = runCase(c, 'reference');
      expectBitEqual(a, b, JSON.stringify(c.spec));
      const cells = new Set(c.inputs[0]!.toFloat32Array());
      for (const v of a.toFloat32Array()) expect(cells.has(v)).to.equal(true);
    }
  });

  it('tilings are bit-identical and inputRegion is exact', () => {
    const rand = rng(82);
    for (let t = 0; t < 40; t++) {
      const c = nearestCase(rand);
      expectTilingsBitEqual(c, rand, 1, 2);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
  });

  it('refuses mixing bilinear flags with nearest options and unknown modes', () => {
    const x = randomTensor([1, 1, 3, 3], 1);
    expectTesseraError(() => resizeBilinear(x, { height: 2, width: 2, mode: 'nearest', alignCorners: true }), 'BAD_ARGUMENT', /alignCorners and halfPixelCenters are for mode 'bilinear'/);
    expectTesseraError(() => resizeBilinear(x, { height: 2, width: 2, nearestMode: 'floor' }), 'BAD_ARGUMENT', /coordinates and nearestMode are for mode 'nearest'/);
    expectTesseraError(() => resizeBilinear(x, { height: 2, width: 2, mode: 'cubic' as never }), 'BAD_ARGUMENT', /resize mode/);
    expectTesseraError(() => resizeBilinear(x, { height: 2, width: 2, mode: 'nearest', coordinates: 'tf_crop_and_resize' as never }), 'BAD_ARGUMENT', /resize coordinates/);
  });
});

describe('resize nearest on engine memory (kernels/resize.c)', () => {
  const COORDS: readonly NearestCoordinates[] = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'];
  const ROUNDS: readonly NearestRounding[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

  /** Integer upscales (the kernel's vector paths: 1×, 2×, 4×, 8×, and 3×, 5× scalar) half the time, else any size; odd sizes, every mode. */
  function spec(rand: () => number, h: number, w: number): ResizeSpec {
    const f = [1, 2, 3, 4, 5, 8][randInt(rand, 0, 5)]!;
    const up = rand() < 0.5;
    return {
      op: 'resize', mode: 'nearest', height: up ? h * f : randInt(rand, 1, 37), width: up ? w * [1, 2, 3, 4, 5, 8][randInt(rand, 0, 5)]! : randInt(rand, 1, 37),
      coordinates: COORDS[randInt(rand, 0, COORDS.length - 1)]!, nearestMode: ROUNDS[randInt(rand, 0, ROUNDS.length - 1)]!,
    };
  }

  it('equals the reference bit for bit over regions and tilings of 150 random problems', () => {
    const rand = rng(83);
    for (let t = 0; t < 150; t++) {
      const shape = [randInt(rand, 1, 2), randInt(rand, 1, 4), randInt(rand, 1, 13), randInt(rand, 1, 21)];
      const s = spec(rand, shape[2]!, shape[3]!);
      const x = randomTensor(shape, rand, -2, 2);
      const outShape = [shape[0]!, shape[1]!, s.height, s.width];
      const want = runCase({ def: resizeOp, spec: s, inputs: [x] }, 'reference');
      const ex = engineTensor(shape), eo = engineTensor(outShape);
      try {
        ex.data.set(x.toFloat32Array());
        const r = rand() < 0.5 ? fullRegion(outShape) : randomRegion(outShape, rand);
        eo.data.fill(-7);
        for (const part of randomTiling(r, rand)) resizeOp.fast([ex], {}, s, eo, part);
        const got = eo.toFloat32Array();
        const full = want.toFloat32Array();
        // inside the region the reference's cells, outside untouched
        for (let i = 0; i < got.length; i++) {
          const [n, c, y, xx] = [Math.floor(i / (outShape[1]! * s.height * s.width)), Math.floor(i / (s.height * s.width)) % outShape[1]!, Math.floor(i / s.width) % s.height, i % s.width];
          const inside = n >= r.n0 && n < r.n1 && c >= r.c0 && c < r.c1 && y >= r.y0 && y < r.y1 && xx >= r.x0 && xx < r.x1;
          if (!Object.is(got[i], inside ? full[i] : -7)) expect.fail(`${JSON.stringify(s)} [${shape}] region ${JSON.stringify(r)}: element ${i} is ${got[i]}, want ${inside ? full[i] : -7}`);
        }
      } finally {
        releaseEngineTensor(ex); releaseEngineTensor(eo);
      }
    }
  });

  it('large maps in ordinary memory (staged through engine memory) equal the reference bit for bit, any tiling', () => {
    const rand = rng(84);
    for (let t = 0; t < 8; t++) {
      const h = randInt(rand, 5, 24), w = randInt(rand, 5, 24), f = [2, 4, 8][randInt(rand, 0, 2)]!;
      const s: ResizeSpec = { op: 'resize', mode: 'nearest', height: h * f, width: w * f, coordinates: 'asymmetric', nearestMode: t % 2 ? 'floor' : 'round_prefer_ceil' };
      const c = { def: resizeOp, spec: s, inputs: [maybeEmbed(randomTensor([1, randInt(rand, 3, 24), h, w], rand), rand)] };
      const want = runCase(c, 'reference');
      expectBitEqual(runCase(c, 'fast'), want, `${JSON.stringify(s)} whole`);
      const out = Tensor.zeros(want.shape);
      for (const part of randomTiling(fullRegion(want.shape), rand)) resizeOp.fast(c.inputs, {}, s, out, part);
      expectBitEqual(out, want, `${JSON.stringify(s)} tiled`);
    }
  });

  it('repeatOf finds integer upscales at any phase and refuses the rest', () => {
    expect(repeatOf(Int32Array.from([4, 4, 5, 5, 6, 6]))).to.deep.equal({ factor: 2, phase: 0 });
    expect(repeatOf(Int32Array.from([4, 5, 5, 6, 6, 7]))).to.deep.equal({ factor: 2, phase: 1 });
    expect(repeatOf(Int32Array.from([4, 4, 4, 5]))).to.deep.equal({ factor: 3, phase: 0 });
    expect(repeatOf(Int32Array.from([4, 5, 6]))).to.deep.equal({ factor: 1, phase: 0 });
    expect(repeatOf(Int32Array.from([4, 6, 8]))).to.deep.equal({ factor: 0, phase: 0 });
    expect(repeatOf(Int32Array.from([4, 4, 5, 5, 5, 6]))).to.deep.equal({ factor: 3, phase: 1 });
    expect(repeatOf(Int32Array.from([4, 5, 5, 6, 6, 6]))).to.deep.equal({ factor: 0, phase: 0 });
    expect(repeatOf(Int32Array.from([4, 4, 5, 6, 6]))).to.deep.equal({ factor: 0, phase: 0 });
    expect(repeatOf(Int32Array.from([4, 4, 4, 5, 5]))).to.deep.equal({ factor: 3, phase: 0 });
  });
});
