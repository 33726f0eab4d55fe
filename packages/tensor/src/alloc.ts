import { TesseraError, fmtShape } from './errors.js';
import { sizeOf, type Shape } from './shape.js';

/*
 * What one tensor may hold, checked before any memory is asked for: a shape
 * whose element count no typed array can take would otherwise end in a
 * plain RangeError, and one that can be taken but not backed, in the
 * process running out of memory.
 */

/**
 * Most elements of one tensor (8 GiB of float32): the kernels index with
 * 32-bit integers, and the kernel engine's memory (wasm32) ends at 4 GiB.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * Element count of `shape`; RESOURCE_EXHAUSTED naming the shape when it is
 * more than one tensor may hold (a product past 2^53 is not even exact).
 */
export function checkSize(shape: Shape, what = 'tensor'): number {
  const n = sizeOf(shape);
  if (!(n <= MAX_TENSOR_ELEMENTS)) {
    throw new TesseraError('RESOURCE_EXHAUSTED',
      `${what} of shape ${fmtShape(shape)} would hold ${n} elements (${fmtBytes(n * 4)}); a tensor holds at most ${MAX_TENSOR_ELEMENTS}`,
      { shape, elements: n, bytes: n * 4, maxElements: MAX_TENSOR_ELEMENTS });
  }
  return n;
}

/** A new Float32Array of `n` elements (over a SharedArrayBuffer if `shared`); an allocation failure is RESOURCE_EXHAUSTED. */
export function allocFloat32(n: number, shared: boolean | undefined, what: string): Float32Array {
  if (!Number.isInteger(n) || n < 0 || n > MAX_TENSOR_ELEMENTS) {
    throw new TesseraError('RESOURCE_EXHAUSTED', `${what}: cannot allocate ${n} float32 elements; a tensor holds at most ${MAX_TENSOR_ELEMENTS}`, { elements: n });
  }
  try {
    return shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new TesseraError('RESOURCE_EXHAUSTED', `${what}: allocating ${fmtBytes(n * 4)} failed: ${e.message}`, { bytes: n * 4 }, { cause: e });
  }
}

/** Bytes as messages print them: "2147483648 bytes (2.00 GiB)". */
export function fmtBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes, u = -1;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u < 0 ? `${bytes} bytes` : `${bytes} bytes (${v.toFixed(2)} ${units[u]})`;
}
