import type { Tensor } from '../tensor.js';

/*
 * Feature maps in ordinary memory go through engine memory per kernel call:
 * these copy a block of planes × rows × cols between a tensor (any strides)
 * and a dense block, with one `set` (a memcpy) for the longest run that is
 * contiguous on both sides — per-row copies of short rows cost more than a
 * depthwise or pooling kernel itself.
 */

/** Offset in `t.data` of logical element (n, c, y, x), no bounds check (callers pass a corner of a checked region). */
export function elementAt(t: Tensor, n: number, c: number, y: number, x: number): number {
  const [sn, sc, sh, sw] = t.strides4();
  return t.offset + n * sn + c * sc + y * sh + x * sw;
}

/** `planes` × `rows` × `cols` of `x` from element `s` (planes, rows and columns at x's strides) to `mem` at `d`, dense. */
export function copyIn(mem: Float32Array<ArrayBufferLike>, d: number, x: Tensor, s: number, planes: number, rows: number, cols: number): void {
  const [, sc, sh, sw] = x.strides4();
  const src = x.data, plane = rows * cols;
  if (sw === 1 && (sh === cols || rows === 1)) {
    if (sc === plane || planes === 1) mem.set(src.subarray(s, s + planes * plane), d);
    else for (let p = 0; p < planes; p++) mem.set(src.subarray(s + p * sc, s + p * sc + plane), d + p * plane);
    return;
  }
  for (let p = 0; p < planes; p++) {
    for (let r = 0; r < rows; r++) {
      const a = s + p * sc + r * sh;
      if (sw === 1 && cols >= 32) mem.set(src.subarray(a, a + cols), d);
      else for (let c = 0, q = a; c < cols; c++, q += sw) mem[d + c] = src[q]!;
      d += cols;
    }
  }
}

/**
 * The reverse: planes of `rows` × `cols` from `mem` at `s` (dense rows, planes
 * `srcPlane` apart) into `out` from element `d`, at out's strides.
 */
export function copyOut(mem: Float32Array<ArrayBufferLike>, s: number, out: Tensor, d: number, planes: number, rows: number, cols: number, srcPlane = rows * cols): void {
  const [, oc, oh, ow] = out.strides4();
  const dst = out.data, plane = rows * cols;
  if (ow === 1 && (oh === cols || rows === 1)) {
    if ((oc === plane || planes === 1) && srcPlane === plane) dst.set(mem.subarray(s, s + planes * plane), d);
    else for (let p = 0; p < planes; p++) dst.set(mem.subarray(s + p * srcPlane, s + p * srcPlane + plane), d + p * oc);
    return;
  }
  for (let p = 0; p < planes; p++) {
    for (let r = 0, a0 = s + p * srcPlane; r < rows; r++, a0 += cols) {
      const a = d + p * oc + r * oh;
      if (ow === 1 && cols >= 32) dst.set(mem.subarray(a0, a0 + cols), a);
      else for (let c = 0, q = a; c < cols; c++, q += ow) dst[q] = mem[a0 + c]!;
    }
  }
}
