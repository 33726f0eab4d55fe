import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { softmax, softmaxOp, softmaxRef, type SoftmaxSpec } from '../src/ops/softmax/index.js';
import {
  caseOutShape, expectBitEqual, expectClose, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, maxRelError, maybeEmbed,
  randomRegion, runCase, type OpCase,
} from './util.js';

const SPEC: SoftmaxSpec = { op: 'softmax' };

/** Rank 2 or 4, 1–12 channels, logits up to ±20 (so exp spans many magnitudes). */
function randomCase(rand: () => number): OpCase<SoftmaxSpec> {
  const shape = rand() < 0.4
    ? [randInt(rand, 1, 3), randInt(rand, 1, 12)]
    : [randInt(rand, 1, 2), randInt(rand, 1, 12), randInt(rand, 1, 7), randInt(rand, 1, 7)];
  return { def: softmaxOp, spec: SPEC, inputs: [maybeEmbed(randomTensor(shape, rand, -20, 20), rand)] };
}

/** Test-local float64 softmax, straight from the definition (no max shift: the test values are small enough). */
function softmax64(x: Tensor): number[] {
  const [n, c, h, w] = x.dims4();
  const get = (a: number, k: number, y: number, z: number): number => (x.rank === 4 ? x.get(a, k, y, z) : x.get(a, k));
  const out: number[] = [];
  for (let a = 0; a < n; a++)
    for (let k = 0; k < c; k++)
      for (let y = 0; y < h; y++)
        for (let z = 0; z < w; z++) {
          let s = 0;
          for (let j = 0; j < c; j++) s += Math.exp(get(a, j, y, z));
          out.push(Math.exp(get(a, k, y, z)) / s);
        }
  return out;
}

describe('softmax', () => {
  it('known answers over channels, rank 2 and rank 4', () => {
    expectClose(softmax(Tensor.from([1, 2, 3], [1, 3])).toArray(), [0.09003057317038046, 0.24472847105479764, 0.6652409557748219], 1e-7);
    expect(softmax(Tensor.from([5, 5, 5, 5], [1, 4])).toArray()).to.deep.equal([0.25, 0.25, 0.25, 0.25]);
    // [1, 2, 1, 2]: pixel 0 has logits (0, ln 3) → (1/4, 3/4); pixel 1 has (7, 7) → (1/2, 1/2).
    const out = softmax(Tensor.from([0, 7, Math.log(3), 7], [1, 2, 1, 2]));
    expectClose(out.toArray(), [0.25, 0.5, 0.75, 0.5], 1e-7);
  });

  it('is stable for huge logits (max subtracted): no Infinity/Infinity', () => {
    const out = softmax(Tensor.from([1000, 1001, -1e30, 3e38, 3e38, -3e38], [2, 3])).toArray();
    expect(out.some(Number.isNaN)).to.equal(false);
    expectClose(out.slice(0, 3), [1 / (1 + Math.E), Math.E / (1 + Math.E), 0], 1e-7);
    expect(out.slice(3)).to.deep.equal([0.5, 0.5, 0]);
  });

  it('fast equals reference bit for bit over 150 random cases (views, regions)', () => {
    const rand = rng(91);
    for (let i = 0; i < 150; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      expectBitEqual(runCase(c, 'fast', r), runCase(c, 'reference', r), `${c.inputs[0]}`);
    }
  });

  it('any tiling, channel cuts included, is bit-identical and each tile writes only its region', () => {
    const rand = rng(92);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
  });

  it('inputRegion is exact: all channels of the region’s pixels', () => {
    const rand = rng(93);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    expect(softmaxOp.inputRegion(SPEC, region(0, 1, 2, 3, 1, 2, 0, 4), [[1, 5, 3, 4]], [1, 5, 3, 4], 0)).to.deep.equal(region(0, 1, 0, 5, 1, 2, 0, 4));
  });

  it('matches float64 softmax within 1e-5 relative (floor 1e-6)', () => {
    const rand = rng(94);
    for (let i = 0; i < 30; i++) {
      const c = randomCase(rand);
      expect(maxRelError(runCase(c, 'fast').toFloat32Array(), softmax64(c.inputs[0]!), 1e-6)).to.be.at.most(1e-5);
    }
  });

  it('Ref variant matches', () => {
    const x = randomTensor([2, 10, 3, 5], 95, -5, 5);
    expectBitEqual(softmaxRef(x), softmax(x));
  });

  describe('bad input', () => {
    it('wrong rank', () => {
      expectTesseraError(() => softmax(Tensor.zeros([2, 3, 4])), 'SHAPE_MISMATCH', /softmax input must have rank 4 \(NCHW\) or 2 \(NC\), got shape \[2, 3, 4\]/);
      expectTesseraError(() => softmax(Tensor.zeros([7])), 'SHAPE_MISMATCH', /got shape \[7\]/);
    });
    it('weights it does not take, an out of the wrong size, NaN region', () => {
      const x = Tensor.zeros([1, 3]);
      expectTesseraError(() => softmaxOp.outputShape(SPEC, [[1, 3]], { weight: [3] }), 'BAD_ARGUMENT', /softmax got an unknown weight 'weight'; it takes no weights/);
      expectTesseraError(() => softmax(x, Tensor.zeros([1, 4])), 'SHAPE_MISMATCH', /output \[1, 4\] must have shape \[1, 3\]/);
      expectTesseraError(() => softmax(x, undefined, { ...fullRegion([1, 3]), c0: NaN }), 'BAD_REGION', /c0 must be an integer, got NaN/);
    });
  });

  it('reports a 1×1 window and flops', () => {
    expect(softmaxOp.window(SPEC, [[1, 3]])!.outH).to.equal(1);
    expect(softmaxOp.flops(SPEC, [[2, 3]], [2, 3])).to.equal(30);
  });
});
