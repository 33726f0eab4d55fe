import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { pad, padOp, padRef, type PadSpec } from '../src/ops/pad/index.js';
import {
  caseOutShape, expectBitEqual, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, maybeEmbed, randomRegion, runCase,
  type OpCase,
} from './util.js';

/** Pads 0–3 on each side, channel pads half the time, a non-zero value sometimes, rows wide enough for the memcpy path sometimes. */
function randomCase(rand: () => number): OpCase<PadSpec> {
  const shape = [randInt(rand, 1, 2), randInt(rand, 1, 4), randInt(rand, 1, 7), rand() < 0.2 ? randInt(rand, 64, 80) : randInt(rand, 1, 9)];
  const spec: PadSpec = {
    op: 'pad', top: randInt(rand, 0, 3), bottom: randInt(rand, 0, 3), left: randInt(rand, 0, 3), right: randInt(rand, 0, 3),
    ...(rand() < 0.5 ? { channelsBefore: randInt(rand, 0, 2), channelsAfter: randInt(rand, 0, 3) } : {}),
    ...(rand() < 0.3 ? { value: rand() < 0.5 ? -1.5 : -Infinity } : {}),
  };
  return { def: padOp, spec, inputs: [maybeEmbed(randomTensor(shape, rand), rand)] };
}

describe('pad', () => {
  it('known answer: zero rows and columns around a 2×2', () => {
    const x = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]);
    const out = pad(x, { top: 1, bottom: 0, left: 0, right: 1 });
    expect(out.shape).to.deep.equal([1, 1, 3, 3]);
    expect(out.toArray()).to.deep.equal([0, 0, 0, 1, 2, 0, 3, 4, 0]);
    expect(pad(x, { top: 0, bottom: 1, left: 1, right: 0, value: 9 }).toArray()).to.deep.equal([9, 1, 2, 9, 3, 4, 9, 9, 9]);
  });

  it("the face ResNet shortcut: zero channels appended and a zero row/column bottom-right", () => {
    const x = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]);
    const out = pad(x, { top: 0, bottom: 1, left: 0, right: 1, channelsAfter: 2 });
    expect(out.shape).to.deep.equal([1, 4, 3, 3]);
    expect(out.toArray()).to.deep.equal([
      1, 2, 0, 3, 4, 0, 0, 0, 0,
      5, 6, 0, 7, 8, 0, 0, 0, 0,
      ...new Array(18).fill(0),
    ]);
    expect(pad(x, { top: 0, bottom: 0, left: 0, right: 0, channelsBefore: 1 }).toArray()).to.deep.equal([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('fast equals reference bit for bit over 150 random cases (views, regions, values)', () => {
    const rand = rng(61);
    for (let i = 0; i < 150; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.5 ? randomRegion(caseOutShape(c), rand) : undefined;
      expectBitEqual(runCase(c, 'fast', r), runCase(c, 'reference', r), `${JSON.stringify(c.spec)} ${c.inputs[0]}`);
    }
  });

  it('any tiling is bit-identical and each tile writes only its region', () => {
    const rand = rng(62);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
  });

  it('inputRegion is exact, and null for a region that is all padding', () => {
    const rand = rng(63);
    for (let i = 0; i < 60; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    const spec: PadSpec = { op: 'pad', top: 2, bottom: 0, left: 1, right: 1, channelsBefore: 1 };
    expect(padOp.inputRegion(spec, region(0, 1, 0, 2, 0, 2, 0, 4), [[1, 2, 3, 3]], [1, 3, 5, 5], 0)).to.equal(null);
    expect(padOp.inputRegion(spec, region(0, 1, 1, 3, 1, 3, 0, 2), [[1, 2, 3, 3]], [1, 3, 5, 5], 0)).to.deep.equal(region(0, 1, 0, 2, 0, 1, 0, 1));
  });

  it('equals a float64 gather (a copy is exact)', () => {
    const rand = rng(64);
    for (let i = 0; i < 20; i++) {
      const c = randomCase(rand);
      const x = c.inputs[0]!, s = c.spec, [n, ch, h, w] = x.dims4();
      const cb = s.channelsBefore ?? 0, ca = s.channelsAfter ?? 0, v = s.value ?? 0;
      const want: number[] = [];
      for (let a = 0; a < n; a++)
        for (let k = -cb; k < ch + ca; k++)
          for (let y = -s.top; y < h + s.bottom; y++)
            for (let z = -s.left; z < w + s.right; z++) want.push(k >= 0 && k < ch && y >= 0 && y < h && z >= 0 && z < w ? x.get(a, k, y, z) : v);
      expect(runCase(c, 'fast').toArray()).to.deep.equal(want);
    }
  });

  it('Ref variant matches', () => {
    const x = randomTensor([2, 3, 4, 5], 65);
    const p = { top: 1, bottom: 2, left: 0, right: 3, channelsBefore: 1, channelsAfter: 1, value: 0.25 };
    expectBitEqual(padRef(x, p), pad(x, p));
  });

  describe('bad input', () => {
    const x = Tensor.zeros([1, 2, 3, 3]);
    it('negative or fractional pads', () => {
      expectTesseraError(() => pad(x, { top: -1, bottom: 0, left: 0, right: 0 }), 'BAD_ARGUMENT', /pad top must be an integer ≥ 0, got -1/);
      expectTesseraError(() => pad(x, { top: 0, bottom: 0, left: 0, right: 1.5 }), 'BAD_ARGUMENT', /pad right must be an integer ≥ 0, got 1.5/);
      expectTesseraError(() => pad(x, { top: 0, bottom: 0, left: 0, right: 0, channelsAfter: -2 }), 'BAD_ARGUMENT', /pad channelsAfter must be an integer ≥ 0, got -2/);
      expectTesseraError(() => padOp.outputShape({ op: 'pad' } as never, [[1, 2, 3, 3]], {}), 'BAD_ARGUMENT', /pad top must be an integer ≥ 0, got undefined/);
    });
    it('NaN value, wrong rank, NaN region', () => {
      expectTesseraError(() => pad(x, { top: 1, bottom: 0, left: 0, right: 0, value: NaN }), 'BAD_ARGUMENT', /pad value must be a number \(not NaN\), got NaN/);
      expectTesseraError(() => pad(Tensor.zeros([2, 3]), { top: 1, bottom: 0, left: 0, right: 0 }), 'SHAPE_MISMATCH', /pad input must have rank 4 \(NCHW\), got shape \[2, 3\]/);
      expectTesseraError(() => pad(x, { top: 1, bottom: 0, left: 0, right: 0 }, undefined, { ...fullRegion([1, 2, 4, 3]), y1: NaN }), 'BAD_REGION', /y1 must be an integer, got NaN/);
    });
  });

  it('reports its window (a 1×1 window whose padding is the pad) and flops', () => {
    const g = padOp.window({ op: 'pad', top: 1, bottom: 2, left: 3, right: 0 }, [[1, 1, 4, 4]])!;
    expect([g.kh, g.sh, g.pt, g.pb, g.pl, g.pr, g.outH, g.outW]).to.deep.equal([1, 1, 1, 2, 3, 0, 7, 7]);
    expect(padOp.flops({ op: 'pad', top: 1, bottom: 0, left: 0, right: 0 }, [[1, 1, 4, 4]], [1, 1, 5, 4])).to.equal(0);
  });
});

describe('pad reflect and edge', () => {
  const x = Tensor.from([1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);

  it('known answers (numpy.pad reflect / edge)', () => {
    // Rows [1 2 3], [4 5 6]; one row above/below, two columns left, one right.
    expect(pad(x, { top: 1, bottom: 1, left: 2, right: 1, mode: 'reflect' }).toArray()).to.deep.equal([
      6, 5, 4, 5, 6, 5,
      3, 2, 1, 2, 3, 2,
      6, 5, 4, 5, 6, 5,
      3, 2, 1, 2, 3, 2,
    ]);
    expect(pad(x, { top: 1, bottom: 0, left: 2, right: 1, mode: 'edge' }).toArray()).to.deep.equal([
      1, 1, 1, 2, 3, 3,
      1, 1, 1, 2, 3, 3,
      4, 4, 4, 5, 6, 6,
    ]);
  });

  function modeCase(rand: () => number): OpCase<PadSpec> {
    const mode = rand() < 0.5 ? 'reflect' : 'edge';
    const h = randInt(rand, mode === 'reflect' ? 2 : 1, 9), w = randInt(rand, mode === 'reflect' ? 2 : 1, 9);
    const lim = (size: number): number => (mode === 'reflect' ? size - 1 : 6);
    const spec: PadSpec = {
      op: 'pad', mode, top: randInt(rand, 0, lim(h)), bottom: randInt(rand, 0, lim(h)), left: randInt(rand, 0, lim(w)), right: randInt(rand, 0, lim(w)),
    };
    return { def: padOp, spec, inputs: [maybeEmbed(randomTensor([randInt(rand, 1, 2), randInt(rand, 1, 3), h, w], rand), rand)] };
  }

  it('fast equals reference bit for bit; tilings bit-identical; inputRegion exact', () => {
    const rand = rng(101);
    for (let t = 0; t < 60; t++) {
      const c = modeCase(rand);
      expectBitEqual(runCase(c, 'fast'), runCase(c, 'reference'), JSON.stringify(c.spec));
      if (t % 2 === 0) expectTilingsBitEqual(c, rand, 1, 2);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
  });

  it('refuses reflect pads as large as the input, a value or channel pads with reflect/edge, an unknown mode', () => {
    expectTesseraError(() => pad(x, { top: 2, bottom: 0, left: 0, right: 0, mode: 'reflect' }), 'SHAPE_MISMATCH', /needs pads below the input size: 2\/0 rows of 2/);
    expectTesseraError(() => pad(x, { top: 1, bottom: 0, left: 0, right: 0, mode: 'edge', value: 1 }), 'BAD_ARGUMENT', /pads rows and columns only and takes no value/);
    expectTesseraError(() => pad(x, { top: 1, bottom: 0, left: 0, right: 0, mode: 'reflect', channelsAfter: 1 }), 'BAD_ARGUMENT', /channels 0\/1/);
    expectTesseraError(() => pad(x, { top: 1, bottom: 0, left: 0, right: 0, mode: 'wrap' as never }), 'BAD_ARGUMENT', /pad mode/);
  });
});
