import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { add, addOp, addRef, type AddSpec } from '../src/ops/add/index.js';
import {
  caseOutShape, expectBitEqual, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, maxRelError, maybeEmbed, randomRegion,
  runCase, type OpCase,
} from './util.js';

const SPEC: AddSpec = { op: 'add' };

/** 2–4 inputs of one rank-2 or rank-4 shape, each independently a view or not. */
function randomCase(rand: () => number): OpCase<AddSpec> {
  const shape = rand() < 0.3
    ? [randInt(rand, 1, 3), randInt(rand, 1, 9)]
    : [randInt(rand, 1, 2), randInt(rand, 1, 5), randInt(rand, 1, 9), randInt(rand, 1, 9)];
  const k = rand() < 0.6 ? 2 : randInt(rand, 3, 4);
  const inputs = Array.from({ length: k }, () => maybeEmbed(randomTensor(shape, rand, -4, 4), rand));
  return { def: addOp, spec: SPEC, inputs };
}

describe('add', () => {
  it('known answers: two and three inputs', () => {
    const a = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]), b = Tensor.from([10, 20, 30, 40], [1, 1, 2, 2]);
    expect(add([a, b]).toArray()).to.deep.equal([11, 22, 33, 44]);
    expect(add([a, b, a]).toArray()).to.deep.equal([12, 24, 36, 48]);
    expect(add([Tensor.from([1, 2], [1, 2]), Tensor.from([0.5, -2], [1, 2])]).toArray()).to.deep.equal([1.5, 0]);
  });

  it('sums in input order with one rounding to float32', () => {
    // 1 + 2^-24 + 2^-24: in double the tiny terms survive and round up together; float32 steps would lose both.
    const t = (v: number): Tensor => Tensor.from([v], [1, 1]);
    expect(add([t(1), t(2 ** -24), t(2 ** -24)]).get(0, 0)).to.equal(Math.fround(1 + 2 ** -23));
    expect(add([t(2 ** 24), t(1), t(-(2 ** 24))]).get(0, 0)).to.equal(1);
  });

  it('fast equals reference bit for bit over 150 random cases (2–4 inputs, views, regions)', () => {
    const rand = rng(41);
    for (let i = 0; i < 150; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      expectBitEqual(runCase(c, 'fast', r), runCase(c, 'reference', r), `${c.inputs.length} × ${c.inputs[0]}`);
    }
  });

  it('any tiling is bit-identical and each tile writes only its region', () => {
    const rand = rng(42);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
  });

  it('inputRegion is exact for every input (NaN outside changes nothing, NaN on each edge shows)', () => {
    const rand = rng(43);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
  });

  it('matches float64 sums within 1e-5 relative (floor 1e-6)', () => {
    const rand = rng(44);
    for (let i = 0; i < 30; i++) {
      const c = randomCase(rand);
      const xs = c.inputs.map((t) => t.toFloat32Array());
      const want = Array.from(xs[0]!, (_, j) => xs.reduce((s, x) => s + x[j]!, 0));
      expect(maxRelError(runCase(c, 'fast').toFloat32Array(), want, 1e-6)).to.be.at.most(1e-5);
    }
  });

  it('Ref variant matches', () => {
    const rand = rng(45);
    const xs = [0, 1, 2].map(() => randomTensor([2, 3, 5, 7], rand));
    expectBitEqual(addRef(xs), add(xs));
  });

  describe('bad input', () => {
    it('inputs of different shapes', () => {
      expectTesseraError(() => add([Tensor.zeros([1, 2, 3, 3]), Tensor.zeros([1, 2, 3, 4])]), 'SHAPE_MISMATCH', /add input 1 has shape \[1, 2, 3, 4\], input 0 has \[1, 2, 3, 3\]/);
      expectTesseraError(() => add([Tensor.zeros([1, 2]), Tensor.zeros([1, 2]), Tensor.zeros([2, 1])]), 'SHAPE_MISMATCH', /input 2 has shape \[2, 1\]/);
    });
    it('fewer than two inputs, wrong rank', () => {
      expectTesseraError(() => add([Tensor.zeros([1, 2])]), 'BAD_ARGUMENT', /add takes 2 or more inputs, got 1/);
      expectTesseraError(() => add([Tensor.zeros([2]), Tensor.zeros([2])]), 'SHAPE_MISMATCH', /add input 0 must have rank 4 \(NCHW\) or 2 \(NC\), got shape \[2\]/);
    });
    it('NaN region', () => {
      const x = Tensor.zeros([1, 1, 2, 2]);
      expectTesseraError(() => add([x, x], undefined, { ...fullRegion(x.shape), n0: NaN }), 'BAD_REGION', /n0 must be an integer, got NaN/);
    });
  });

  it('reports inputRegion per input, window and flops', () => {
    const r = { n0: 0, n1: 1, c0: 1, c1: 2, y0: 0, y1: 3, x0: 1, x1: 2 };
    expect(addOp.inputRegion(SPEC, r, [[1, 2, 3, 3], [1, 2, 3, 3], [1, 2, 3, 3]], [1, 2, 3, 3], 2)).to.deep.equal(r);
    expect(addOp.inputRegion(SPEC, r, [[1, 2, 3, 3], [1, 2, 3, 3]], [1, 2, 3, 3], 2)).to.equal(null);
    expect(addOp.flops(SPEC, [[1, 2, 3, 3], [1, 2, 3, 3], [1, 2, 3, 3]], [1, 2, 3, 3])).to.equal(36);
    expect(addOp.window(SPEC, [[1, 2, 3, 3], [1, 2, 3, 3]])!.outH).to.equal(3);
  });
});
