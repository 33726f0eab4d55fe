import { expect } from 'chai';
import { binary, binaryOp, binaryRef, type BinaryFn, type BinarySpec } from '../src/ops/binary/index.js';
import { randInt, randomTensor, rng } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import {
  caseOutShape, expectBitEqual, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, maybeEmbed, randomRegion, runCase, type OpCase,
} from './util.js';

const FNS: readonly BinaryFn[] = ['add', 'sub', 'mul', 'div'];

/** Two rank-4 (or rank-2) operands where each axis is equal or 1 on one side: same shape, per-channel, scalar, mixed. */
function randomCase(rand: () => number): OpCase<BinarySpec> {
  const rank4 = rand() < 0.8;
  const full = rank4 ? [randInt(rand, 1, 2), randInt(rand, 1, 4), randInt(rand, 1, 7), randInt(rand, 1, 7)] : [randInt(rand, 1, 3), randInt(rand, 1, 9)];
  const kind = randInt(rand, 0, 3);
  const shrink = (s: number[]): number[] => s.map((d, i) => (kind === 0 ? d : kind === 1 ? (i === 1 || (i === 0 && rand() < 0.5) ? d : 1) : kind === 2 ? 1 : rand() < 0.5 ? 1 : d));
  const other = shrink(full);
  const [sa, sb] = rand() < 0.5 ? [full, other] : [other, full];
  const fn = FNS[randInt(rand, 0, 3)]!;
  // Divisors away from 0.
  const b = fn === 'div' ? randomTensor(sb, rand, 0.5, 2) : randomTensor(sb, rand);
  return { def: binaryOp, spec: { op: 'binary', fn }, inputs: [maybeEmbed(randomTensor(sa, rand), rand), maybeEmbed(b, rand)] };
}

describe('binary (add, sub, mul, div with broadcasting)', () => {
  it('known answers: per-channel and scalar operands on either side', () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const pc = Tensor.from([10, 100], [1, 2, 1, 1]), sc = Tensor.from([2], [1, 1, 1, 1]);
    expect(binary('add', x, pc).toArray()).to.deep.equal([11, 12, 13, 14, 105, 106, 107, 108]);
    expect(binary('sub', pc, x).toArray()).to.deep.equal([9, 8, 7, 6, 95, 94, 93, 92]);
    expect(binary('mul', x, sc).toArray()).to.deep.equal([2, 4, 6, 8, 10, 12, 14, 16]);
    expect(binary('div', x, sc).toArray()).to.deep.equal([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
    expect(binary('mul', Tensor.from([1, 2], [2, 1]), Tensor.from([3, 4, 5], [1, 3])).toArray()).to.deep.equal([3, 4, 5, 6, 8, 10]);
  });

  it('fast equals the reference bit for bit (one rounding either way) over random broadcasts', () => {
    const rand = rng(111);
    for (let t = 0; t < 150; t++) {
      const c = randomCase(rand);
      expectBitEqual(runCase(c, 'fast'), runCase(c, 'reference'), `${c.spec.fn} ${JSON.stringify(c.inputs.map((i) => i.shape))}`);
    }
  });

  it('tilings are bit-identical, inputRegion exact (a broadcast axis reads position 0 only)', () => {
    const rand = rng(112);
    for (let t = 0; t < 50; t++) {
      const c = randomCase(rand);
      expectTilingsBitEqual(c, rand, 1, 2);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
  });

  it('binaryRef agrees; refuses shapes that do not broadcast, different ranks, a missing or unknown fn', () => {
    const a = randomTensor([1, 3, 4, 5], 1), b = randomTensor([1, 3, 1, 1], 2);
    expectBitEqual(binaryRef('sub', a, b), binary('sub', a, b));
    expectTesseraError(() => binary('add', a, randomTensor([1, 2, 4, 5], 3)), 'SHAPE_MISMATCH', /inputs \[1, 3, 4, 5\] and \[1, 2, 4, 5\] do not broadcast/);
    expectTesseraError(() => binary('add', a, randomTensor([1, 3], 3)), 'SHAPE_MISMATCH', /do not broadcast/);
    expectTesseraError(() => binary('pow' as never, a, b), 'BAD_ARGUMENT', /binary fn/);
    expectTesseraError(() => runCase({ def: binaryOp, spec: { op: 'binary' } as never, inputs: [a, b] }), 'BAD_ARGUMENT', /binary fn is required/);
  });
});
