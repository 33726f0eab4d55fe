import type { Stats } from './types.js';

/** Median of the samples (mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median, min, max, mean of timed runs; GFLOP/s from the stated FLOP count at the median. */
export function stats(timesMs: readonly number[], flops: number | null): Stats {
  const med = median(timesMs);
  return {
    n: timesMs.length,
    medianMs: med,
    minMs: Math.min(...timesMs),
    maxMs: Math.max(...timesMs),
    meanMs: timesMs.reduce((a, b) => a + b, 0) / timesMs.length,
    gflops: flops !== null && med > 0 ? flops / (med * 1e6) : null,
  };
}
