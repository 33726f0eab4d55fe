import { splitRegion, type Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { guarded, kernelEngine, scratch, type Engine } from '../../engine/wasm.js';
import { packedWeights } from '../../engine/packed.js';
import { engineAddress } from '../../engine/tensors.js';
import { copyIn, copyOut, elementAt } from '../../engine/copy.js';
import { epilogueVectors, writeEpilogue } from '../epilogue.js';
import { checkKernelCall } from '../invoke.js';
import type { Geometry, Kernel } from '../op.js';
import { conv2dCheckedOutputShape, conv2dGeometry, conv2dInputRegion, type Conv2dSpec } from './spec.js';
import { cacheable, cachedPlan, rememberPlan, type Conv2dPlan, type Window } from './plan.js';

/*
 * Production conv2d: the engine's register tiles (kernels/conv2d.c) over a
 * zero-padded float32 copy of the region's input window in HWC order, the
 * "patch" (channels innermost, so they sit in SIMD lanes).
 *
 * Numerics (op.ts): each output is a float32 sum from +0 over (ky, kx, ci) in
 * that order — padded taps included as w · 0 — then the epilogue (bias,
 * scale/shift, activation), one float32 rounding per operation. Nothing in
 * that recipe depends on the region, so any cut gives the same bits.
 *
 * Per batch item (and group), the region's input window — read in place when
 * the input lives in engine memory (engine/tensors.ts), else copied in a
 * memcpy per plane — becomes the HWC patch with its zero padding (engine,
 * 4 × 4 transposes). A table gives each output position's patch offset, so
 * one engine call covers whole rows with no tile wasted per row end, and
 * stride and dilation need no special layout. Outputs are written straight
 * into an engine-memory output, else into scratch and copied out. Tiles past
 * the last channel or position compute on zero weights or spare patch cells
 * and are not stored. Weights are packed once per layer and thread
 * (engine/packed.ts). Depthwise convolutions (one input and one output
 * channel per group) read NCHW planes directly (depthwiseConv below), and so
 * do pointwise ones (1 × 1, stride 1, no padding: pointwiseConv, positions in
 * the SIMD lanes). What a call derives before any arithmetic is kept per
 * layer for the next identical call (plan.ts).
 */

/** Most outputs (channels × positions) one engine call accumulates before they are copied out. */
const ACC_CELLS = 32768;

/** Channels rounded up to whole vectors. */
const vec4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * Dense and grouped: per group ⌈opg / 8⌉ blocks of [T][cpg][8] floats, tap
 * t = ky·kw + kx, channels past the group's end zero. With `flip` the kernel
 * is rotated 180° (true convolution).
 */
function packBlocks(mem: Float32Array, at: number, w: Tensor, groups: number, flip: boolean): void {
  const [cout, cpg, kh, kw] = w.dims4();
  const [so, si, sy, sx] = w.strides4();
  const T = kh * kw, opg = cout / groups, gb = Math.ceil(opg / 8);
  const src = w.data;
  mem.fill(0, at, at + groups * gb * 8 * T * cpg);
  for (let grp = 0; grp < groups; grp++) {
    for (let j = 0; j < opg; j++) {
      const s0 = w.offset + (grp * opg + j) * so;
      const blk = at + (grp * gb + Math.floor(j / 8)) * T * cpg * 8 + (j % 8);
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const s1 = s0 + (flip ? kh - 1 - ky : ky) * sy + (flip ? kw - 1 - kx : kx) * sx;
          const d1 = blk + (ky * kw + kx) * cpg * 8;
          for (let ci = 0; ci < cpg; ci++) mem[d1 + ci * 8] = src[s1 + ci * si]!;
        }
      }
    }
  }
}

/** Depthwise: [Cout][T] floats, tap t = ky·kw + kx of channel c at c·T + t (rotated 180° with `flip`). */
function packDepthwise(mem: Float32Array, at: number, w: Tensor, flip: boolean): void {
  const [cout, , kh, kw] = w.dims4();
  const [so, , sy, sx] = w.strides4();
  for (let c = 0, d = at; c < cout; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, d++) mem[d] = w.data[w.offset + c * so + (flip ? kh - 1 - ky : ky) * sy + (flip ? kw - 1 - kx : kx) * sx]!;
    }
  }
}

/**
 * The window of output region `r`; the input copied into it is exactly the
 * rectangle the taps read (conv2dInputRegion), which with stride and dilation
 * can be narrower than the window: a partial input (a fused tile) stores only
 * that rectangle, and the cells in between are never read.
 */
function windowOf(spec: Conv2dSpec, g: Geometry, r: Region, x: Tensor, out: Tensor): Window {
  const PH = (r.y1 - r.y0 - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const PW = (r.x1 - r.x0 - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const ya = r.y0 * g.sh - g.pt, xa = r.x0 * g.sw - g.pl;
  const read = conv2dInputRegion(spec, r, [x.shape], out.shape);
  if (!read) return { PH, PW, ya, xa, top: 0, rows: 0, left: 0, cols: 0 };
  return { PH, PW, ya, xa, top: read.y0 - ya, rows: read.y1 - read.y0, left: read.x0 - xa, cols: read.x1 - read.x0 };
}

/** Copies the window's input rows of channels [c0, c0 + C) of batch item n into `mem` at `at`, CHW with rows of win.cols. */
function stageInput(mem: Float32Array<ArrayBufferLike>, at: number, x: Tensor, n: number, c0: number, C: number, win: Window): void {
  copyIn(mem, at, x, elementAt(x, n, c0, win.ya + win.top, win.xa + win.left), C, win.rows, win.cols);
}

type WeightsOf = Parameters<Kernel<Conv2dSpec>>[1];

/** Patch offset of each tap t = ky·kw + kx. */
function tapOffsets(g: Geometry, kh: number, kw: number, PW: number, Cp: number): Int32Array {
  const toff = new Int32Array(kh * kw);
  for (let ky = 0, t = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++, t++) toff[t] = (ky * g.dh * PW + kx * g.dw) * Cp;
  return toff;
}

/** Patch offset of each output position (row-major over the region), padded to whole tiles of 4 with the last. */
function positionOffsets(outRows: number, outCols: number, rowPitch: number, ps: number): Int32Array {
  const npos = outRows * outCols;
  const qoff = new Int32Array(npos + 4);
  for (let oy = 0, q = 0; oy < outRows; oy++) for (let ox = 0; ox < outCols; ox++, q++) qoff[q] = oy * rowPitch + ox * ps;
  qoff.fill(qoff[npos - 1]!, npos, npos + 4);
  return qoff;
}

function generalConv(e: Engine, x: Tensor, weights: WeightsOf, spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region, win: Window, plan: Conv2dPlan | undefined): void {
  const w = weights.weight!;
  const [cout, cpg, kh, kw] = w.dims4();
  const groups = spec.groups ?? 1;
  const opg = cout / groups;
  const flip = spec.flip === true;
  const T = kh * kw;
  const outRows = r.y1 - r.y0, outCols = r.x1 - r.x0;
  const panels = Math.ceil(outCols / 4);

  // Channels of one patch: a group's inputs.
  const Cp = cpg, C = cpg;
  const ps = g.sw * Cp, rowPitch = g.sh * win.PW * Cp;
  const toff = plan?.toff ?? tapOffsets(g, kh, kw, win.PW, Cp);
  // The last tile of a run may read up to 3 positions past the row (results dropped): slack after the patch.
  const patchLen = win.PH * win.PW * Cp + 4 * ps + 8;

  const gb = Math.ceil(opg / 8);
  const packed = packedWeights(e, w, `conv2d:${groups}:${flip}`, groups * gb * 8 * T * cpg, (mem, at) => packBlocks(mem, at, w, groups, flip));
  try {
    // Inputs and outputs in engine memory are read and written in place; others go through scratch.
    const inPlaceIn = g.sw > 0 && x.strides4()[3] === 1 && engineAddress(x, r.n0, 0, 0, 0) >= 0;
    const inPlaceOut = out.strides4()[3] === 1 && engineAddress(out, r.n0, r.c0, r.y0, r.x0) >= 0;
    const [, oc, oh, ow] = out.strides4();
    // Accumulator rows: the channels of one group's blocks inside the region.
    const vecLen = Math.min(gb * 8, vec4(r.c1 - r.c0) + 8);
    const rowsPerCall = inPlaceOut ? outRows : Math.max(1, Math.min(outRows, Math.floor(ACC_CELLS / (vecLen * panels * 4))));
    const ldc = rowsPerCall * outCols; // scratch acc: whole output rows back to back
    // In place, the positions of whole output rows are consecutive in memory; of a narrower region, only a row's.
    const byRow = inPlaceOut && outRows > 1 && oh !== outCols;
    const npos = outRows * outCols;
    const a64 = (n: number) => Math.ceil(n / 16) * 64;
    const epAt = 0, toffAt = 64, qoffAt = toffAt + a64(T), biasAt = qoffAt + a64(npos + 4), scaleAt = biasAt + a64(vecLen), shiftAt = scaleAt + a64(vecLen);
    const postScaleAt = shiftAt + a64(vecLen), postShiftAt = postScaleAt + a64(vecLen);
    const stageAt = postShiftAt + a64(vecLen), patchAt = stageAt + (inPlaceIn ? 0 : a64(C * win.rows * win.cols)), accAt = patchAt + a64(patchLen);
    const base = scratch(e, accAt + (inPlaceOut ? 0 : vecLen * ldc * 4));
    const mem = e.f32(), imem = e.i32();
    imem.set(toff, (base + toffAt) / 4);
    const qoff = plan?.qoff ?? positionOffsets(outRows, outCols, rowPitch, ps);
    if (plan) { plan.toff = toff; plan.qoff = qoff; }
    imem.set(qoff, (base + qoffAt) / 4);
    const scaled = weights.scale !== undefined, post = weights.postScale !== undefined;
    const vec = (at: number, present: boolean) => (present ? mem.subarray((base + at) / 4, (base + at) / 4 + vecLen) : null);
    const vecs = {
      bias: vec(biasAt, true)!, scale: vec(scaleAt, scaled), shift: vec(shiftAt, scaled), postScale: vec(postScaleAt, post), postShift: vec(postShiftAt, post),
    };
    writeEpilogue(imem, mem, base + epAt, base + biasAt, scaled ? base + scaleAt : 0, base + shiftAt, spec, post ? base + postScaleAt : 0, base + postShiftAt);

    const acc0 = (base + accAt) / 4;
    /**
     * Runs `kernel` on output rows [oy, oy + rows) with acc row 0 at channel
     * cBase (kernel(qoff, npos, acc, ldc)): into the output in place (one call,
     * or one per row when the region's rows are not adjacent), or into scratch.
     */
    const over = (n: number, cBase: number, oy: number, rows: number, kernel: (qoff: number, npos: number, acc: number, ldc: number) => void) => {
      const qoff = base + qoffAt + oy * outCols * 4;
      if (!inPlaceOut) return kernel(qoff, rows * outCols, base + accAt, ldc);
      // acc row 0 is channel cBase (possibly outside the region: the kernel writes only [lo, hi)).
      const at = (y: number) => engineAddress(out, n, cBase, r.y0 + y, r.x0);
      if (!byRow) return kernel(qoff, rows * outCols, at(oy), oc);
      for (let y = oy; y < oy + rows; y++) kernel(base + qoffAt + y * outCols * 4, outCols, at(y), oc);
    };
    /** Scratch channels [cLo, cHi) (first acc row: channel cBase), output rows [oy0, oy0 + rows), into the output. */
    const copyBack = (n: number, cBase: number, cLo: number, cHi: number, oy0: number, rows: number) => {
      if (inPlaceOut) return;
      copyOut(mem, acc0 + (cLo - cBase) * ldc, out, elementAt(out, n, cLo, r.y0 + oy0, r.x0), cHi - cLo, rows, outCols, ldc);
    };
    const patch = (n: number, c0: number) => {
      if (inPlaceIn) {
        const [, xc, xh] = x.strides4();
        const src = win.rows > 0 ? engineAddress(x, n, c0, win.ya + win.top, win.xa + win.left) : base + stageAt;
        e.k.conv2d_patch_hwc(src, C, xc, xh, win.rows, win.cols, base + patchAt, win.PW, Cp, win.top, win.left, patchLen);
        return;
      }
      stageInput(mem, (base + stageAt) / 4, x, n, c0, C, win);
      e.k.conv2d_patch_hwc(base + stageAt, C, win.rows * win.cols, win.cols, win.rows, win.cols, base + patchAt, win.PW, Cp, win.top, win.left, patchLen);
    };

    for (let grp = Math.floor(r.c0 / opg); grp * opg < r.c1; grp++) {
      // Output channels of this group inside the region, and the 8-channel blocks covering them.
      const cLo = Math.max(r.c0, grp * opg), cHi = Math.min(r.c1, (grp + 1) * opg);
      const b0 = Math.floor((cLo - grp * opg) / 8), b1 = Math.ceil((cHi - grp * opg) / 8);
      const cBase = grp * opg + b0 * 8; // output channel of the first acc row
      epilogueVectors(weights, cBase, (b1 - b0) * 8, cHi, vecs);
      const wAt = packed.at + (grp * gb + b0) * T * cpg * 8 * 4;
      for (let n = r.n0; n < r.n1; n++) {
        patch(n, grp * cpg);
        for (let oy = 0; oy < outRows; oy += rowsPerCall) {
          const rows = Math.min(rowsPerCall, outRows - oy);
          over(n, cBase, oy, rows, (qoff, np, acc, cs) => e.k.conv2d_tiles_8x4(wAt, base + toffAt, base + patchAt, T, cpg,
            qoff, np, b1 - b0, acc, cs, cLo - cBase, cHi - cBase, base + epAt));
          copyBack(n, cBase, cLo, cHi, oy, rows);
        }
      }
    }
  } finally {
    if (packed.temporary) e.heap.release(packed.at);
  }
}

/** Int32 fields of the DwCall struct (kernels/conv2d.c), in order. */
const DW_FIELDS = 25;

/** Depthwise layers of fewer multiply-adds run on the calling thread alone (waking a helper costs microseconds). */
const DW_SPLIT_MIN_MACS = 256 * 1024;

/**
 * Depthwise (one input and one output channel per group): the engine reads
 * the channel planes straight from NCHW (kernels/conv2d.c, conv2d_depthwise),
 * in place when the feature maps live in engine memory, else through scratch
 * a block of channels at a time.
 */
function depthwiseConv(e: Engine, x: Tensor, weights: WeightsOf, spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region, win: Window): void {
  const w = weights.weight!;
  const [cout, , kh, kw] = w.dims4();
  const T = kh * kw, flip = spec.flip === true;
  const outRows = r.y1 - r.y0, outCols = r.x1 - r.x0;
  const packed = packedWeights(e, w, `conv2d-dw:${flip}`, cout * T, (mem, at) => packDepthwise(mem, at, w, flip));
  try {
    const [, xc, xh, xw] = x.strides4();
    const [, oc, oh, ow] = out.strides4();
    const inPlaceIn = xw === 1 && win.rows > 0 && engineAddress(x, r.n0, r.c0, win.ya + win.top, win.xa + win.left) >= 0;
    const inPlaceOut = ow === 1 && engineAddress(out, r.n0, r.c0, r.y0, r.x0) >= 0;
    const channels = r.c1 - r.c0;
    const inPlane = win.rows * win.cols, outPlane = outRows * outCols;
    // In place, the channels are cut into one block per intra-op thread (large layers only), each with its own call, epilogue and work rows.
    const parts = inPlaceIn && inPlaceOut && channels > 1 && channels * outPlane * T >= DW_SPLIT_MIN_MACS ? Math.min(e.threads, channels) : 1;
    const block = inPlaceIn && inPlaceOut ? Math.ceil(channels / parts) : Math.max(1, Math.min(channels, Math.floor(65536 / Math.max(1, inPlane + outPlane))));
    const PWs = Math.ceil(win.PW / g.sw), pitch = g.sw * (PWs + 16);
    const a64 = (n: number) => Math.ceil(n / 16) * 64;
    const workBytes = a64(win.PH * pitch + kw + 16);
    const callAt = 0, epAt = parts * 128, vecsAt = epAt + parts * 64, vecs = vectorsAt(vecsAt, a64(channels));
    const stageAt = vecsAt + 5 * a64(channels), outAt = stageAt + (inPlaceIn ? 0 : a64(block * inPlane));
    const workAt = outAt + (inPlaceOut ? 0 : a64(block * outPlane));
    const base = scratch(e, workAt + parts * workBytes);
    const mem = e.f32(), imem = e.i32();
    stageVectors(mem, weights, r, base, vecs);
    const fields = [0, inPlane, win.cols, win.rows, win.cols, win.top, win.left, win.PH, win.PW, kh, kw, g.sh, g.sw, g.dh, g.dw,
      outRows, outCols, 0, outPlane, outCols, 0, T, 0, 0, 0];
    if (inPlaceIn) { fields[1] = xc; fields[2] = xh; }
    if (inPlaceOut) { fields[18] = oc; fields[19] = oh; }
    for (let n = r.n0; n < r.n1; n++) {
      for (let c = r.c0, part = 0; c < r.c1; c += block, part++) {
        const nb = Math.min(block, r.c1 - c), slot = part % parts;
        const call = imem.subarray((base + callAt + slot * 128) / 4, (base + callAt + slot * 128) / 4 + DW_FIELDS);
        call.set(fields);
        // The epilogue of this block's channels: its vectors start at the block's first channel.
        const k = (c - r.c0) * 4, ep = base + epAt + slot * 64;
        writeStagedEpilogue(imem, mem, ep, base, vecs, weights, spec, k);
        if (inPlaceIn) call[0] = engineAddress(x, n, c, win.ya + win.top, win.xa + win.left);
        else {
          stageInput(mem, (base + stageAt) / 4, x, n, c, nb, win);
          call[0] = base + stageAt;
        }
        call[17] = inPlaceOut ? engineAddress(out, n, c, r.y0, r.x0) : base + outAt;
        call[20] = packed.at + c * T * 4;
        call[22] = nb;
        call[23] = base + workAt + slot * workBytes;
        call[24] = ep;
        if (parts > 1) {
          // All blocks written: one call runs them on the intra-op threads.
          if (slot === parts - 1 || c + block >= r.c1) e.calls('conv2d_depthwise', base + callAt, slot + 1, 128);
          continue;
        }
        e.k.conv2d_depthwise(base + callAt);
        if (!inPlaceOut) copyOut(mem, (base + outAt) / 4, out, elementAt(out, n, c, r.y0, r.x0), nb, outRows, outCols);
      }
    }
  } finally {
    if (packed.temporary) e.heap.release(packed.at);
  }
}

/**
 * Whether the pointwise kernel (positions in the lanes) beats the patch path
 * (channels in the lanes) for `cin` input channels and `positions` outputs per
 * channel: it does on maps of 128 positions or more, and with few input
 * channels at any size; on small maps with many channels (384→384 at 10²)
 * the patch path's wide tiles ran ~15 % faster. Both give the same bits.
 */
function usePointwise(cin: number, positions: number): boolean {
  return positions >= 128 || cin <= 32;
}

/** Int32 fields of the PwCall struct (kernels/conv2d.c), in order. */
const PW_FIELDS = 13;

/** Whether conv2d_pointwise computes this layer: a 1 × 1 window, stride 1, no padding, one group. */
function isPointwise(g: Geometry, groups: number): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.pt === 0 && g.pb === 0 && g.pl === 0 && g.pr === 0 && groups === 1;
}

/**
 * Pointwise (kernels/conv2d.c, conv2d_pointwise): positions in the SIMD
 * lanes straight from the NCHW planes, in place when the feature maps live
 * in engine memory (whole rows as one run of positions), else through
 * scratch per batch item. Weights: the [Cout][Cin] matrix as it is.
 */
function pointwiseConv(e: Engine, x: Tensor, weights: WeightsOf, spec: Conv2dSpec, out: Tensor, r: Region): void {
  const w = weights.weight!;
  const [cout, C] = w.dims4();
  const packed = packedWeights(e, w, 'conv2d-pw', cout * C, (mem, at) => packPointwise(mem, at, w));
  try {
    const rows = r.y1 - r.y0, cols = r.x1 - r.x0, channels = r.c1 - r.c0;
    const [, xc, xh, xw] = x.strides4();
    const [, oc, oh, ow] = out.strides4();
    const inPlaceIn = xw === 1 && engineAddress(x, r.n0, 0, r.y0, r.x0) >= 0;
    const inPlaceOut = ow === 1 && engineAddress(out, r.n0, r.c0, r.y0, r.x0) >= 0;
    const plane = rows * cols;
    const a64 = (n: number) => Math.ceil(n / 16) * 64;
    const callAt = 0, epAt = 64, vecsAt = epAt + 64, vecs = vectorsAt(vecsAt, a64(channels));
    const tailAt = vecsAt + 5 * a64(channels), stageAt = tailAt + a64(4 * C), outAt = stageAt + (inPlaceIn ? 0 : a64(C * plane));
    const base = scratch(e, outAt + (inPlaceOut ? 0 : a64(channels * plane)));
    const mem = e.f32(), imem = e.i32();
    stageVectors(mem, weights, r, base, vecs);
    writeStagedEpilogue(imem, mem, base + epAt, base, vecs, weights, spec, 0);
    // Rows that follow each other in both maps are one long row.
    const srcRow = inPlaceIn ? xh : cols, dstRow = inPlaceOut ? oh : cols;
    const flat = srcRow === cols && dstRow === cols;
    const call = imem.subarray((base + callAt) / 4, (base + callAt) / 4 + PW_FIELDS);
    call.set([0, inPlaceIn ? xc : plane, srcRow, 0, inPlaceOut ? oc : plane, dstRow, flat ? 1 : rows, flat ? plane : cols,
      packed.at + r.c0 * C * 4, C, channels, base + tailAt, base + epAt]);
    for (let n = r.n0; n < r.n1; n++) {
      if (inPlaceIn) call[0] = engineAddress(x, n, 0, r.y0, r.x0);
      else {
        copyIn(mem, (base + stageAt) / 4, x, elementAt(x, n, 0, r.y0, r.x0), C, rows, cols);
        call[0] = base + stageAt;
      }
      call[3] = inPlaceOut ? engineAddress(out, n, r.c0, r.y0, r.x0) : base + outAt;
      e.k.conv2d_pointwise(base + callAt);
      if (!inPlaceOut) copyOut(mem, (base + outAt) / 4, out, elementAt(out, n, r.c0, r.y0, r.x0), channels, rows, cols);
    }
  } finally {
    if (packed.temporary) e.heap.release(packed.at);
  }
}

/** Pointwise: the [Cout][Cin] matrix, row co at co·Cin. */
function packPointwise(mem: Float32Array, at: number, w: Tensor): void {
  const [cout, cin] = w.dims4();
  const [so, si] = w.strides4();
  for (let c = 0, d = at; c < cout; c++) for (let i = 0; i < cin; i++, d++) mem[d] = w.data[w.offset + c * so + i * si]!;
}

/** Largest patch one pass builds; a bigger region is cut in halves (rows first), which gives the same bits. */
const MAX_PATCH_BYTES = 32 * 1024 * 1024;

function convRegion(e: Engine, x: Tensor, weights: WeightsOf, spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region, plan?: Conv2dPlan): void {
  const win = plan?.win ?? windowOf(spec, g, r, x, out);
  const channels = (weights.weight!.dims4()[1] === 1 ? r.c1 - r.c0 : weights.weight!.dims4()[1]);
  if (channels * win.PH * win.PW * 4 > MAX_PATCH_BYTES) {
    const axis = r.y1 - r.y0 > 1 ? 'y' : r.x1 - r.x0 > 1 ? 'x' : null;
    if (axis) {
      for (const half of splitRegion(r, axis, 2)) convRegion(e, x, weights, spec, g, out, half);
      return;
    }
  }
  const [cout, cpg] = weights.weight!.dims4();
  if (isPointwise(g, spec.groups ?? 1) && usePointwise(cpg, (r.y1 - r.y0) * (r.x1 - r.x0))) pointwiseConv(e, x, weights, spec, out, r);
  else if (cpg === 1 && (spec.groups ?? 1) === cout) depthwiseConv(e, x, weights, spec, g, out, r, win);
  else generalConv(e, x, weights, spec, g, out, r, win, plan);
}

export const conv2dFast: Kernel<Conv2dSpec> = (inputs, weights, spec, out, r) => {
  // A call identical to an earlier one (a model run again) reuses its checks, geometry and tables (plan.ts).
  const cache = cacheable(inputs, weights, out, r);
  let plan = cache ? cachedPlan(spec, inputs[0]!, weights, out, r) : undefined;
  if (!plan) {
    checkKernelCall(conv2dCheckedOutputShape, spec, inputs, weights, out, r, 'conv2d');
    const x = inputs[0]!, g = conv2dGeometry(spec, x.shape);
    if (!cache) return guarded('conv2d', r, () => convRegion(kernelEngine(), x, weights, spec, g, out, r));
    plan = rememberPlan(spec, x, weights, out, r, g, windowOf(spec, g, r, x, out));
  }
  const x = inputs[0]!, p = plan;
  guarded('conv2d', r, () => convRegion(kernelEngine(), x, weights, spec, p.g, out, r, p));
};

/** Byte offsets (from a call's scratch base) of the five epilogue vectors: bias, scale, shift, postScale, postShift. */
interface VectorOffsets { bias: number; scale: number; shift: number; postScale: number; postShift: number }

/** The five vectors one after another from `at`, `bytes` apart. */
function vectorsAt(at: number, bytes: number): VectorOffsets {
  return { bias: at, scale: at + bytes, shift: at + 2 * bytes, postScale: at + 3 * bytes, postShift: at + 4 * bytes };
}

/** The epilogue vectors of channels [r.c0, r.c1) into scratch at `v`'s byte offsets from `base` (those the layer has). */
function stageVectors(mem: Float32Array<ArrayBufferLike>, weights: Parameters<typeof epilogueVectors>[0], r: Region, base: number, v: VectorOffsets): void {
  const channels = r.c1 - r.c0;
  const at = (off: number, present: boolean) => (present ? mem.subarray((base + off) / 4, (base + off) / 4 + channels) : null);
  const scaled = weights.scale !== undefined, post = weights.postScale !== undefined;
  epilogueVectors(weights, r.c0, channels, r.c1, {
    bias: at(v.bias, true)!, scale: at(v.scale, scaled), shift: at(v.shift, scaled), postScale: at(v.postScale, post), postShift: at(v.postShift, post),
  });
}

/** The Epilogue struct at byte address `ep` over vectors staged by stageVectors, from channel offset `k` bytes on. */
function writeStagedEpilogue(imem: Int32Array<ArrayBufferLike>, mem: Float32Array<ArrayBufferLike>, ep: number, base: number, v: VectorOffsets, weights: WeightsOf, spec: Conv2dSpec, k: number): void {
  const scaled = weights.scale !== undefined, post = weights.postScale !== undefined;
  writeEpilogue(imem, mem, ep, base + v.bias + k, scaled ? base + v.scale + k : 0, base + v.shift + k, spec, post ? base + v.postScale + k : 0, base + v.postShift + k);
}
