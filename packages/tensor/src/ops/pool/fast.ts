import { splitRegion, type Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { guarded, kernelEngine, scratch, type Engine } from '../../engine/wasm.js';
import { engineAddress } from '../../engine/tensors.js';
import { copyIn, copyOut, elementAt } from '../../engine/copy.js';
import { checkKernelCall } from '../invoke.js';
import type { Geometry, Weights } from '../op.js';
import { globalPoolOutputShape, poolGeometry, poolOutputShape, type GlobalPoolSpec, type Pool2dSpec } from './spec.js';

/*
 * Production pooling: the engine's float32 SIMD kernels (kernels/pool.c).
 *
 * Numerics (op.ts): per output, the window's real cells in row-major order
 * (ky, then kx), one float32 rounding per step: max from −∞ (a NaN wins),
 * avg = (+0 + Σ cells) / real cell count, l2 = sqrt(+0 + Σ cell²); the global
 * pools likewise over the whole plane in memory order. Nothing depends on
 * the region, so any cut gives the same bits.
 *
 * Pooling reads each input cell about once, so it is bound by memory: the
 * work streams through the engine a block of channel planes at a time (the
 * region's input window of those planes, clipped to the input, copied dense
 * — one copy per block when the tensor is contiguous), is pooled there and
 * copied out, so each block is read from cache by the kernel and the copy-out.
 */

/** Input floats per block: a few planes of a feature map, well inside L2. */
const BLOCK_FLOATS = 64 * 1024;
/** Largest one-plane input window; a bigger region is cut in halves by rows (same bits). */
const MAX_PLANE_FLOATS = 2 * 1024 * 1024;

const OP_CODE = { maxPool: 0, avgPool: 1, l2Pool: 2, globalMaxPool: 0, globalAvgPool: 1 } as const;
/** Int32 fields of the PoolCall struct (kernels/pool.c), in order. */
const CALL_FIELDS = 21;

const align16 = (floats: number): number => Math.ceil(floats / 16) * 16;

function poolRegion(e: Engine, x: Tensor, op: number, g: Geometry, out: Tensor, r: Region): void {
  const outRows = r.y1 - r.y0, outCols = r.x1 - r.x0;
  // The window the region's outputs span, unclipped (padding included), and the block: that window clipped to the input.
  const wy = r.y0 * g.sh - g.pt, wx = r.x0 * g.sw - g.pl;
  const spanH = (outRows - 1) * g.sh + (g.kh - 1) * g.dh + 1, spanW = (outCols - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const by0 = Math.max(0, wy), by1 = Math.min(g.inH, wy + spanH);
  const bx0 = Math.max(0, wx), bx1 = Math.min(g.inW, wx + spanW);
  const rows = by1 - by0, cols = bx1 - bx0, plane = rows * cols;
  if (plane > MAX_PLANE_FLOATS && outRows > 1) {
    for (const half of splitRegion(r, 'y', 2)) poolRegion(e, x, op, g, out, half);
    return;
  }
  const channels = r.c1 - r.c0;
  // Feature maps in engine memory are pooled in place, all planes in one call; others a block of planes at a time.
  const inPlaceIn = x.strides4()[3] === 1 && engineAddress(x, r.n0, r.c0, by0, bx0) >= 0;
  const inPlaceOut = out.strides4()[3] === 1 && engineAddress(out, r.n0, r.c0, r.y0, r.x0) >= 0;
  const planes = inPlaceIn && inPlaceOut ? channels : Math.max(1, Math.min(channels, Math.floor(BLOCK_FLOATS / plane)));
  // Scratch (floats): [call | input block + 16 spare (2×2/2 loads read one past a row) | output block | work].
  // work, as kernels/pool.c lays it out: prepared (padded or split) rows and a spare row, column counts, tap offsets.
  const pitch = (spanW + 4 + 3) & ~3;
  const inAt = 32, outAt = inAt + (inPlaceIn ? 0 : align16(planes * plane + 16)), workAt = outAt + (inPlaceOut ? 0 : align16(planes * outRows * outCols));
  const base = scratch(e, (workAt + (rows + 1) * (pitch + 16) + outCols + g.kw + 16) * 4);
  const at = base / 4;
  const [, xc, xh] = x.strides4();
  const [, oc, oh] = out.strides4();
  const call = e.i32().subarray(at, at + CALL_FIELDS);
  call.set([op, planes, base + inAt * 4, rows, cols, wy - by0, wx - bx0, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, outRows, outCols, base + outAt * 4, base + workAt * 4,
    inPlaceIn ? xc : plane, inPlaceIn ? xh : cols, inPlaceOut ? oc : outRows * outCols, inPlaceOut ? oh : outCols]);
  const mem = e.f32();
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c += planes) {
      const nb = Math.min(planes, r.c1 - c);
      if (inPlaceIn) call[2] = engineAddress(x, n, c, by0, bx0);
      else copyIn(mem, at + inAt, x, elementAt(x, n, c, by0, bx0), nb, rows, cols);
      if (inPlaceOut) call[15] = engineAddress(out, n, c, r.y0, r.x0);
      call[1] = nb;
      e.k.pool2d(base);
      if (!inPlaceOut) copyOut(mem, at + outAt, out, elementAt(out, n, c, r.y0, r.x0), nb, outRows, outCols);
    }
  }
}

export function poolFast(inputs: readonly Tensor[], weights: Weights, spec: Pool2dSpec, out: Tensor, r: Region): void {
  checkKernelCall(poolOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'pool');
  const x = inputs[0]!;
  const g = poolGeometry(spec, x.shape);
  guarded(spec.op, r, () => poolRegion(kernelEngine(), x, OP_CODE[spec.op], g, out, r));
}

export function globalPoolFast(inputs: readonly Tensor[], weights: Weights, spec: GlobalPoolSpec, out: Tensor, r: Region): void {
  checkKernelCall(globalPoolOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'global pool');
  const x = inputs[0]!;
  const [, , h, w] = x.dims4();
  guarded(spec.op, r, () => {
    const e = kernelEngine();
    const plane = h * w;
    // Dense planes in engine memory are read in place, all of a batch item's in one call; others are staged a block at a time.
    const [, xc, xh, xw] = x.strides4();
    const inPlace = xw === 1 && xh === w && xc === plane && engineAddress(x, r.n0, r.c0, 0, 0) >= 0;
    const planes = inPlace ? r.c1 - r.c0 : Math.max(1, Math.min(r.c1 - r.c0, Math.floor(BLOCK_FLOATS / plane)));
    const staged = inPlace ? 0 : align16(planes * plane);
    const base = scratch(e, (staged + align16(planes)) * 4);
    const at = base / 4, outAt = at + staged;
    const mem = e.f32();
    for (let n = r.n0; n < r.n1; n++) {
      for (let c = r.c0; c < r.c1; c += planes) {
        const nb = Math.min(planes, r.c1 - c);
        if (!inPlace) copyIn(mem, at, x, elementAt(x, n, c, 0, 0), nb, h, w);
        e.k.global_pool(OP_CODE[spec.op], inPlace ? engineAddress(x, n, c, 0, 0) : base, nb, plane, outAt * 4);
        copyOut(mem, outAt, out, elementAt(out, n, c, 0, 0), nb, 1, 1);
      }
    }
  });
}
