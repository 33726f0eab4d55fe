import { expect } from 'chai';
import { convolve1d, convolve1dRef, correlate1d, correlate1dRef, type Conv1dMode } from '../src/ops/conv1d/index.js';
import { conv2d } from '../src/ops/conv2d/index.js';
import { FAST_TOLERANCE } from '../src/ops/op.js';
import { randInt, rng } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import { expectSameBits, expectTesseraError, expectWithinFastTolerance } from './util.js';

const MODES: readonly Conv1dMode[] = ['full', 'same', 'valid'];
const arr = (a: ArrayLike<number>) => Array.from(a);

function randomSignal(rand: () => number, len: number): Float32Array {
  return Float32Array.from({ length: len }, () => rand() * 2 - 1);
}

const vec = (a: Float32Array) => Tensor.from(a, [1, a.length]);
const abs = (a: Float32Array) => a.map(Math.abs);

/**
 * Production vs float64 reference, the contract of op.ts: within
 * FAST_TOLERANCE of the largest output, measured on Σ|terms| (the
 * convolution of |f| and |g|) rather than on the outputs themselves, since a
 * single 'valid' output may cancel to almost nothing while its float32
 * rounding error scales with its terms.
 */
function expectNear(got: Float32Array, want: Float32Array, f: Float32Array, g: Float32Array, mode: Conv1dMode, what: string): void {
  expect(got.length, what).to.equal(want.length);
  const terms = convolve1dRef(abs(f), abs(g), mode);
  let err = 0, scale = 0;
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - want[i]!);
    if (!(e <= err)) err = e;
    scale = Math.max(scale, terms[i]!);
  }
  if (!(err <= FAST_TOLERANCE * scale)) expect.fail(`${what}: max |error| ${err} exceeds ${FAST_TOLERANCE} · max Σ|terms| ${scale}`);
}

describe('convolve1d / correlate1d', () => {
  it('convolution flips the kernel (eq. 1.1), hand-computed (engine and reference)', () => {
    for (const conv of [convolve1d, convolve1dRef]) {
      // (f∗g)(i) = Σ_j f(j)·g(i−j): f = [1,2,3], g = [0,1,0.5]
      expect(arr(conv([1, 2, 3], [0, 1, 0.5]))).to.deep.equal([0, 1, 2.5, 4, 1.5]);
      expect(arr(conv([1, 2, 3], [0, 1, 0.5], 'same'))).to.deep.equal([1, 2.5, 4]);
      expect(arr(conv([1, 2, 3], [0, 1, 0.5], 'valid'))).to.deep.equal([2.5]);
      // a unit impulse returns the other signal
      expect(arr(conv([0, 1, 0], [4, 5, 6]))).to.deep.equal([0, 4, 5, 6, 0]);
      // a kernel longer than the signal, and a one-tap kernel
      expect(arr(conv([1, 2], [1, 10, 100], 'same'))).to.deep.equal([12, 120]);
      expect(arr(conv([1, -2, 3], [2], 'full'))).to.deep.equal([2, -4, 6]);
    }
  });

  it('cross-correlation slides the kernel unflipped (eq. 1.2), hand-computed (engine and reference)', () => {
    for (const corr of [correlate1d, correlate1dRef]) {
      // (f⋆k)(i) = Σ_j f(i+j)·k(j): a difference kernel [1, 0, −1]
      expect(arr(corr([1, 2, 3, 4], [1, 0, -1]))).to.deep.equal([-2, -2]);
      expect(arr(corr([1, 2, 3, 4], [1, 0, -1], 'full'))).to.deep.equal([-1, -2, -2, -2, 3, 4]);
      expect(arr(corr([1, 2, 3, 4], [1, 0, -1], 'same'))).to.deep.equal([-2, -2, -2, 3]);
      // kernel longer than the signal: 'valid' keeps the shifts where the signal lies inside (i = −1, 0)
      expect(arr(corr([1, 2], [1, 10, 100]))).to.deep.equal([210, 21]);
    }
  });

  it('engine agrees with the float64 reference within FAST_TOLERANCE (all modes, kernels longer and shorter than the signal)', () => {
    const rand = rng(6);
    for (let t = 0; t < 120; t++) {
      const n = randInt(rand, 1, t % 10 ? 40 : 700), m = randInt(rand, 1, t % 3 ? 9 : 60);
      const f = randomSignal(rand, n), g = randomSignal(rand, m);
      for (const mode of MODES) {
        expectNear(convolve1d(f, g, mode), convolve1dRef(f, g, mode), f, g, mode, `convolve1d ${mode} |f|=${n} |g|=${m}`);
        expectNear(correlate1d(f, g, mode), correlate1dRef(f, g, mode), f, g.slice().reverse(), mode, `correlate1d ${mode} |f|=${n} |k|=${m}`);
      }
    }
    // A long signal (conv2d cuts big regions, which must not show).
    const f = randomSignal(rand, 200_000), k = randomSignal(rand, 31);
    expectWithinFastTolerance(vec(correlate1d(f, k, 'same')), vec(correlate1dRef(f, k, 'same')), 'long signal');
  });

  it('each output is computed alone: a window of the signal gives the same bits as the slice of the whole', () => {
    const rand = rng(7);
    for (let t = 0; t < 40; t++) {
      const n = randInt(rand, 10, 80), m = randInt(rand, 1, 9);
      const f = randomSignal(rand, n), k = randomSignal(rand, m);
      const whole = correlate1d(f, k, 'valid');
      const a = randInt(rand, 0, whole.length - 1), b = randInt(rand, a + 1, whole.length);
      // Outputs [a, b) of 'valid' read f[a, b + m − 1).
      expectSameBits(vec(correlate1d(f.subarray(a, b + m - 1), k, 'valid')), vec(whole.subarray(a, b)), `outputs [${a}, ${b}) of |f|=${n} |k|=${m}`);
    }
  });

  it('convolution is commutative: f∗g = g∗f', () => {
    // Small integers: every sum is exact, so the two orders agree exactly.
    expect(arr(convolve1d([1, 2, 3, 4], [5, -6]))).to.deep.equal(arr(convolve1d([5, -6], [1, 2, 3, 4])));
    // Kernel longer than the signal: 'valid' keeps the shifts where the shorter lies inside.
    expect(arr(convolve1d([1, 2], [1, 1, 1], 'valid'))).to.deep.equal([3, 3]);
    expect(arr(convolve1d([1, 1, 1], [1, 2], 'valid'))).to.deep.equal([3, 3]);
    const rand = rng(3);
    for (let t = 0; t < 50; t++) {
      const f = randomSignal(rand, randInt(rand, 1, 20)), g = randomSignal(rand, randInt(rand, 1, 20));
      for (const mode of ['full', 'valid'] as const) {
        // Random reals: the sums run in opposite orders, so equal up to float32 rounding.
        expectNear(convolve1d(f, g, mode), convolve1d(g, f, mode), f, g, mode, `${mode} |f|=${f.length} |g|=${g.length}`);
      }
    }
  });

  it('cross-correlation is convolution with the kernel reversed, bit for bit', () => {
    const rand = rng(4);
    for (let t = 0; t < 50; t++) {
      const f = randomSignal(rand, randInt(rand, 1, 25)), k = randomSignal(rand, randInt(rand, 1, 9));
      const reversed = Float32Array.from(k).reverse();
      for (const mode of MODES) {
        expectSameBits(vec(correlate1d(f, k, mode)), vec(convolve1d(f, reversed, mode)), mode);
        expectSameBits(vec(correlate1dRef(f, k, mode)), vec(convolve1dRef(f, reversed, mode)), `${mode} (reference)`);
      }
    }
  });

  it('agrees with conv2d on a 1×N image (correlation) and with flip (convolution)', () => {
    const rand = rng(5);
    for (let t = 0; t < 20; t++) {
      const n = randInt(rand, 5, 40), m = randInt(rand, 1, 5);
      const f = randomSignal(rand, n), k = randomSignal(rand, m);
      const x = Tensor.from(f, [1, 1, 1, n]), w = Tensor.from(k, [1, 1, 1, m]);
      expect(arr(conv2d(x, w, null, { kernel: [1, m] }).toFloat32Array())).to.deep.equal(arr(correlate1d(f, k, 'valid')));
      expect(arr(conv2d(x, w, null, { kernel: [1, m], flip: true }).toFloat32Array())).to.deep.equal(arr(convolve1d(f, k, 'valid')));
    }
  });

  it('rejects empty signals and unknown modes with a clear TesseraError', () => {
    expectTesseraError(() => convolve1d([], [1, 2]), 'BAD_ARGUMENT', /convolve1d f is empty/);
    expectTesseraError(() => correlate1d([1, 2], []), 'BAD_ARGUMENT', /correlate1d k is empty/);
    expectTesseraError(() => convolve1d([1], [1], 'circular' as Conv1dMode), 'BAD_ARGUMENT', /mode must be .*got "circular"/);
    expectTesseraError(() => convolve1d(null as unknown as number[], [1]), 'BAD_ARGUMENT', /f must be an array of numbers, got null/);
    expectTesseraError(() => convolve1dRef([1], [], 'full'), 'BAD_ARGUMENT', /convolve1dRef g is empty/);
    expectTesseraError(() => correlate1dRef([1], [1], 'wrap' as Conv1dMode), 'BAD_ARGUMENT', /correlate1dRef mode must be .*got "wrap"/);
    expectTesseraError(() => correlate1d([1, 2], 3 as unknown as number[]), 'BAD_ARGUMENT', /correlate1d k must be an array of numbers, got 3/);
  });
});
