import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { DENSE_WEIGHTS, dense, denseOp, denseRef, type DenseSpec } from '../src/ops/dense/index.js';
import { EPILOGUE_ACTS, activationFields, activationLayer, randomAct } from './epilogue-helpers.js';
import type { FusedActivation } from '../src/ops/epilogue.js';
import { scaleShift } from '../src/ops/scale-shift/index.js';
import type { Weights } from '../src/ops/op.js';
import {
  caseOutShape, embed, expectBitEqual, expectInputRegionExact, expectSameBits, expectTesseraError, expectTilingsBitEqual, expectWithinFastTolerance,
  maybeEmbed, randomRegion, runCase, type OpCase,
} from './util.js';

const SPEC: DenseSpec = { op: 'dense' };

/**
 * Rank-2 or rank-4 input, batch 1–3, K odd or even up to ~600 (several of the
 * kernel's 256-tap blocks), F 1–40 (one to three panels of 16, usually with a
 * tail), bias half the time, strided inputs and weights half the time.
 */
function randomCase(rand: () => number, maxK = 600): OpCase<DenseSpec> {
  const n = randInt(rand, 1, 3);
  const shape = rand() < 0.5
    ? [n, randInt(rand, 1, rand() < 0.3 ? maxK : 40)]
    : [n, randInt(rand, 1, 6), randInt(rand, 1, 5), randInt(rand, 1, 5)];
  const k = shape.slice(1).reduce((a, b) => a * b, 1);
  const f = rand() < 0.3 ? 16 * randInt(rand, 1, 2) : randInt(rand, 1, 40);
  const weight = maybeEmbed(randomTensor([k, f], rand), rand);
  const weights = rand() < 0.5 ? { weight } : { weight, bias: randomTensor([f], rand) };
  return { def: denseOp, spec: SPEC, inputs: [maybeEmbed(randomTensor(shape, rand, -2, 2), rand)], weights };
}

/**
 * `c` with a random fused epilogue: scale/shift 2 in 3 times (scales up to ±4
 * so relu6 clips), an activation or none (fields: epilogue-helpers.ts); leakyRelu's alpha 0.1 or a random
 * double float32 cannot hold exactly.
 */
function withEpilogue(c: OpCase<DenseSpec>, rand: () => number, act: FusedActivation | 'none' = randomAct(rand)): OpCase<DenseSpec> {
  const f = c.weights!.weight!.shape[1]!;
  const weights: Record<string, Tensor | undefined> = { ...c.weights };
  if (rand() < 2 / 3) {
    weights.scale = maybeSpaced(randomTensor([f], rand, -4, 4), rand);
    weights.shift = randomTensor([f], rand, -1, 1);
  }
  const spec: DenseSpec = { ...SPEC, ...activationFields(act, rand) };
  return { ...c, spec, weights };
}

/** `v` (rank 1) itself or, half of the time, a view of every other element of a NaN-filled buffer. */
function maybeSpaced(v: Tensor, rand: () => number): Tensor {
  if (rand() < 0.5) return v;
  const data = new Float32Array(2 * v.size + 1).fill(NaN);
  for (let i = 0; i < v.size; i++) data[1 + 2 * i] = v.get(i);
  return new Tensor(data, v.shape, [2], 1);
}

/** The same layer unfused: dense with bias only, then scaleShift, then the activation op, all fast kernels. */
function unfused(c: OpCase<DenseSpec>): Tensor {
  const { weight, bias, scale, shift } = c.weights!;
  let y = runCase({ ...c, spec: SPEC, weights: bias ? { weight, bias } : { weight } });
  if (scale) y = scaleShift(y, scale, shift);
  return activationLayer(y, c.spec);
}

const describeCase = (c: OpCase<DenseSpec>) =>
  `${JSON.stringify(c.spec)} ${c.inputs[0]} · ${c.weights!.weight} bias ${!!c.weights!.bias} scale/shift ${!!c.weights!.scale}`;

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

  it('known answers with the fused epilogue: (x·W + b)·scale + shift, then the activation', () => {
    // x·W = [4, 5, −3]; + b = [4.5, 4, −5]; ·[2, −1, 1] + [0, 0, 1] = [9, −4, −4].
    const x = Tensor.from([1, 2, 3], [1, 3]);
    const weights: Weights = {
      weight: Tensor.from([1, 0, -1, 0, 1, -1, 1, 1, 0], [3, 3]), bias: Tensor.from([0.5, -1, -2], [3]),
      scale: Tensor.from([2, -1, 1], [3]), shift: Tensor.from([0, 0, 1], [3]),
    };
    const run = (spec: DenseSpec, impl: 'fast' | 'reference') => runCase({ def: denseOp, spec, inputs: [x], weights }, impl).toArray();
    for (const impl of ['fast', 'reference'] as const) {
      expect(run(SPEC, impl), impl).to.deep.equal([9, -4, -4]);
      expect(run({ op: 'dense', activation: 'relu' }, impl), impl).to.deep.equal([9, 0, 0]);
      expect(run({ op: 'dense', activation: 'relu6' }, impl), impl).to.deep.equal([6, 0, 0]);
      expect(run({ op: 'dense', activation: 'leakyRelu', alpha: 0.25 }, impl), impl).to.deep.equal([9, -1, -1]);
    }
  });

  it('sums k = 0 … K−1 in order in every panel, tail, row and region', () => {
    // Column [2^60, 1, −2^60, 1]: ascending order gives 2^60 (the 1 is absorbed), 0, then 1.
    // Any other order (descending gives 0) would show. 19 columns: a panel of 16 plus a tail.
    const col = [2 ** 60, 1, -(2 ** 60), 1];
    const w = Tensor.from(col.flatMap((v) => new Array(19).fill(v)), [4, 19]);
    const x = Tensor.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [3, 4]);
    const ones = new Array(3 * 19).fill(1);
    expect(dense(x, w).toArray()).to.deep.equal(ones);
    expect(denseRef(x, w).toArray()).to.deep.equal(ones);
    const out = Tensor.zeros([3, 19]);
    for (const [n0, n1, a, b] of [[0, 1, 0, 3], [0, 1, 3, 19], [1, 3, 0, 17], [1, 3, 17, 19]] as const) dense(x, w, undefined, out, region(n0, n1, a, b, 0, 1, 0, 1));
    expect(out.toArray()).to.deep.equal(ones);
  });

  it('fast (float32, engine) agrees with the float64 reference within FAST_TOLERANCE over 150 random cases', () => {
    const rand = rng(81);
    for (let i = 0; i < 150; i++) {
      const c = i % 2 ? withEpilogue(randomCase(rand), rand) : randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      expectWithinFastTolerance(runCase(c, 'fast', r), runCase(c, 'reference', r), describeCase(c));
    }
  });

  it('a large layer (K 1000, F 150, batch 5: several tap blocks, row pairs and an odd row) agrees with the reference', () => {
    const rand = rng(87);
    const c: OpCase<DenseSpec> = {
      def: denseOp, spec: { op: 'dense', activation: 'relu6' }, inputs: [randomTensor([5, 10, 10, 10], rand)],
      weights: { weight: randomTensor([1000, 150], rand, -0.1, 0.1), bias: randomTensor([150], rand), scale: randomTensor([150], rand, -4, 4), shift: randomTensor([150], rand) },
    };
    const whole = runCase(c, 'fast');
    expectWithinFastTolerance(whole, runCase(c, 'reference'), 'K 1000');
    // Each row alone (no row pairs) and a region starting mid-panel give the same bits.
    const out = Tensor.zeros([5, 150]);
    for (let n = 0; n < 5; n++) for (const [a, b] of [[0, 7], [7, 150]]) runCase(c, 'fast', region(n, n + 1, a!, b!, 0, 1, 0, 1), out);
    expectSameBits(out, whole, 'rows alone');
  });

  it('any tiling (cutting rows and features anywhere) is bit-identical and each tile writes only its region', () => {
    const rand = rng(82);
    for (let i = 0; i < 40; i++) expectTilingsBitEqual(i % 2 ? withEpilogue(randomCase(rand), rand) : randomCase(rand), rand);
    // Every single-output region agrees with the whole.
    const c = withEpilogue(randomCase(rng(83)), rng(88), 'leakyRelu');
    const whole = runCase(c, 'fast');
    const [n, f] = whole.shape as [number, number];
    const out = Tensor.zeros(whole.shape);
    for (let a = 0; a < n; a++) for (let b = 0; b < f; b++) runCase(c, 'fast', region(a, a + 1, b, b + 1, 0, 1, 0, 1), out);
    expectBitEqual(out, whole);
  });

  it('the same rows in batches of any size give the same bits (row pairs vs single rows)', () => {
    const rand = rng(89);
    const x = randomTensor([7, 301], rand), w = randomTensor([301, 45], rand), b = randomTensor([45], rand);
    const whole = dense(x, w, b);
    for (let n = 0; n < 7; n++) expectSameBits(dense(x.view(region(n, n + 1, 0, 301, 0, 1, 0, 1)), w, b), whole.view(region(n, n + 1, 0, 45, 0, 1, 0, 1)), `row ${n}`);
  });

  it('fused scale/shift and activation equal the unfused fast layers (dense, scaleShift, activation) bit for bit', () => {
    const rand = rng(90);
    for (let i = 0; i < 60; i++) {
      const c = withEpilogue(randomCase(rand), rand, EPILOGUE_ACTS[i % EPILOGUE_ACTS.length]!);
      expectSameBits(runCase(c, 'fast'), unfused(c), describeCase(c));
    }
  });

  it('a weight changed in place after it ran is repacked (small tensors are compared exactly)', () => {
    const x = Tensor.from([1, 2], [1, 2]), w = Tensor.from([1, 2, 3, 4], [2, 2]);
    expect(dense(x, w).toArray()).to.deep.equal([7, 10]);
    w.set(5, 1, 1);
    expect(dense(x, w).toArray()).to.deep.equal([7, 12]);
  });

  it('inputRegion is exact: whole rows of the region’s batch elements', () => {
    const rand = rng(84);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand, 60);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    expect(denseOp.inputRegion(SPEC, region(1, 2, 3, 5, 0, 1, 0, 1), [[3, 2, 3, 4]], [3, 7], 0)).to.deep.equal(region(1, 2, 0, 2, 0, 3, 0, 4));
  });

  it('Ref variant and strided input and output views', () => {
    const rand = rng(86);
    const x = randomTensor([2, 256], rand), w = randomTensor([256, 136], rand), b = randomTensor([136], rand);
    const want = denseRef(x, w, b);
    expectWithinFastTolerance(dense(x, w, b), want);
    const out = embed(Tensor.zeros([2, 136]), rand, NaN);
    dense(embed(x, rand), embed(w, rand), b, out);
    expectSameBits(out, dense(x, w, b), 'strided views');
    expect(denseOp.weightNames).to.deep.equal(DENSE_WEIGHTS);
  });

  describe('bad input', () => {
    const x = Tensor.zeros([2, 6]);
    const w = Tensor.zeros([6, 4]);
    const fused = (spec: object, extra: Weights = {}) => () =>
      runCase({ def: denseOp, spec: { op: 'dense', ...spec } as DenseSpec, inputs: [x], weights: { weight: w, ...extra } });
    it('weight whose K does not match the input', () => {
      expectTesseraError(() => dense(x, Tensor.zeros([5, 3])), 'SHAPE_MISMATCH', /dense weight \[5, 3\] expects K = 5 inputs, input \[2, 6\] has K = 6/);
      expectTesseraError(() => dense(Tensor.zeros([1, 2, 2, 2]), Tensor.zeros([4, 3])), 'SHAPE_MISMATCH', /input \[1, 2, 2, 2\] has K = 8 \(C·H·W\)/);
    });
    it('bias of the wrong length, weight of the wrong rank, missing weight', () => {
      expectTesseraError(() => dense(x, Tensor.zeros([6, 3]), Tensor.zeros([4])), 'SHAPE_MISMATCH', /dense bias \[4\] must be \[3\]/);
      expectTesseraError(() => dense(x, Tensor.zeros([6, 3, 1])), 'SHAPE_MISMATCH', /dense weight must have rank 2 \[K, F\], got \[6, 3, 1\]/);
      expectTesseraError(() => denseOp.outputShape(SPEC, [[2, 6]], {}), 'BAD_ARGUMENT', /dense needs a weight tensor \[6, F\]/);
    });
    it('unknown activation, alpha without leakyRelu, leakyRelu without alpha', () => {
      expectTesseraError(fused({ activation: 'gelu' }), 'BAD_ARGUMENT', /dense activation must be one of 'relu', 'relu6', 'leakyRelu', 'hardSigmoid', 'hardSwish', got "gelu"/);
      expectTesseraError(fused({ activation: 'relu', alpha: 0.2 }), 'BAD_ARGUMENT', /dense alpha 0\.2 is only meaningful with activation 'leakyRelu'/);
      expectTesseraError(fused({ alpha: 0.3 }), 'BAD_ARGUMENT', /dense alpha 0\.3/);
      expectTesseraError(fused({ activation: 'leakyRelu' }), 'BAD_ARGUMENT', /dense activation 'leakyRelu' needs alpha/);
      expectTesseraError(fused({ activation: 'leakyRelu', alpha: NaN }), 'BAD_ARGUMENT', /dense alpha.*NaN/);
    });
    it('scale without shift (and the reverse), scale or shift of the wrong length, misspelt weight', () => {
      expectTesseraError(fused({}, { scale: Tensor.zeros([4]) }), 'BAD_ARGUMENT', /dense takes scale and shift together .*got only scale/);
      expectTesseraError(fused({}, { shift: Tensor.zeros([4]) }), 'BAD_ARGUMENT', /got only shift/);
      expectTesseraError(fused({}, { scale: Tensor.zeros([3]), shift: Tensor.zeros([4]) }), 'SHAPE_MISMATCH', /dense scale \[3\] must be \[4\]/);
      expectTesseraError(fused({}, { scale: Tensor.zeros([4]), shift: Tensor.zeros([4, 1]) }), 'SHAPE_MISMATCH', /dense shift \[4, 1\] must be \[4\]/);
      expectTesseraError(fused({}, { scales: Tensor.zeros([4]) }), 'BAD_ARGUMENT', /scales/);
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
