import { TesseraError } from '../../errors.js';

/*
 * 1-D convolution and cross-correlation of the primer (eqs. 1.1 and 1.2), on
 * plain arrays. Sums run in doubles in increasing j and are rounded once to
 * float32.
 *
 * Output lengths for |f| = n, |g| = m (L = n + m − 1 is the full length):
 *   full:  L, every shift with any overlap
 *   same:  n (the first argument's length), centred in the full result
 *   valid: max(n, m) − min(n, m) + 1, shifts where one lies fully inside the other
 */
export type Conv1dMode = 'full' | 'same' | 'valid';

function checkSignal(what: string, a: ArrayLike<number>): void {
  if (a === null || typeof a !== 'object' || typeof a.length !== 'number') {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be an array of numbers, got ${String(a)}`);
  }
  if (a.length === 0) throw new TesseraError('BAD_ARGUMENT', `${what} is empty (length 0); convolution needs at least one sample`, { length: 0 });
}

/** [first, count] of the full-length result (length `full`) that `mode` keeps. */
function window(mode: Conv1dMode, n: number, m: number, what: string): [number, number] {
  const full = n + m - 1;
  switch (mode) {
    case 'full': return [0, full];
    case 'same': return [Math.floor((m - 1) / 2), n];
    case 'valid': return [Math.min(n, m) - 1, Math.max(n, m) - Math.min(n, m) + 1];
    default:
      throw new TesseraError('BAD_ARGUMENT', `${what} mode must be 'full', 'same' or 'valid', got ${JSON.stringify(mode)}`, { mode });
  }
}

/**
 * True discrete convolution, eq. 1.1: (f ∗ g)(i) = Σ_j f(j) · g(i − j), the
 * kernel flipped. Commutative: convolve1d(f, g) equals convolve1d(g, f) in
 * 'full' and 'valid' mode ('same' keeps the first argument's length).
 */
export function convolve1d(f: ArrayLike<number>, g: ArrayLike<number>, mode: Conv1dMode = 'full'): Float32Array {
  checkSignal('convolve1d f', f);
  checkSignal('convolve1d g', g);
  const n = f.length, m = g.length;
  const [first, count] = window(mode, n, m, 'convolve1d');
  const out = new Float32Array(count);
  for (let t = 0; t < count; t++) {
    const i = first + t;
    // j ranges over indices where both f(j) and g(i − j) exist.
    let acc = 0;
    for (let j = Math.max(0, i - m + 1); j <= Math.min(i, n - 1); j++) acc += f[j]! * g[i - j]!;
    out[t] = acc;
  }
  return out;
}

/**
 * Cross-correlation, eq. 1.2: (f ⋆ k)(i) = Σ_j f(i + j) · k(j), the kernel
 * slid without flipping (what CNN layers compute). Equals convolve1d with the
 * kernel reversed. Output index 0 of 'full' mode is the shift i = −(|k| − 1).
 */
export function correlate1d(f: ArrayLike<number>, k: ArrayLike<number>, mode: Conv1dMode = 'valid'): Float32Array {
  checkSignal('correlate1d f', f);
  checkSignal('correlate1d k', k);
  const n = f.length, m = k.length;
  const [first, count] = window(mode, n, m, 'correlate1d');
  const out = new Float32Array(count);
  for (let t = 0; t < count; t++) {
    const i = first + t - (m - 1); // shift of the kernel's start against f
    let acc = 0;
    for (let j = Math.max(0, -i); j < Math.min(m, n - i); j++) acc += f[i + j]! * k[j]!;
    out[t] = acc;
  }
  return out;
}
