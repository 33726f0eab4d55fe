import { TesseraError, fmtShape } from './errors.js';

export type Shape = readonly number[];

/** Throws SHAPE_MISMATCH unless every dimension is a positive integer. */
export function checkShape(shape: Shape, what = 'shape'): void {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new TesseraError('SHAPE_MISMATCH', `${what} must be a non-empty array of dimensions, got ${JSON.stringify(shape)}`, { shape });
  }
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1) {
      throw new TesseraError('SHAPE_MISMATCH', `${what} ${fmtShape(shape)} has a bad dimension ${i}: ${String(d)} (need a positive integer)`, { shape, dim: i });
    }
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Feature maps are NCHW. Rank-2 tensors [N, C] (dense and softmax outputs) are
 * treated as [N, C, 1, 1] so one Region type covers both.
 */
export function dims4(shape: Shape, what = 'tensor'): [number, number, number, number] {
  if (shape.length === 4) return [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!, 1, 1];
  throw new TesseraError('SHAPE_MISMATCH', `${what} must have rank 4 (NCHW) or 2 (NC), got shape ${fmtShape(shape)}`, { shape });
}

/** Throws SHAPE_MISMATCH unless `shape` has rank 4. */
export function expectRank4(shape: Shape, what: string): [number, number, number, number] {
  if (shape.length !== 4) {
    throw new TesseraError('SHAPE_MISMATCH', `${what} must have rank 4 (NCHW), got shape ${fmtShape(shape)}`, { shape });
  }
  return [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
}
