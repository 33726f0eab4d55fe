import { expect } from 'chai';
import { randInt, randomTensor, rng } from '../src/random.js';
import { fullRegion, region } from '../src/region.js';
import { Tensor, copyRegion } from '../src/tensor.js';
import {
  hardSigmoid, hardSigmoidOp, hardSigmoidRef, hardSwish, hardSwishOp, hardSwishRef, leakyRelu, leakyReluOp, leakyReluRef, prelu, preluOp, preluRef,
  relu, relu6, relu6Op, relu6Ref, reluOp, reluRef, sigmoid, sigmoidOp, sigmoidRef, tanh, tanhOp, tanhRef,
  type ActivationSpec,
} from '../src/ops/activation/index.js';
import type { OpDef } from '../src/ops/op.js';
import {
  caseOutShape, expectBitEqual, expectInputRegionExact, expectSameBits, expectTesseraError, expectTilingsBitEqual, expectWithinFastTolerance,
  maxRelError, maybeEmbed, randomRegion, runCase, type OpCase,
} from './util.js';
import { sigmoid32, tanh32 } from './sigmoid32.js';
import { engineTensor, releaseEngineTensor } from '../src/engine/tensors.js';

const f32 = (xs: number[]): number[] => xs.map(Math.fround);

function randomSpec(rand: () => number): ActivationSpec {
  switch (randInt(rand, 0, 4)) {
    case 0: return { op: 'relu' };
    case 1: return { op: 'leakyRelu', alpha: rand() < 0.5 ? 0.1 : rand() * 2 - 1 };
    case 2: return { op: 'relu6' };
    case 3: return { op: 'sigmoid' };
    default: return { op: 'tanh' };
  }
}

const DEFS: Record<ActivationSpec['op'], OpDef<ActivationSpec>> = {
  relu: reluOp as OpDef<ActivationSpec>, leakyRelu: leakyReluOp as OpDef<ActivationSpec>, relu6: relu6Op as OpDef<ActivationSpec>,
  sigmoid: sigmoidOp as OpDef<ActivationSpec>, tanh: tanhOp as OpDef<ActivationSpec>,
  prelu: preluOp as OpDef<ActivationSpec>, hardSigmoid: hardSigmoidOp as OpDef<ActivationSpec>, hardSwish: hardSwishOp as OpDef<ActivationSpec>,
};

/** Rank 2 or 4, odd sizes, values spanning every branch (negative, 0–6, above 6). */
function randomCase(rand: () => number): OpCase<ActivationSpec> {
  const spec = randomSpec(rand);
  const shape = rand() < 0.3
    ? [randInt(rand, 1, 3), randInt(rand, 1, 9)]
    : [randInt(rand, 1, 2), randInt(rand, 1, 4), randInt(rand, 1, 9), randInt(rand, 1, 9)];
  return { def: DEFS[spec.op], spec, inputs: [maybeEmbed(randomTensor(shape, rand, -8, 8), rand)] };
}

/** Test-local float64 definitions. */
function act64(spec: ActivationSpec, v: number, slope = 0): number {
  switch (spec.op) {
    case 'relu': return Math.max(0, v);
    case 'leakyRelu': return v >= 0 ? v : spec.alpha * v;
    case 'relu6': return Math.min(6, Math.max(0, v));
    case 'sigmoid': return 1 / (1 + Math.exp(-v));
    case 'tanh': { const e = Math.exp(2 * v); return (e - 1) / (e + 1); }
    case 'prelu': return v >= 0 ? v : slope * v;
    case 'hardSigmoid': return Math.min(1, Math.max(0, spec.alpha * v + spec.beta));
    case 'hardSwish': return (v * Math.min(6, Math.max(0, v + 3))) / 6;
  }
}

/**
 * Test-local float32 definitions of the activations the kernel engine fuses
 * (kernels/engine.h `activate`): relu max(v, +0), relu6 min(max(v, +0), 6),
 * leakyRelu v · fround(alpha) rounded to float32 where the sign bit of v is
 * set; sigmoid and tanh the engine's float32 steps (sigmoid32.ts). null for the others.
 */
function engine32(spec: ActivationSpec, v: number): number | null {
  const max0 = (u: number) => (u !== u ? u : u > 0 ? u : 0); // wasm f32.max(u, +0): NaN stays, −0 → +0
  switch (spec.op) {
    case 'relu': return max0(v);
    case 'relu6': { const m = max0(v); return m > 6 ? 6 : m; }
    case 'leakyRelu': return v < 0 || Object.is(v, -0) || (v !== v && new Int32Array(Float32Array.of(v).buffer)[0]! < 0) ? Math.fround(v * Math.fround(spec.alpha)) : v;
    case 'sigmoid': return sigmoid32(v);
    case 'tanh': return tanh32(v);
    default: return null;
  }
}

/** engine32 over a tensor, as a tensor of the same shape. */
function engine32Tensor(spec: ActivationSpec, x: Tensor): Tensor {
  const v = x.toFloat32Array();
  return Tensor.from(Array.from(v, (e) => engine32(spec, e)!), x.shape);
}

describe('activation', () => {
  it('known answers for relu, leakyRelu, relu6, sigmoid, tanh', () => {
    const x = Tensor.from([-2, -0.5, 0, 3, 7], [1, 5]);
    expect(relu(x).toArray()).to.deep.equal([0, 0, 0, 3, 7]);
    expect(leakyRelu(x, 0.1).toArray()).to.deep.equal(f32([-0.2, -0.05, 0, 3, 7]));
    expect(relu6(x).toArray()).to.deep.equal([0, 0, 0, 3, 6]);
    expect(sigmoid(Tensor.from([0, 2], [1, 2])).toArray()).to.deep.equal([0.5, sigmoid32(2)]);
    expect(Math.abs(sigmoid32(2) - 1 / (1 + Math.exp(-2)))).to.be.below(1e-7);
    expect(tanh(Tensor.from([0, 0.5, -2], [1, 3])).toArray()).to.deep.equal([0, tanh32(0.5), tanh32(-2)]);
    expect(Math.abs(tanh32(0.5) - Math.tanh(0.5))).to.be.below(1e-7);
    // rank 4 works the same way
    expect(relu(Tensor.from([-1, 2, -3, 4], [1, 1, 2, 2])).toArray()).to.deep.equal([0, 2, 0, 4]);
  });

  it('sigmoid and tanh saturate without NaN for huge |x|; NaN input stays NaN', () => {
    const big = Tensor.from([-1e30, -1000, -100, 100, 1000, 1e30, -Infinity, Infinity], [1, 8]);
    const s = sigmoid(big).toArray();
    expect(s.some(Number.isNaN)).to.equal(false);
    expect([s[0], s[1], s[4], s[5], s[6], s[7]]).to.deep.equal([0, 0, 1, 1, 0, 1]);
    expect(s[2]).to.be.above(0).and.below(1e-40);
    expect(tanh(big).toArray()).to.deep.equal([-1, -1, -1, 1, 1, 1, -1, 1]);
    const nan = Tensor.from([NaN], [1, 1]);
    for (const f of [relu, relu6, sigmoid, tanh, (t: Tensor) => leakyRelu(t, 0.1)]) expect(Number.isNaN(f(nan).get(0, 0))).to.equal(true);
  });

  it('special values: ±0, ±Infinity, NaN of either sign, denormals, same in fast and reference', () => {
    const x = Tensor.from([0, -0, Infinity, -Infinity, NaN, 0, 1e-45, -1e-45, 3.4e38, -3.4e38], [1, 10]);
    new Int32Array(x.data.buffer)[5] = 0xffc00000 | 0; // a NaN with the sign bit set
    const rel = relu(x).toArray();
    expect(rel.map((v) => (Number.isNaN(v) ? 'NaN' : v))).to.deep.equal([0, 0, Infinity, 0, 'NaN', 'NaN', Math.fround(1e-45), 0, Math.fround(3.4e38), 0]);
    expect(Object.is(rel[1], 0) && Object.is(rel[7], 0)).to.equal(true); // −0 and a negative denormal give +0
    const lk = leakyRelu(x, 0.5).toArray();
    expect(lk.map((v) => (Number.isNaN(v) ? 'NaN' : v))).to.deep.equal([0, -0, Infinity, -Infinity, 'NaN', 'NaN', Math.fround(1e-45), -0, Math.fround(3.4e38), Math.fround(-1.7e38)]);
    const r6 = relu6(x).toArray();
    expect(r6.map((v) => (Number.isNaN(v) ? 'NaN' : v))).to.deep.equal([0, 0, 6, 0, 'NaN', 'NaN', Math.fround(1e-45), 0, 6, 0]);
    expect(Object.is(r6[1], 0) && Object.is(r6[7], 0)).to.equal(true); // min(max(−0, +0), 6) = +0, as the engine's f32x4.max gives
    // Where alpha is a float32 (−2, 0.5) the float64 reference rounds once too: fast = reference, sign of zero included.
    for (const [name, fast, ref] of [['relu', relu, reluRef], ['relu6', relu6, relu6Ref],
      ['leakyRelu 0.5', (t: Tensor) => leakyRelu(t, 0.5), (t: Tensor) => leakyReluRef(t, 0.5)],
      ['leakyRelu -2', (t: Tensor) => leakyRelu(t, -2), (t: Tensor) => leakyReluRef(t, -2)]] as const) {
      expectSameBits(fast(x), ref(x), `${name} on special values`);
    }
    // And the fused-activation definitions hold on every special value, for any alpha.
    for (const spec of [{ op: 'relu' }, { op: 'relu6' }, { op: 'leakyRelu', alpha: 0.1 }, { op: 'leakyRelu', alpha: -0.3 }, { op: 'sigmoid' }, { op: 'tanh' }] as const) {
      expectSameBits(runCase({ def: DEFS[spec.op], spec, inputs: [x] }), engine32Tensor(spec, x), `${JSON.stringify(spec)} on special values`);
    }
  });

  it('leakyRelu multiplies by alpha rounded to float32 (the engine epilogue), not by the float64 alpha', () => {
    // v = fround(−9/7): v · 0.1 rounded once to float32 and v · fround(0.1) rounded to float32 differ in the last bit.
    const v = Math.fround(-9 / 7);
    const fused = Math.fround(v * Math.fround(0.1)), double = Math.fround(v * 0.1);
    expect(fused).to.not.equal(double); // the example really tells the two apart
    const x = Tensor.from([v, -v], [1, 2]);
    expect(leakyRelu(x, 0.1).toArray()).to.deep.equal([fused, Math.fround(-v)]);
    expect(leakyReluRef(x, 0.1).toArray()).to.deep.equal([double, Math.fround(-v)]); // the float64 oracle
    expectWithinFastTolerance(leakyRelu(x, 0.1), leakyReluRef(x, 0.1), 'leakyRelu 0.1');
  });

  it('over 200 random tensors, views and regions: fast = float32 definition bit for bit, = reference (leakyRelu, sigmoid, tanh: within FAST_TOLERANCE)', () => {
    const rand = rng(21);
    let leaky = 0;
    for (let i = 0; i < 200; i++) {
      const c = randomCase(rand);
      const r = rand() < 0.4 ? randomRegion(caseOutShape(c), rand) : undefined;
      const what = `${JSON.stringify(c.spec)} on ${c.inputs[0]}`;
      const fast = runCase(c, 'fast', r), ref = runCase(c, 'reference', r);
      if (c.spec.op === 'leakyRelu' || c.spec.op === 'sigmoid' || c.spec.op === 'tanh') {
        leaky++;
        expectWithinFastTolerance(fast, ref, what);
        // The float32 definition on the region, zeros (the untouched output) elsewhere.
        const want = Tensor.zeros(fast.shape);
        copyRegion(engine32Tensor(c.spec, c.inputs[0]!), want, r ?? fullRegion(fast.shape));
        expectSameBits(fast, want, what);
      } else {
        expectSameBits(fast, ref, what);
      }
    }
    expect(leaky).to.be.above(40);
  });

  it('any tiling is bit-identical and each tile writes only its region', () => {
    const rand = rng(22);
    for (let i = 0; i < 30; i++) expectTilingsBitEqual(randomCase(rand), rand);
  });

  it('inputRegion is exact (NaN outside changes nothing, NaN on each edge shows)', () => {
    const rand = rng(23);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
  });

  it('matches float64 definitions within 1e-5 relative (floor 1e-6)', () => {
    const rand = rng(24);
    for (let i = 0; i < 40; i++) {
      const c = randomCase(rand);
      const x = c.inputs[0]!.toFloat32Array();
      const want = Array.from(x, (v) => act64(c.spec, v));
      expect(maxRelError(runCase(c, 'fast').toFloat32Array(), want, 1e-6), JSON.stringify(c.spec)).to.be.at.most(1e-5);
    }
  });

  it('Ref variants, a given out and a region', () => {
    const x = randomTensor([2, 3, 5, 5], 7, -3, 3);
    expectBitEqual(reluRef(x), relu(x));
    expectBitEqual(relu6Ref(x), relu6(x));
    expectWithinFastTolerance(leakyRelu(x, 0.2), leakyReluRef(x, 0.2), 'leakyRelu 0.2');
    expectWithinFastTolerance(sigmoid(x), sigmoidRef(x), 'sigmoid');
    expectWithinFastTolerance(tanh(x), tanhRef(x), 'tanh');
    const out = Tensor.filled(x.shape, 5);
    relu6(x, out, region(1, 2, 0, 3, 0, 5, 0, 5));
    expect(out.view(region(0, 1, 0, 3, 0, 5, 0, 5)).toArray().every((v) => v === 5)).to.equal(true);
    expectBitEqual(out.view(region(1, 2, 0, 3, 0, 5, 0, 5)), relu6(x).view(region(1, 2, 0, 3, 0, 5, 0, 5)));
  });

  describe('bad input', () => {
    it('wrong rank', () => expectTesseraError(() => relu(Tensor.zeros([2, 3, 4])), 'SHAPE_MISMATCH', /relu input must have rank 4 \(NCHW\) or 2 \(NC\), got shape \[2, 3, 4\]/));
    it('non-finite alpha', () => {
      expectTesseraError(() => leakyRelu(Tensor.zeros([1, 2]), NaN), 'BAD_ARGUMENT', /leakyRelu alpha must be a finite number, got NaN/);
      expectTesseraError(() => leakyReluOp.outputShape({ op: 'leakyRelu' } as never, [[1, 2]], {}), 'BAD_ARGUMENT', /alpha.*got undefined/);
    });
    it('NaN region, wrong out shape, wrong input count, spec of another op', () => {
      const x = Tensor.zeros([1, 2, 3, 3]);
      expectTesseraError(() => tanh(x, undefined, { ...fullRegion(x.shape), x0: NaN }), 'BAD_REGION', /x0 must be an integer, got NaN/);
      expectTesseraError(() => sigmoid(x, Tensor.zeros([1, 2, 3, 4])), 'SHAPE_MISMATCH', /output \[1, 2, 3, 4\] must have shape \[1, 2, 3, 3\]/);
      expectTesseraError(() => reluOp.fast([x, x], {}, { op: 'relu' }, Tensor.zeros(x.shape), fullRegion(x.shape)), 'BAD_ARGUMENT', /relu takes 1 input, got 2/);
      expectTesseraError(() => reluOp.outputShape({ op: 'tanh' } as never, [[1, 2]], {}), 'BAD_ARGUMENT', /relu got a spec for "tanh"/);
      expectTesseraError(() => reluOp.fast([x], {}, { op: 'gelu' } as never, Tensor.zeros(x.shape), fullRegion(x.shape)), 'BAD_ARGUMENT', /spec.op must be one of .* got "gelu"/);
    });
  });

  it('reports a 1×1 identity window and flops', () => {
    const g = reluOp.window({ op: 'relu' }, [[1, 2, 7, 5]])!;
    expect([g.kh, g.kw, g.sh, g.pt, g.outH, g.outW]).to.deep.equal([1, 1, 1, 0, 7, 5]);
    expect(relu6Op.flops({ op: 'relu6' }, [[1, 2, 7, 5]], [1, 2, 7, 5])).to.equal(140);
  });
});

describe('prelu, hardSigmoid, hardSwish (ONNX activations)', () => {
  /** Rank 2 or 4 with odd sizes; prelu with a per-channel or a single slope. */
  function onnxCase(rand: () => number): OpCase<ActivationSpec> & { slope?: Tensor } {
    const shape = rand() < 0.3 ? [randInt(rand, 1, 3), randInt(rand, 1, 9)] : [randInt(rand, 1, 2), randInt(rand, 1, 5), randInt(rand, 1, 9), randInt(rand, 1, 9)];
    const x = maybeEmbed(randomTensor(shape, rand, -8, 8), rand);
    const k = randInt(rand, 0, 2);
    if (k === 0) {
      const slope = randomTensor([rand() < 0.5 ? shape[1]! : 1], rand, -1, 1);
      return { def: DEFS.prelu, spec: { op: 'prelu' }, inputs: [x], weights: { slope }, slope };
    }
    if (k === 1) return { def: DEFS.hardSigmoid, spec: { op: 'hardSigmoid', alpha: rand() < 0.5 ? 0.2 : rand() * 2 - 1, beta: rand() < 0.5 ? 0.5 : rand() * 2 - 1 }, inputs: [x] };
    return { def: DEFS.hardSwish, spec: { op: 'hardSwish' }, inputs: [x] };
  }

  it('known answers', () => {
    const x = Tensor.from([-6, -3, -1, 0, 1, 3, 6], [1, 7]);
    // float32 steps: within an ulp or two of the exact values.
    const near = (got: number[], want: number[]): void => got.forEach((g, i) => expect(Math.abs(g - want[i]!), `${i}: ${g} vs ${want[i]}`).to.be.at.most(2e-7));
    near(hardSwish(x).toArray(), [-0, 0, -1 / 3, 0, 2 / 3, 3, 6]);
    near(hardSigmoid(x, 0.2, 0.5).toArray(), [0, 0, 0.3, 0.5, 0.7, 1, 1]);
    const y = Tensor.from([-2, 3, -4, 5], [1, 2, 1, 2]);
    expect(prelu(y, Tensor.from([0.5, -1], [2])).toArray()).to.deep.equal([-1, 3, 4, 5]);
    expect(prelu(y, Tensor.from([0.25], [1])).toArray()).to.deep.equal([-0.5, 3, -1, 5]);
  });

  it('fast within FAST_TOLERANCE of the reference, the reference equal to float64 definitions; NaN stays NaN', () => {
    const rand = rng(91);
    for (let t = 0; t < 120; t++) {
      const c = onnxCase(rand);
      const fast = runCase(c, 'fast'), ref = runCase(c, 'reference');
      expectWithinFastTolerance(fast, ref, JSON.stringify(c.spec));
      const x = c.inputs[0]!.toFloat32Array(), got = ref.toFloat32Array();
      const ch = (i: number): number => (c.inputs[0]!.shape.length === 4 ? Math.floor(i / (c.inputs[0]!.shape[2]! * c.inputs[0]!.shape[3]!)) % c.inputs[0]!.shape[1]! : i % c.inputs[0]!.shape[1]!);
      for (let i = 0; i < x.length; i++) {
        const s = c.slope ? c.slope.get(c.slope.shape[0] === 1 ? 0 : ch(i)) : 0;
        expect(Math.abs(got[i]! - act64(c.spec, x[i]!, s)), `${c.spec.op} at ${x[i]}`).to.be.at.most(1e-6 * Math.max(1, Math.abs(got[i]!)));
      }
    }
    for (const f of [(v: Tensor) => hardSwish(v), (v: Tensor) => hardSigmoid(v, 0.2, 0.5), (v: Tensor) => prelu(v, Tensor.from([0.1], [1]))]) {
      expect(Number.isNaN(f(Tensor.from([NaN], [1, 1])).toArray()[0])).to.equal(true);
    }
  });

  it('tilings bit-identical, inputRegion exact, Ref variants match', () => {
    const rand = rng(92);
    for (let t = 0; t < 40; t++) {
      const c = onnxCase(rand);
      expectTilingsBitEqual(c, rand, 1, 2);
      expectInputRegionExact(c, randomRegion(caseOutShape(c), rand));
    }
    const x = randomTensor([1, 3, 4, 5], 93, -5, 5), s = randomTensor([3], 94);
    expectWithinFastTolerance(preluRef(x, s), prelu(x, s));
    expectWithinFastTolerance(hardSigmoidRef(x, 0.3, 0.4), hardSigmoid(x, 0.3, 0.4));
    expectWithinFastTolerance(hardSwishRef(x), hardSwish(x));
  });

  it('refuses a missing or misshapen slope, non-finite alpha/beta, stray keys', () => {
    const x = randomTensor([1, 3, 4, 5], 95);
    expectTesseraError(() => prelu(x, Tensor.zeros([2])), 'SHAPE_MISMATCH', /prelu slope \[2\] must be \[3\] \(one per channel\) or \[1\]/);
    expectTesseraError(() => runCase({ def: DEFS.prelu, spec: { op: 'prelu' }, inputs: [x] }), 'BAD_ARGUMENT', /prelu needs a slope/);
    expectTesseraError(() => hardSigmoid(x, NaN, 0.5), 'BAD_ARGUMENT', /hardSigmoid alpha/);
    expectTesseraError(() => runCase({ def: DEFS.hardSwish, spec: { op: 'hardSwish', alpha: 1 } as never, inputs: [x] }), 'BAD_ARGUMENT', /alpha/);
    expectTesseraError(() => runCase({ def: DEFS.relu, spec: { op: 'relu' }, inputs: [x], weights: { slope: Tensor.zeros([3]) } }), 'BAD_ARGUMENT', /unknown weight 'slope'/);
  });
});

describe('sigmoid and tanh (kernels/sigmoid.h: float32 steps, their own exp)', () => {
  /** Every 97th float32 bit pattern (both signs, denormals, ±Infinity, NaNs) and a fine sweep of [−110, 40]. */
  function values(): Float32Array {
    const bits = new Uint32Array((2 ** 32 / 97 | 0) / 64);
    for (let i = 0; i < bits.length; i++) bits[i] = (i * 97 * 64 + i) >>> 0;
    const sweep = Float32Array.from({ length: 150001 }, (_, i) => -110 + i / 1000);
    const v = new Float32Array(bits.length + sweep.length);
    v.set(new Float32Array(bits.buffer));
    v.set(sweep, bits.length);
    return v;
  }

  for (const [name, op, scalar] of [['sigmoid', sigmoid, sigmoid32], ['tanh', tanh, tanh32]] as const)
  it(`the engine computes ${name}32 bit for bit, in engine memory and staged from ordinary memory`, () => {
    const v = values();
    const x = Tensor.from(Array.from(v), [1, 1, 1, v.length]);
    const ex = engineTensor(x.shape), eo = engineTensor(x.shape);
    try {
      ex.data.set(v);
      op(ex, eo);
      const inPlace = eo.toFloat32Array().slice();
      // Staged: input, output or both in ordinary memory.
      const staged = [op(x).toFloat32Array(), op(ex).toFloat32Array(), (op(x, eo), eo.toFloat32Array())];
      for (let i = 0; i < v.length; i++) {
        const want = Math.fround(scalar(v[i]!));
        if (!Object.is(inPlace[i], want) && !(want !== want && inPlace[i] !== inPlace[i])) expect.fail(`${name}(${v[i]}) in engine memory: ${inPlace[i]}, want ${want}`);
        for (const [k, s] of staged.entries()) {
          if (!Object.is(s[i], want) && !(want !== want && s[i] !== s[i])) expect.fail(`${name}(${v[i]}) staged (${['both', 'output', 'input'][k]} outside): ${s[i]}, want ${want}`);
        }
      }
    } finally {
      releaseEngineTensor(ex); releaseEngineTensor(eo);
    }
  });

  it('error against the float64 sigmoid: at most 2.5e-7 relative where the result is a normal float32, 2^-149 absolute below', () => {
    const v = values();
    let rel = 0, abs = 0;
    for (const u of v) {
      if (u !== u) continue;
      const want = u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
      const got = sigmoid32(u);
      if (want >= 2 ** -126) rel = Math.max(rel, Math.abs(got - want) / want);
      else abs = Math.max(abs, Math.abs(got - want));
    }
    expect(rel).to.be.above(0).and.at.most(2.5e-7); // ~2 float32 ulps; the float64 formula rounded to float32 is within 0.5 ulp
    expect(abs).to.be.at.most(2 ** -149);
  });
});

describe('tanh error', () => {
  it('against the float64 tanh: at most 2.5e-7 relative wherever the result is a normal float32', () => {
    let rel = 0;
    const probe = (u: number) => {
      const want = Math.tanh(u), got = tanh32(u);
      if (Math.abs(want) >= 2 ** -126) rel = Math.max(rel, Math.abs(got - want) / Math.abs(want));
      else expect(Math.abs(got - want)).to.be.at.most(2 ** -149);
    };
    for (let i = 0; i <= 200000; i++) probe(Math.fround(-12 + (24 * i) / 200000));
    for (let e = -140; e < 4; e += 0.01) { probe(Math.fround(2 ** e)); probe(Math.fround(-(2 ** e))); }
    expect(rel).to.be.above(0).and.at.most(2.5e-7);
  });
});
