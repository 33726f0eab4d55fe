import { Tensor, type TensorOptions } from './tensor.js';
import type { Shape } from './shape.js';

/** Small seeded PRNG (mulberry32): reproducible test data and benchmarks. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi] (both included). */
export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/** Tensor of uniform values in [lo, hi). */
export function randomTensor(shape: Shape, seedOrRand: number | (() => number), lo = -1, hi = 1, opts: TensorOptions = {}): Tensor {
  const rand = typeof seedOrRand === 'number' ? rng(seedOrRand) : seedOrRand;
  const t = Tensor.zeros(shape, opts);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rand();
  return t;
}
