import { expect } from 'chai';
import { convolve1d, correlate1d, type Conv1dMode } from '../src/ops/conv1d/index.js';
import { conv2d } from '../src/ops/conv2d/index.js';
import { randInt, rng } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import { expectTesseraError, maxRelError } from './util.js';

const MODES: readonly Conv1dMode[] = ['full', 'same', 'valid'];
const arr = (a: ArrayLike<number>) => Array.from(a);

function randomSignal(rand: () => number, len: number): Float32Array {
  return Float32Array.from({ length: len }, () => rand() * 2 - 1);
}

describe('convolve1d / correlate1d', () => {
  it('convolution flips the kernel (eq. 1.1), hand-computed', () => {
    // (f∗g)(i) = Σ_j f(j)·g(i−j): f = [1,2,3], g = [0,1,0.5]
    expect(arr(convolve1d([1, 2, 3], [0, 1, 0.5]))).to.deep.equal([0, 1, 2.5, 4, 1.5]);
    expect(arr(convolve1d([1, 2, 3], [0, 1, 0.5], 'same'))).to.deep.equal([1, 2.5, 4]);
    expect(arr(convolve1d([1, 2, 3], [0, 1, 0.5], 'valid'))).to.deep.equal([2.5]);
    // a unit impulse returns the other signal
    expect(arr(convolve1d([0, 1, 0], [4, 5, 6]))).to.deep.equal([0, 4, 5, 6, 0]);
  });

  it('cross-correlation slides the kernel unflipped (eq. 1.2), hand-computed', () => {
    // (f⋆k)(i) = Σ_j f(i+j)·k(j): a difference kernel [1, 0, −1]
    expect(arr(correlate1d([1, 2, 3, 4], [1, 0, -1]))).to.deep.equal([-2, -2]);
    expect(arr(correlate1d([1, 2, 3, 4], [1, 0, -1], 'full'))).to.deep.equal([-1, -2, -2, -2, 3, 4]);
    expect(arr(correlate1d([1, 2, 3, 4], [1, 0, -1], 'same'))).to.deep.equal([-2, -2, -2, 3]);
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
        expect(maxRelError(convolve1d(f, g, mode), convolve1d(g, f, mode)), `${mode} |f|=${f.length} |g|=${g.length}`).to.be.at.most(1e-5);
      }
    }
  });

  it('cross-correlation is convolution with the kernel reversed, bit for bit', () => {
    const rand = rng(4);
    for (let t = 0; t < 50; t++) {
      const f = randomSignal(rand, randInt(rand, 1, 25)), k = randomSignal(rand, randInt(rand, 1, 9));
      const reversed = Float32Array.from(k).reverse();
      for (const mode of MODES) expect(arr(correlate1d(f, k, mode)), mode).to.deep.equal(arr(convolve1d(f, reversed, mode)));
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
  });
});
