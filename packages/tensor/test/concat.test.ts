import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { concat, concatOp, concatRef, type ConcatSpec } from '../src/ops/concat/index.js';
import {
  caseOutShape, expectBitEqual, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, maybeEmbed, randomRegion, runCase,
  type OpCase,
} from './util.js';

const SPEC: ConcatSpec = { op: 'concat' };

/** 1–4 rank-4 inputs with equal N, H, W and 1–4 channels each; wide rows sometimes, to hit the memcpy path. */
function randomCase(rand: () => number): OpCase<ConcatSpec> {
  const n = randInt(rand, 1, 2), h = randInt(rand, 1, 7), w = rand() < 0.2 ? randInt(rand, 60, 80) : randInt(rand, 1, 9);
  const k = randInt(rand, 1, 4);
  const inputs = Array.from({ length: k }, () => maybeEmbed(randomTensor([n, randInt(rand, 1, 4), h, w], rand), rand));
  return { def: concatOp, spec: SPEC, inputs };
}

describe('concat', () => {
  it('known answer: channels of each input in order', () => {
    const a = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]), b = Tensor.from([5, 6, 7, 8, 9, 10, 11, 12], [1, 2, 2, 2]);
    const out = concat([a, b]);
    expect(out.shape).to.deep.equal([1, 3, 2, 2]);
    expect(out.toArray()).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    // Batch 2: each batch element gets its own channels of each input.
    const c = Tensor.from([1, 2, 3, 4], [2, 1, 1, 2]), d = Tensor.from([5, 6, 7, 8], [2, 1, 1, 2]);
    expect(concat([c, d]).toArray()).to.deep.equal([1, 2, 5, 6, 3, 4, 7, 8]);
    expect(concat([a]).toArray()).to.deep.equal([1, 2, 3, 4]);
  });

  it('fast equals reference bit for bit over 150 random cases (views, regions)', () => {
    const rand = rng(51);
    for (let i = 0; i < 150; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      expectBitEqual(runCase(c, 'fast', r), runCase(c, 'reference', r), c.inputs.join(' + '));
    }
  });

  it('any tiling is bit-identical and each tile writes only its region', () => {
    const rand = rng(52);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
  });

  it('inputRegion is exact, and null for inputs the region takes no channel from', () => {
    const rand = rng(53);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    const shapes = [[1, 2, 3, 3], [1, 3, 3, 3], [1, 1, 3, 3]];
    const r = region(0, 1, 2, 4, 1, 2, 0, 3); // channels 2, 3: both from input 1
    expect(concatOp.inputRegion(SPEC, r, shapes, [1, 6, 3, 3], 0)).to.equal(null);
    expect(concatOp.inputRegion(SPEC, r, shapes, [1, 6, 3, 3], 1)).to.deep.equal(region(0, 1, 0, 2, 1, 2, 0, 3));
    expect(concatOp.inputRegion(SPEC, r, shapes, [1, 6, 3, 3], 2)).to.equal(null);
  });

  it('equals a float64 gather (a copy is exact)', () => {
    const rand = rng(54);
    for (let i = 0; i < 20; i++) {
      const c = randomCase(rand);
      const [n, , h, w] = c.inputs[0]!.dims4();
      const want: number[] = [];
      for (let a = 0; a < n; a++)
        for (const t of c.inputs)
          for (let k = 0; k < t.shape[1]!; k++) for (let y = 0; y < h; y++) for (let z = 0; z < w; z++) want.push(t.get(a, k, y, z));
      expect(runCase(c, 'fast').toArray()).to.deep.equal(want);
    }
  });

  it('Ref variant matches', () => {
    const rand = rng(55);
    const xs = [1, 3, 2].map((c) => randomTensor([2, c, 4, 5], rand));
    expectBitEqual(concatRef(xs), concat(xs));
  });

  describe('bad input', () => {
    it('inputs with different H, W or N', () => {
      expectTesseraError(() => concat([Tensor.zeros([1, 2, 4, 4]), Tensor.zeros([1, 1, 5, 4])]), 'SHAPE_MISMATCH', /concat input 1 \[1, 1, 5, 4\] does not match input 0 \[1, 2, 4, 4\] \(H 5 ≠ 4\)/);
      expectTesseraError(() => concat([Tensor.zeros([1, 2, 4, 4]), Tensor.zeros([1, 1, 4, 3])]), 'SHAPE_MISMATCH', /\(W 3 ≠ 4\)/);
      expectTesseraError(() => concat([Tensor.zeros([1, 2, 4, 4]), Tensor.zeros([2, 1, 4, 4])]), 'SHAPE_MISMATCH', /\(N 2 ≠ 1\)/);
    });
    it('wrong rank, no inputs, NaN region', () => {
      expectTesseraError(() => concat([Tensor.zeros([1, 2])]), 'SHAPE_MISMATCH', /concat input 0 must have rank 4 \(NCHW\), got shape \[1, 2\]/);
      expectTesseraError(() => concat([]), 'BAD_ARGUMENT', /concat takes 1 or more inputs, got 0/);
      const x = Tensor.zeros([1, 1, 2, 2]);
      expectTesseraError(() => concat([x, x], undefined, { ...fullRegion([1, 2, 2, 2]), c0: 0.5 }), 'BAD_REGION', /c0 must be an integer, got 0.5/);
    });
  });

  it('reports window and flops', () => {
    expect(concatOp.window(SPEC, [[1, 2, 4, 5], [1, 1, 4, 5]])!.outW).to.equal(5);
    expect(concatOp.flops(SPEC, [[1, 2, 4, 5]], [1, 2, 4, 5])).to.equal(0);
  });
});
