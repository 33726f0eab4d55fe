import { Tensor, TesseraError, checkInt, pad, resizeBilinear } from '@tessera/tensor';

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
 * does. Returns [1, 3, size, size].
 */
export function faceNetInput(rgb: Float32Array | Uint8Array | Uint8ClampedArray, width: number, height: number, size: number,
  mean: readonly [number, number, number], centred: boolean): Tensor {
  checkInt('image width', width, 1);
  checkInt('image height', height, 1);
  if (rgb.length !== width * height * 3) {
    throw new TesseraError('BAD_IMAGE', `expected ${width}×${height}×3 = ${width * height * 3} RGB values (HWC), got ${rgb.length}`,
      { width, height, length: rgb.length });
  }
  const hw = width * height;
  const chw = new Float32Array(3 * hw);
  for (let i = 0; i < hw; i++) {
    chw[i] = rgb[3 * i]!;
    chw[hw + i] = rgb[3 * i + 1]!;
    chw[2 * hw + i] = rgb[3 * i + 2]!;
  }
  let x = new Tensor(chw, [1, 3, height, width]);
  const p = squarePadding(width, height, centred);
  if (p.top + p.bottom + p.left + p.right > 0) x = pad(x, p);
  if (x.shape[2] !== size || x.shape[3] !== size) x = resizeBilinear(x, { height: size, width: size });
  const out = Tensor.zeros([1, 3, size, size]);
  const plane = size * size;
  for (let c = 0; c < 3; c++) {
    const m = Math.fround(mean[c]!);
    for (let i = 0; i < plane; i++) out.data[c * plane + i] = Math.fround(x.data[x.offset + c * plane + i]! - m) / 255;
  }
  return out;
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
