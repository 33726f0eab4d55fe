import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { dense, denseOp, denseRef, type DenseSpec } from '../src/ops/dense/index.js';
import {
  caseOutShape, expectBitEqual, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, maxRelError, maybeEmbed, randomRegion,
  runCase, type OpCase,
} from './util.js';

const SPEC: DenseSpec = { op: 'dense' };

/** Rank-2 or rank-4 input, F 1–21 (full blocks of 8 and tails), bias half the time, strided weights sometimes. */
function randomCase(rand: () => number): OpCase<DenseSpec> {
  const n = randInt(rand, 1, 3);
  const shape = rand() < 0.5 ? [n, randInt(rand, 1, 40)] : [n, randInt(rand, 1, 4), randInt(rand, 1, 4), randInt(rand, 1, 4)];
  const k = shape.slice(1).reduce((a, b) => a * b, 1);
  const f = rand() < 0.3 ? 8 * randInt(rand, 1, 2) : randInt(rand, 1, 21);
  const weight = maybeEmbed(randomTensor([k, f], rand), rand);
  const weights = rand() < 0.5 ? { weight } : { weight, bias: randomTensor([f], rand) };
  return { def: denseOp, spec: SPEC, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)], weights };
}

describe('dense', () => {
  it('known answers: x·W (+ bias), rank-4 input flattened in NCHW order', () => {
    const x = Tensor.from([1, 2, 3], [1, 3]);
    const w = Tensor.from([1, 0, 0, 1, 1, 1], [3, 2]);
    expect(dense(x, w).toArray()).to.deep.equal([4, 5]);
    const out = dense(x, w, Tensor.from([0.5, -1], [2]));
    expect(out.shape).to.deep.equal([1, 2]);
    expect(out.toArray()).to.deep.equal([4.5, 4]);
    // [1, 2, 1, 2] flattens to k = (c·H + y)·W + x: [a, b, c, d] = [1, 2, 3, 4].
    const x4 = Tensor.from([1, 2, 3, 4], [1, 2, 1, 2]);
    expect(dense(x4, Tensor.from([1, 10, 100, 1000], [4, 1])).toArray()).to.deep.equal([4321]);
    // Batch of two rows.
    expect(dense(Tensor.from([1, 0, 0, 1], [2, 2]), Tensor.from([1, 2, 3, 4], [2, 2])).toArray()).to.deep.equal([1, 2, 3, 4]);
  });

  it('sums k = 0 … K−1 in order in every block, tail and region', () => {
    // Column [2^60, 1, −2^60, 1]: ascending order gives 2^60 (the 1 is absorbed), 0, then 1.
    // Any other order (descending gives 0) would show. Nine columns: one block of 8 plus a tail.
    const col = [2 ** 60, 1, -(2 ** 60), 1];
    const w = Tensor.from(col.flatMap((v) => new Array(9).fill(v)), [4, 9]);
    const x = Tensor.from([1, 1, 1, 1], [1, 4]);
    expect(dense(x, w).toArray()).to.deep.equal(new Array(9).fill(1));
    expect(denseRef(x, w).toArray()).to.deep.equal(new Array(9).fill(1));
    const out = Tensor.zeros([1, 9]);
    for (const [a, b] of [[0, 3], [3, 4], [4, 9]] as const) dense(x, w, undefined, out, region(0, 1, a, b, 0, 1, 0, 1));
    expect(out.toArray()).to.deep.equal(new Array(9).fill(1));
  });

  it('fast (blocked) equals reference bit for bit over 150 random cases', () => {
    const rand = rng(81);
    for (let i = 0; i < 150; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      expectBitEqual(runCase(c, 'fast', r), runCase(c, 'reference', r), `${c.inputs[0]} · ${c.weights!.weight}`);
    }
  });

  it('any tiling (cutting output blocks anywhere) is bit-identical and each tile writes only its region', () => {
    const rand = rng(82);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
    // Every single-output region agrees with the blocked whole.
    const c = randomCase(rng(83));
    const whole = runCase(c, 'fast');
    const [n, f] = whole.shape as [number, number];
    const out = Tensor.zeros(whole.shape);
    for (let a = 0; a < n; a++) for (let b = 0; b < f; b++) runCase(c, 'fast', region(a, a + 1, b, b + 1, 0, 1, 0, 1), out);
    expectBitEqual(out, whole);
  });

  it('inputRegion is exact: whole rows of the region’s batch elements', () => {
    const rand = rng(84);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    expect(denseOp.inputRegion(SPEC, region(1, 2, 3, 5, 0, 1, 0, 1), [[3, 2, 3, 4]], [3, 7], 0)).to.deep.equal(region(1, 2, 0, 2, 0, 3, 0, 4));
  });

  it('matches float64 dot products within 1e-5 relative (floor 1e-6)', () => {
    const rand = rng(85);
    for (let i = 0; i < 30; i++) {
      const c = randomCase(rand);
      const x = c.inputs[0]!, w = c.weights!.weight!, b = c.weights!.bias;
      const n = x.shape[0]!, [k, f] = w.shape as [number, number];
      const xs = x.toFloat32Array(), ws = w.toFloat32Array();
      const want: number[] = [];
      for (let a = 0; a < n; a++)
        for (let j = 0; j < f; j++) {
          let s = b ? b.get(j) : 0;
          for (let q = 0; q < k; q++) s += xs[a * k + q]! * ws[q * f + j]!;
          want.push(s);
        }
      expect(maxRelError(runCase(c, 'fast').toFloat32Array(), want, 1e-6)).to.be.at.most(1e-5);
    }
  });

  it('Ref variant matches', () => {
    const rand = rng(86);
    const x = randomTensor([2, 256], rand), w = randomTensor([256, 136], rand), b = randomTensor([136], rand);
    expectBitEqual(denseRef(x, w, b), dense(x, w, b));
  });

  describe('bad input', () => {
    const x = Tensor.zeros([2, 6]);
    it('weight whose K does not match the input', () => {
      expectTesseraError(() => dense(x, Tensor.zeros([5, 3])), 'SHAPE_MISMATCH', /dense weight \[5, 3\] expects K = 5 inputs, input \[2, 6\] has K = 6/);
      expectTesseraError(() => dense(Tensor.zeros([1, 2, 2, 2]), Tensor.zeros([4, 3])), 'SHAPE_MISMATCH', /input \[1, 2, 2, 2\] has K = 8 \(C·H·W\)/);
    });
    it('bias of the wrong length, weight of the wrong rank, missing weight', () => {
      expectTesseraError(() => dense(x, Tensor.zeros([6, 3]), Tensor.zeros([4])), 'SHAPE_MISMATCH', /dense bias \[4\] must be \[3\]/);
      expectTesseraError(() => dense(x, Tensor.zeros([6, 3, 1])), 'SHAPE_MISMATCH', /dense weight must have rank 2 \[K, F\], got \[6, 3, 1\]/);
      expectTesseraError(() => denseOp.outputShape(SPEC, [[2, 6]], {}), 'BAD_ARGUMENT', /dense needs a weight tensor \[6, F\]/);
    });
    it('wrong input rank, NaN region', () => {
      expectTesseraError(() => dense(Tensor.zeros([6]), Tensor.zeros([6, 3])), 'SHAPE_MISMATCH', /dense input must have rank 4 \(NCHW\) or 2 \(NC\), got shape \[6\]/);
      expectTesseraError(() => dense(x, Tensor.zeros([6, 3]), undefined, undefined, { ...fullRegion([2, 3]), c1: NaN }), 'BAD_REGION', /c1 must be an integer, got NaN/);
      expectTesseraError(() => dense(x, Tensor.zeros([6, 3]), undefined, undefined, region(0, 1, 0, 3, 0, 2, 0, 1)), 'BAD_REGION', /axis y/);
    });
  });

  it('has no fixed window; flops 2·N·K·F + N·F', () => {
    expect(denseOp.window(SPEC, [[1, 6]])).to.equal(null);
    expect(denseOp.flops(SPEC, [[2, 3, 2, 1]], [2, 5])).to.equal(2 * 5 * 13);
  });
});
