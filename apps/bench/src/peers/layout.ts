/** Layout conversions for peers that do not take NCHW / OIHW (tfjs is NHWC / HWIO). Never timed. */

export function nchwToNhwc(src: ArrayLike<number>, [n, c, h, w]: readonly number[]): Float32Array {
  const dst = new Float32Array(n! * c! * h! * w!);
  for (let b = 0; b < n!; b++) for (let ch = 0; ch < c!; ch++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) {
    dst[((b * h! + y) * w! + x) * c! + ch] = src[((b * c! + ch) * h! + y) * w! + x]!;
  }
  return dst;
}

export function nhwcToNchw(src: ArrayLike<number>, [n, c, h, w]: readonly number[]): Float32Array {
  const dst = new Float32Array(n! * c! * h! * w!);
  for (let b = 0; b < n!; b++) for (let ch = 0; ch < c!; ch++) for (let y = 0; y < h!; y++) for (let x = 0; x < w!; x++) {
    dst[((b * c! + ch) * h! + y) * w! + x] = src[((b * h! + y) * w! + x) * c! + ch]!;
  }
  return dst;
}

/** Conv weights [O, I, kh, kw] → [kh, kw, I, O]. */
export function oihwToHwio(src: ArrayLike<number>, [o, i, kh, kw]: readonly number[]): Float32Array {
  const dst = new Float32Array(o! * i! * kh! * kw!);
  for (let a = 0; a < o!; a++) for (let b = 0; b < i!; b++) for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) {
    dst[((y * kw! + x) * i! + b) * o! + a] = src[((a * i! + b) * kh! + y) * kw! + x]!;
  }
  return dst;
}

/** Depthwise weights [C, 1, kh, kw] → tfjs' [kh, kw, C, 1]. */
export function depthwiseToHwc1(src: ArrayLike<number>, [c, , kh, kw]: readonly number[]): Float32Array {
  const dst = new Float32Array(c! * kh! * kw!);
  for (let ch = 0; ch < c!; ch++) for (let y = 0; y < kh!; y++) for (let x = 0; x < kw!; x++) dst[(y * kw! + x) * c! + ch] = src[(ch * kh! + y) * kw! + x]!;
  return dst;
}
