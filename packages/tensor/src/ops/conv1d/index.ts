import { TesseraError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { conv2d } from '../conv2d/index.js';

/*
 * 1-D convolution and cross-correlation of the primer (eqs. 1.1 and 1.2), on
 * plain arrays.
 *
 * Production (convolve1d, correlate1d): conv2d's engine kernel on a 1×n image
 * and a 1×m kernel (`flip` for convolution), with explicit zero padding that
 * makes output t the full-length result's element first + t. Numerics are
 * conv2d's: inputs rounded to float32, a float32 sum from +0 over the taps in
 * increasing input index (multiply, then add), padded taps included as w · 0,
 * which leaves the sum unchanged for finite kernels.
 * Reference (convolve1dRef, correlate1dRef): sums over the overlapping j only,
 * in doubles in increasing j, rounded once to float32; the oracle for tests.
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
 * True discrete convolution, eq. 1.1, in the engine (see the top of this
 * file): (f ∗ g)(i) = Σ_j f(j) · g(i − j), the kernel flipped. Commutative up
 * to float32 rounding (the two orders sum differently): convolve1d(f, g)
 * equals convolve1d(g, f) in 'full' and 'valid' mode ('same' keeps the first
 * argument's length).
 */
export function convolve1d(f: ArrayLike<number>, g: ArrayLike<number>, mode: Conv1dMode = 'full'): Float32Array {
  return engine1d('convolve1d', f, g, mode, true);
}

/**
 * Cross-correlation, eq. 1.2, in the engine: (f ⋆ k)(i) = Σ_j f(i + j) · k(j),
 * the kernel slid without flipping (what CNN layers compute). Equals
 * convolve1d with the kernel reversed, bit for bit. Output index 0 of 'full'
 * mode is the shift i = −(|k| − 1).
 */
export function correlate1d(f: ArrayLike<number>, k: ArrayLike<number>, mode: Conv1dMode = 'valid'): Float32Array {
  return engine1d('correlate1d', f, k, mode, false);
}

/**
 * conv2d on [1, 1, 1, n] with a [1, 1, 1, m] kernel. Padding left = m − 1 −
 * first puts the full result's element `first` at output 0; padding right
 * makes the output `count` long. A one-tap kernel is done here instead (as a
 * [1, 1, 1, 1] tensor it cannot be a strided view, see below): a float32
 * product per element, + 0 as conv2d's sum from +0 gives (−0 becomes +0).
 */
function engine1d(what: string, f: ArrayLike<number>, g: ArrayLike<number>, mode: Conv1dMode, flip: boolean): Float32Array {
  checkSignal(`${what} f`, f);
  checkSignal(`${what} ${flip ? 'g' : 'k'}`, g);
  const n = f.length, m = g.length;
  const [first, count] = window(mode, n, m, what);
  if (m === 1) {
    const out = Float32Array.from(f);
    const k0 = Math.fround(g[0]!);
    for (let i = 0; i < n; i++) out[i] = Math.fround(out[i]! * k0) + 0;
    return out;
  }
  const left = m - 1 - first, right = count - 1 + m - n - left;
  const x = Tensor.from(f, [1, 1, 1, n]);
  // The kernel as a strided view (every other element of its buffer): conv2d
  // packs a non-contiguous weight per call and frees it, instead of caching a
  // packed copy of each one-off kernel until the tensor is garbage collected.
  const spaced = new Float32Array(2 * m - 1);
  for (let j = 0; j < m; j++) spaced[2 * j] = g[j]!;
  const w = new Tensor(spaced, [1, 1, 1, m], [2 * m, 2 * m, 2 * m, 2]);
  const out = conv2d(x, w, null, { kernel: [1, m], padding: { top: 0, bottom: 0, left, right }, flip });
  return out.data;
}

/** The float64 oracle of convolve1d (eq. 1.1): the sum over the j where f(j) and g(i − j) both exist. */
export function convolve1dRef(f: ArrayLike<number>, g: ArrayLike<number>, mode: Conv1dMode = 'full'): Float32Array {
  checkSignal('convolve1dRef f', f);
  checkSignal('convolve1dRef g', g);
  const n = f.length, m = g.length;
  const [first, count] = window(mode, n, m, 'convolve1dRef');
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

/** The float64 oracle of correlate1d (eq. 1.2): the sum over the j where f(i + j) and k(j) both exist. */
export function correlate1dRef(f: ArrayLike<number>, k: ArrayLike<number>, mode: Conv1dMode = 'valid'): Float32Array {
  checkSignal('correlate1dRef f', f);
  checkSignal('correlate1dRef k', k);
  const n = f.length, m = k.length;
  const [first, count] = window(mode, n, m, 'correlate1dRef');
  const out = new Float32Array(count);
  for (let t = 0; t < count; t++) {
    const i = first + t - (m - 1); // shift of the kernel's start against f
    let acc = 0;
    for (let j = Math.max(0, -i); j < Math.min(m, n - i); j++) acc += f[i + j]! * k[j]!;
    out[t] = acc;
  }
  return out;
}
