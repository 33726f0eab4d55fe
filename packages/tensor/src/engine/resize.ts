import type { Region } from '../region.js';
import type { Tensor } from '../tensor.js';
import { copyIn, copyOut, elementAt } from './copy.js';
import { engineAddress } from './tensors.js';
import { guarded, kernelEngine, scratch } from './wasm.js';

/*
 * Nearest resize (kernels/resize.c): the cells iys × ixs of the input (a
 * source row per output row of the region, a source column per output
 * column) copied into the region. A tensor in engine memory is read or
 * written in place; any other (a worker's shared maps) goes through
 * scratch: the input box those cells span copied in, the output region
 * copied out — memcpys, far cheaper than a gather in JavaScript.
 */

/** Words of the NearestCall struct. */
const CALL_WORDS = 15;

const a16 = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * Whether unit-stride source columns `xs` are an integer upscale: xs[j] =
 * xs[0] + ⌊(j + phase)/factor⌋ for every j (factor 0: they are not). The
 * factor is the length of the second run of equal offsets (the first may be
 * cut by the region's start), checked over the whole row.
 */
export function repeatOf(xs: Int32Array): { factor: number; phase: number } {
  const none = { factor: 0, phase: 0 };
  const n = xs.length;
  let first = 1;
  while (first < n && xs[first] === xs[0]) first++;
  let factor = first;
  if (first < n) {
    let j = first + 1;
    while (j < n && xs[j] === xs[first]) j++;
    factor = j - first;
    if (j === n && factor < first) factor = first; // the row ends inside the second run
  }
  if (first > factor) return none;
  const phase = factor - first;
  for (let j = 0; j < n; j++) if (xs[j] !== xs[0]! + Math.floor((j + phase) / factor)) return none;
  return { factor, phase };
}

/** Regions of fewer outputs run on the calling thread alone. */
const SPLIT_MIN_OUTPUTS = 32768;

/** Copies input cells (iys[i], ixs[j]) of every (n, c) of region r to out's (r.y0 + i, r.x0 + j). */
export function nearestCopy(x: Tensor, out: Tensor, r: Region, iys: Int32Array, ixs: Int32Array): void {
  const ny = iys.length, nx = ixs.length, N = r.n1 - r.n0, C = r.c1 - r.c0;
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  let ya = Infinity, yb = -1, xa = Infinity, xb = -1;
  for (const v of iys) { ya = Math.min(ya, v); yb = Math.max(yb, v); }
  for (const v of ixs) { xa = Math.min(xa, v); xb = Math.max(xb, v); }
  const inAt = engineAddress(x, r.n0, r.c0, 0, 0);
  const outAt = ow === 1 ? engineAddress(out, r.n0, r.c0, r.y0, r.x0) : -1;
  const rows = yb - ya + 1, cols = xb - xa + 1, box = rows * cols;
  const inFloats = inAt >= 0 ? 0 : N * C * box, outFloats = outAt >= 0 ? 0 : N * C * ny * nx;
  guarded('resize', r, () => {
    const e = kernelEngine();
    // In place and large: one call per intra-op thread, each a block of the channels (Engine.calls).
    const parts = inAt >= 0 && outAt >= 0 && N === 1 && N * C * ny * nx >= SPLIT_MIN_OUTPUTS ? Math.min(e.threads, C) : 1;
    // Word offsets in scratch, each 64-byte aligned (a memcpy between unaligned blocks ran 4× slower): the calls, the
    // row and column tables, the staged input box, the staged output.
    const yAt = parts * a16(CALL_WORDS), xAt = yAt + a16(ny), inBlock = xAt + a16(nx), outBlock = inBlock + a16(inFloats);
    const i = scratch(e, (outBlock + outFloats) * 4 + 64) / 4;
    const imem = e.i32(), fmem = e.f32();
    const ys = imem.subarray(i + yAt, i + yAt + ny), xs = imem.subarray(i + xAt, i + xAt + nx);
    if (inAt >= 0) {
      // In place: offsets at the input's own strides.
      for (let k = 0; k < ny; k++) ys[k] = iys[k]! * sh;
      for (let k = 0; k < nx; k++) xs[k] = ixs[k]! * sw;
      imem[i] = inAt; imem[i + 8] = sn; imem[i + 9] = sc;
    } else {
      // Staged: the box [ya, yb] × [xa, xb] of each plane, dense.
      for (let k = 0; k < ny; k++) ys[k] = (iys[k]! - ya) * cols;
      for (let k = 0; k < nx; k++) xs[k] = ixs[k]! - xa;
      for (let n = 0; n < N; n++) copyIn(fmem, i + inBlock + n * C * box, x, elementAt(x, r.n0 + n, r.c0, ya, xa), C, rows, cols);
      imem[i] = (i + inBlock) * 4; imem[i + 8] = C * box; imem[i + 9] = box;
    }
    if (outAt >= 0) {
      imem[i + 1] = outAt; imem[i + 10] = on; imem[i + 11] = oc; imem[i + 12] = oh;
    } else {
      imem[i + 1] = (i + outBlock) * 4; imem[i + 10] = C * ny * nx; imem[i + 11] = ny * nx; imem[i + 12] = nx;
    }
    const repeat = inAt < 0 || sw === 1 ? repeatOf(xs) : { factor: 0, phase: 0 };
    imem[i + 2] = (i + yAt) * 4; imem[i + 3] = (i + xAt) * 4;
    imem[i + 4] = N; imem[i + 5] = C; imem[i + 6] = ny; imem[i + 7] = nx;
    imem[i + 13] = repeat.factor; imem[i + 14] = repeat.phase;
    if (parts > 1) {
      for (let p = parts - 1; p >= 0; p--) {
        const j = i + p * a16(CALL_WORDS), c0 = Math.floor((C * p) / parts), c1 = Math.floor((C * (p + 1)) / parts);
        imem.copyWithin(j, i, i + CALL_WORDS);
        imem[j] = inAt + c0 * sc * 4; imem[j + 1] = outAt + c0 * oc * 4; imem[j + 5] = c1 - c0;
      }
      return e.calls('resize_nearest', i * 4, parts, a16(CALL_WORDS) * 4);
    }
    e.k.resize_nearest(i * 4);
    if (outAt < 0) for (let n = 0; n < N; n++) copyOut(e.f32(), i + outBlock + n * C * ny * nx, out, elementAt(out, r.n0 + n, r.c0, r.y0, r.x0), C, ny, nx);
  });
}
