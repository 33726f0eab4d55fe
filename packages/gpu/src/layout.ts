import { TesseraError, dims4, fmtRegion, fmtShape, fullRegion, regionVolume, type Region, type Shape } from '@tessera/tensor';

/*
 * How an NCHW tensor lives on the GPU (the one layout every kernel reads and writes):
 *
 *   [N, C, H, W]  →  a gpu.js 3-D value of output [W, H, N·C]
 *                     thread.x = column, thread.y = row, thread.z = n·C + c
 *   [N, C]        →  [1, 1, N·C]   (rank 2 is NC11, as dims4 says)
 *
 * gpu.js flattens [x, y, z] row-major with x fastest, which is exactly the
 * memory order of a contiguous NCHW tensor: uploading is `new Input(data,
 * [W, H, N·C])` and a readback is the flat array, no transposes. Each axis
 * index stays small (no flat index over 2^24 is ever formed in float
 * arithmetic on the GPU; gpu.js turns [z][y][x] into an integer offset).
 *
 * A value may hold only a box of its logical tensor (an output region, or
 * the input rectangle a part reads): element (n, c, y, x) then sits at
 * [(n − n0)·(c1 − c0) + (c − c0)][y − y0][x − x0]. Kernels compute one
 * Region of their output, whose gpu.js output is [x1 − x0, y1 − y0, (n1 − n0)·(c1 − c0)].
 */

/** gpu.js output dimensions [x, y, z] of a box. */
export function boxDims(box: Region): [number, number, number] {
  return [box.x1 - box.x0, box.y1 - box.y0, (box.n1 - box.n0) * (box.c1 - box.c0)];
}

/** The box of a whole tensor (rank 2 as NC11). */
export function wholeBox(shape: Shape): Region {
  dims4(shape);
  return fullRegion(shape);
}

/** Copies `box` out of a contiguous array holding `src` (default: all) of a tensor of `shape`, into a new box-shaped array. */
export function cropBox(data: Float32Array, shape: Shape, box: Region, src: Region = fullRegion(shape)): Float32Array {
  const sc = src.c1 - src.c0, sh = src.y1 - src.y0, sw = src.x1 - src.x0;
  const bw = box.x1 - box.x0;
  const out = new Float32Array(regionVolume(box));
  let k = 0;
  for (let n = box.n0; n < box.n1; n++)
    for (let ch = box.c0; ch < box.c1; ch++)
      for (let y = box.y0; y < box.y1; y++) {
        const o = (((n - src.n0) * sc + (ch - src.c0)) * sh + (y - src.y0)) * sw + (box.x0 - src.x0);
        out.set(data.subarray(o, o + bw), k);
        k += bw;
      }
  return out;
}

/** Writes a contiguous `box`-shaped array into the same box of a contiguous NCHW array of `shape`. */
export function pasteBox(src: Float32Array, dst: Float32Array, shape: Shape, box: Region): void {
  const [, c, h, w] = dims4(shape);
  const bw = box.x1 - box.x0;
  if (src.length < regionVolume(box)) {
    throw new TesseraError('KERNEL_FAILED', `GPU result has ${src.length} values, region ${fmtRegion(box)} of ${fmtShape(shape)} needs ${regionVolume(box)}`);
  }
  let k = 0;
  for (let n = box.n0; n < box.n1; n++)
    for (let ch = box.c0; ch < box.c1; ch++)
      for (let y = box.y0; y < box.y1; y++) {
        const o = ((n * c + ch) * h + y) * w + box.x0;
        dst.set(src.subarray(k, k + bw), o);
        k += bw;
      }
}
