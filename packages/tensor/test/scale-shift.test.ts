import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, type Region } from '../src/region.js';
import { Tensor, copyRegion } from '../src/tensor.js';
import { scaleShift, scaleShiftOp, scaleShiftRef, type ScaleShiftSpec } from '../src/ops/scale-shift/index.js';
import {
  caseOutShape, embed, expectBitEqual, expectInputRegionExact, expectSameBits, expectTesseraError, expectTilingsBitEqual,
  expectWithinFastTolerance, maxRelError, maybeEmbed, randomRegion, runCase, type OpCase,
} from './util.js';

const SPEC: ScaleShiftSpec = { op: 'scaleShift' };

/** Rank 4 or 2, odd sizes, with or without shift, weights sometimes strided views. */
function randomCase(rand: () => number): OpCase<ScaleShiftSpec> {
  const shape = rand() < 0.3
    ? [randInt(rand, 1, 3), randInt(rand, 1, 9)]
    : [randInt(rand, 1, 2), randInt(rand, 1, 6), randInt(rand, 1, 9), randInt(rand, 1, 9)];
  const c = shape[1]!;
  // Rank-1 weights as strided views: every other element of a longer vector.
  const vec = (): Tensor => {
    const v = randomTensor([c], rand, -2, 2);
    if (rand() < 0.5) return v;
    const wide = Tensor.filled([2 * c], NaN);
    for (let i = 0; i < c; i++) wide.data[2 * i] = v.data[i]!;
    return new Tensor(wide.data, [c], [2], 0);
  };
  const weights = rand() < 0.3 ? { scale: vec() } : { scale: vec(), shift: vec() };
  return { def: scaleShiftOp, spec: SPEC, inputs: [maybeEmbed(randomTensor(shape, rand, -3, 3), rand)], weights };
}

/**
 * Test-local float32 definition, the kernel engine's epilogue step
 * (kernels/engine.h): a float32 multiply, then a float32 add,
 * fround(fround(x · s) + t); fround(x · s) without a shift. On region `r`
 * (all by default), zeros elsewhere.
 */
function scaleShift32(c: OpCase<ScaleShiftSpec>, r?: Region): Tensor {
  const x = c.inputs[0]!, [n, ch, h, w] = x.dims4();
  const s = c.weights!.scale!, t = c.weights!.shift;
  const all = Tensor.zeros([n, ch, h, w]);
  for (let a = 0; a < n; a++) for (let k = 0; k < ch; k++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) {
    const v = x.rank === 4 ? x.get(a, k, y, z) : x.get(a, k);
    const p = Math.fround(v * s.get(k));
    all.set(t ? Math.fround(p + t.get(k)) : p, a, k, y, z);
  }
  const out = Tensor.zeros(x.shape);
  copyRegion(all.reshape(x.shape), out, r ?? fullRegion(x.shape));
  return out;
}

describe('scaleShift', () => {
  it('known answer: x·scale[c] + shift[c] per channel', () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const out = scaleShift(x, Tensor.from([2, -1], [2]), Tensor.from([0.5, 10], [2]));
    expect(out.toArray()).to.deep.equal([2.5, 4.5, 6.5, 8.5, 5, 4, 3, 2]);
    expect(scaleShift(x, Tensor.from([3, 0.5], [2])).toArray()).to.deep.equal([3, 6, 9, 12, 2.5, 3, 3.5, 4]);
    // Rank 2: channel is axis 1.
    expect(scaleShift(Tensor.from([1, 1, 2, 2], [2, 2]), Tensor.from([3, 4], [2]), Tensor.from([1, 0], [2])).toArray()).to.deep.equal([4, 4, 7, 8]);
  });

  it('a float32 multiply then a float32 add, not one rounding of x·s + t (the fused epilogue of conv2d and dense)', () => {
    // x = s = t = fround(1/3): x·s + t rounded once (the float64 reference) and
    // fround(fround(x·s) + t) (the engine, and so the fast kernel) differ in the last bit.
    const third = Math.fround(1 / 3);
    const engine = Math.fround(Math.fround(third * third) + third), once = Math.fround(third * third + third);
    expect(engine).to.not.equal(once); // the example tells the two apart
    const x = Tensor.from([third, 3], [1, 2]), s = Tensor.from([third, 0.7], [2]), t = Tensor.from([third, third], [2]);
    const second = Math.fround(Math.fround(3 * Math.fround(0.7)) + third);
    expect(scaleShift(x, s, t).toArray()).to.deep.equal([engine, second]);
    expect(scaleShiftRef(x, s, t).toArray()).to.deep.equal([once, Math.fround(3 * Math.fround(0.7) + third)]);
    expectWithinFastTolerance(scaleShift(x, s, t), scaleShiftRef(x, s, t));
  });

  it('over 150 random cases (views, regions, no shift): fast = float32 definition bit for bit; = reference without shift, within FAST_TOLERANCE with', () => {
    const rand = rng(31);
    let plain = 0;
    for (let i = 0; i < 150; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      const what = `${c.inputs[0]} shift ${!!c.weights!.shift}`;
      const fast = runCase(c, 'fast', r), ref = runCase(c, 'reference', r);
      expectSameBits(fast, scaleShift32(c, r), what);
      if (c.weights!.shift) {
        expectWithinFastTolerance(fast, ref, what);
      } else {
        plain++;
        expectSameBits(fast, ref, what); // x·s of two float32 values is exact in float64: one rounding either way
      }
    }
    expect(plain).to.be.above(20);
  });

  it('any tiling is bit-identical and each tile writes only its region', () => {
    const rand = rng(32);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
  });

  it('inputRegion is exact (NaN outside changes nothing, NaN on each edge shows)', () => {
    const rand = rng(33);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
  });

  it('matches float64 loops within 1e-5 relative (floor 1e-6)', () => {
    const rand = rng(34);
    for (let i = 0; i < 30; i++) {
      const c = randomCase(rand);
      const x = c.inputs[0]!, [n, ch, h, w] = x.dims4();
      const s = c.weights!.scale!, b = c.weights!.shift;
      const want: number[] = [];
      for (let a = 0; a < n; a++) for (let k = 0; k < ch; k++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) {
        const v = x.rank === 4 ? x.get(a, k, y, z) : x.get(a, k);
        want.push(v * s.get(k) + (b ? b.get(k) : 0));
      }
      expect(maxRelError(runCase(c, 'fast').toFloat32Array(), want, 1e-6)).to.be.at.most(1e-5);
    }
  });

  it('Ref variant and a strided out through the public functions', () => {
    const rand = rng(35);
    const x = randomTensor([1, 3, 4, 5], rand), s = randomTensor([3], rand), b = randomTensor([3], rand);
    const out = embed(Tensor.zeros([1, 3, 4, 5]), rand);
    scaleShift(x, s, b, out);
    expectWithinFastTolerance(out, scaleShiftRef(x, s, b));
    expectBitEqual(out, scaleShift(x, s, b));
    expectBitEqual(scaleShift(x, s), scaleShiftRef(x, s));
  });

  describe('bad input', () => {
    const x = Tensor.zeros([1, 3, 4, 4]);
    it('scale or shift of the wrong length', () => {
      expectTesseraError(() => scaleShift(x, Tensor.zeros([4])), 'SHAPE_MISMATCH', /scaleShift scale \[4\] must be \[3\]/);
      expectTesseraError(() => scaleShift(x, Tensor.zeros([3]), Tensor.zeros([2])), 'SHAPE_MISMATCH', /scaleShift shift \[2\] must be \[3\]/);
      expectTesseraError(() => scaleShift(x, Tensor.zeros([1, 3])), 'SHAPE_MISMATCH', /scale \[1, 3\] must be \[3\]/);
    });
    it('missing scale, unknown weight, wrong rank', () => {
      expectTesseraError(() => scaleShiftOp.outputShape(SPEC, [[1, 3, 4, 4]], {}), 'BAD_ARGUMENT', /scaleShift needs a scale tensor \[3\]/);
      expectTesseraError(() => scaleShiftOp.outputShape(SPEC, [[1, 3, 4, 4]], { scale: [3], bias: [3] }), 'BAD_ARGUMENT', /unknown weight 'bias'/);
      expectTesseraError(() => scaleShift(Tensor.zeros([3, 4, 4]), Tensor.zeros([4])), 'SHAPE_MISMATCH', /rank 4 \(NCHW\) or 2 \(NC\), got shape \[3, 4, 4\]/);
    });
    it('NaN region and a weight that is not a Tensor', () => {
      expectTesseraError(() => scaleShift(x, Tensor.zeros([3]), undefined, undefined, { ...fullRegion(x.shape), c1: NaN }), 'BAD_REGION', /c1 must be an integer, got NaN/);
      expectTesseraError(() => scaleShift(x, new Float32Array(3) as never), 'BAD_ARGUMENT', /weight 'scale' must be a Tensor/);
    });
  });

  it('reports window and flops', () => {
    expect(scaleShiftOp.window(SPEC, [[1, 3, 6, 7]])!.outW).to.equal(7);
    expect(scaleShiftOp.flops(SPEC, [[1, 3, 6, 7]], [1, 3, 6, 7])).to.equal(2 * 126);
    expect(scaleShiftOp.requiredWeights).to.deep.equal(['scale']);
  });
});
