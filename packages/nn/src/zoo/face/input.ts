import { Tensor, TesseraError, checkInt, resizeScale, resizeSource } from '@tessera/tensor';

/** How an image was padded to a square before the resize: pixels added on each side. */
export interface SquarePadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/**
 * Zero padding that makes width×height square, as face-api's padToSquare does:
 * centred — round(diff / 2) after (bottom/right) and the rest before — or all
 * of it after (bottom/right) when not centred.
 */
export function squarePadding(width: number, height: number, centred: boolean): SquarePadding {
  const diff = Math.abs(height - width);
  const after = Math.round(diff * (centred ? 0.5 : 1));
  const before = centred ? diff - after : 0;
  return height > width
    ? { top: 0, bottom: 0, left: before, right: after }
    : { top: before, bottom: after, left: 0, right: 0 };
}

/**
 * face-api's input pipeline for one RGB image (HWC, 0..255): pad to a square
 * with zeros, resize bilinearly to size×size (alignCorners and
 * halfPixelCenters false; skipped when already that size), subtract the
 * per-channel mean and divide by 255, each step rounded to float32 as TF.js
 * does. `mean` may instead be the net's own scaling of a resized value (SSD:
 * v / 127.5 − 1), its float32 rounding done by the function. Returns [1, 3, size, size].
 */
export function faceNetInput(rgb: Float32Array | Uint8Array | Uint8ClampedArray, width: number, height: number, size: number,
  mean: readonly [number, number, number] | ((v: number) => number), centred: boolean): Tensor {
  checkInt('image width', width, 1);
  checkInt('image height', height, 1);
  if (rgb.length !== width * height * 3) {
    throw new TesseraError('BAD_IMAGE', `expected ${width}×${height}×3 = ${width * height * 3} RGB values (HWC), got ${rgb.length}`,
      { width, height, length: rgb.length });
  }
  // One pass over the output: the padding, the CHW transpose and the resize are
  // never materialised (a photo is megapixels, the output 416²). Each value is
  // the arithmetic of pad → resizeBilinear → (x − mean) / 255 exactly: taps in
  // the padding read 0, the lerps run in doubles and round once to float32.
  const p = squarePadding(width, height, centred);
  const ph = height + p.top + p.bottom, pw = width + p.left + p.right;
  const resize = ph !== size || pw !== size;
  const ys = axisTaps(size, ph, p.top, height, resize), xs = axisTaps(size, pw, p.left, width, resize);
  const out = Tensor.zeros([1, 3, size, size]);
  const plane = size * size;
  // Byte offsets of each row's and column's taps in the HWC photo; a negative sum is a padding tap (reads 0).
  // Pixel by pixel, the three channels together: the photo's bytes are read once, in order.
  const rowAt = (k: number) => (k < 0 ? -1e9 : k * width * 3), colAt = (k: number) => (k < 0 ? -1e9 : k * 3);
  const byMean = (m: number) => { const mf = Math.fround(m); return (v: number) => Math.fround(v - mf) / 255; };
  const [n0, n1, n2] = typeof mean === 'function' ? [mean, mean, mean] : [byMean(mean[0]), byMean(mean[1]), byMean(mean[2])];
  const o = out.data;
  const px = (at: number, c: number) => (at >= 0 ? rgb[at + c]! : 0);
  for (let i = 0; i < size; i++) {
    const r0 = rowAt(ys.lo[i]!), r1 = rowAt(ys.hi[i]!), ly = ys.l[i]!;
    for (let j = 0, q = i * size; j < size; j++, q++) {
      const a = colAt(xs.lo[j]!), b = colAt(xs.hi[j]!);
      const tl = r0 + a, tr = r0 + b, bl = r1 + a, br = r1 + b;
      let v0: number, v1: number, v2: number;
      if (resize) {
        const lx = xs.l[j]!;
        v0 = lerp2(px(tl, 0), px(tr, 0), px(bl, 0), px(br, 0), lx, ly);
        v1 = lerp2(px(tl, 1), px(tr, 1), px(bl, 1), px(br, 1), lx, ly);
        v2 = lerp2(px(tl, 2), px(tr, 2), px(bl, 2), px(br, 2), lx, ly);
      } else {
        v0 = px(tl, 0); v1 = px(tl, 1); v2 = px(tl, 2);
      }
      o[q] = n0(v0);
      o[plane + q] = n1(v1);
      o[2 * plane + q] = n2(v2);
    }
  }
  return out;
}

/** resizeBilinear's arithmetic for one output: two horizontal lerps, one vertical, in doubles, rounded once to float32. */
function lerp2(tl: number, tr: number, bl: number, br: number, lx: number, ly: number): number {
  const t = tl + (tr - tl) * lx, u = bl + (br - bl) * lx;
  return Math.fround(t + (u - t) * ly);
}

/**
 * Per output row (or column): the two source indices of the bilinear resize
 * in the unpadded image (−1 where the tap falls in the padding) and the lerp;
 * without a resize, the source index itself.
 */
function axisTaps(size: number, padded: number, before: number, real: number, resize: boolean): { lo: Int32Array; hi: Int32Array; l: Float64Array } {
  const lo = new Int32Array(size), hi = new Int32Array(size), l = new Float64Array(size);
  const scale = resizeScale(padded, size, false);
  const inside = (k: number) => (k - before >= 0 && k - before < real ? k - before : -1);
  for (let i = 0; i < size; i++) {
    if (resize) {
      const [a, b, t] = resizeSource(i, scale, false, padded);
      lo[i] = inside(a); hi[i] = inside(b); l[i] = t;
    } else {
      lo[i] = hi[i] = inside(i);
    }
  }
  return { lo, hi, l };
}

/** Stacks [1, C, H, W] tensors into one batch [N, C, H, W]. */
export function stackBatch(xs: readonly Tensor[]): Tensor {
  if (xs.length === 0) throw new TesseraError('BAD_ARGUMENT', 'stackBatch needs at least one tensor');
  const [, c, h, w] = xs[0]!.shape as [number, number, number, number];
  const out = Tensor.zeros([xs.length, c, h, w]);
  const per = c * h * w;
  xs.forEach((t, i) => {
    if (t.shape.length !== 4 || t.shape[0] !== 1 || t.shape[1] !== c || t.shape[2] !== h || t.shape[3] !== w) {
      throw new TesseraError('SHAPE_MISMATCH', `stackBatch: tensor ${i} has shape [${t.shape.join(', ')}], expected [1, ${c}, ${h}, ${w}]`);
    }
    out.data.set(t.toFloat32Array(), i * per);
  });
  return out;
}
