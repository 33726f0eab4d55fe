import { splitRegion, type Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { guarded, kernelEngine, scratch, type Engine } from '../../engine/wasm.js';
import { packedWeights } from '../../engine/packed.js';
import { ACT_CODE, epilogueVectors } from '../epilogue.js';
import { checkKernelCall } from '../invoke.js';
import type { Geometry, Kernel } from '../op.js';
import { conv2dCheckedOutputShape, conv2dGeometry, type Conv2dSpec } from './spec.js';

/*
 * Production conv2d: the engine's register tiles (kernels/conv2d.c) over a
 * zero-padded float32 copy of the region's input window, the "patch".
 *
 * Numerics (op.ts): each output is a float32 sum from +0 over (ci, ky, kx) in
 * that order — padded taps included as w · 0 — then the epilogue (bias,
 * scale/shift, activation), one float32 rounding per operation. Nothing in
 * that recipe depends on the region, so any cut gives the same bits.
 *
 * Layout: per batch item and group, the patch holds the window's input
 * channels with their zero padding, columns split by phase when the
 * horizontal stride is > 1 so the taps of consecutive outputs are consecutive
 * in memory; a table lists each tap's offset. The engine computes MR channels
 * × NR positions at a time with the weights packed once per layer
 * (engine/packed.ts). Positions run along patch rows: with stride 1 a run
 * spans several output rows and the halo columns between them are computed
 * and dropped; otherwise one run per output row. Tiles past the last channel
 * or position compute on zero weights or spare patch cells and are not stored.
 * Depthwise (fewer than 4 outputs per group) uses the 1 × 16 tile.
 */

interface Tile { readonly mr: number; readonly nr: number; readonly fn: 'conv2d_tiles_4x8' | 'conv2d_tiles_1x16' }
const TILE_4X8: Tile = { mr: 4, nr: 8, fn: 'conv2d_tiles_4x8' };
const TILE_1X16: Tile = { mr: 1, nr: 16, fn: 'conv2d_tiles_1x16' };

/** Positions per engine call (a multiple of 16); with few channels calls take more, up to ACC_CELLS results. */
const CHUNK = 128;
const ACC_CELLS = 16384;
/** Taps per engine call: bounds the span of the patch one sweep over the tiles reads. */
const KBLOCK = 576;

/**
 * Packs every output channel's filter: per group ⌈opg / MR⌉ blocks of [K][MR]
 * floats, k = (ci·kh + ky)·kw + kx, channels past the group's end zero. With
 * `flip` the kernel is rotated 180° (true convolution).
 */
function packWeights(mem: Float32Array, at: number, w: Tensor, groups: number, flip: boolean, mr: number): void {
  const [cout, cpg, kh, kw] = w.dims4();
  const [so, si, sy, sx] = w.strides4();
  const K = cpg * kh * kw, opg = cout / groups, gb = Math.ceil(opg / mr);
  const src = w.data;
  mem.fill(0, at, at + groups * gb * mr * K);
  const tap = new Int32Array(K);
  for (let ci = 0, k = 0; ci < cpg; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, k++) tap[k] = ci * si + (flip ? kh - 1 - ky : ky) * sy + (flip ? kw - 1 - kx : kx) * sx;
    }
  }
  for (let grp = 0; grp < groups; grp++) {
    for (let j = 0; j < opg; j++) {
      const s0 = w.offset + (grp * opg + j) * so;
      for (let k = 0, d = at + (grp * gb + Math.floor(j / mr)) * K * mr + (j % mr); k < K; k++, d += mr) mem[d] = src[s0 + tap[k]!]!;
    }
  }
}

/** Where the region's input window lives in the patch (element strides) and how outputs map onto it. */
interface PatchLayout {
  /** Input row / column of patch cell (0, 0); may be negative (padding). */
  ya: number; xa: number;
  PH: number; PW: number;
  /** Columns per phase (phase = column mod horizontal stride). */
  PWs: number;
  rowStride: number; chanStride: number;
}

function patchLayout(g: Geometry, r: Region): PatchLayout {
  const rows = r.y1 - r.y0, cols = r.x1 - r.x0;
  const PH = (rows - 1) * g.sh + (g.kh - 1) * g.dh + 1;
  const PW = (cols - 1) * g.sw + (g.kw - 1) * g.dw + 1;
  const PWs = Math.ceil(PW / g.sw);
  const rowStride = g.sw * PWs;
  return { ya: r.y0 * g.sh - g.pt, xa: r.x0 * g.sw - g.pl, PH, PW, PWs, rowStride, chanStride: PH * rowStride };
}

/**
 * Copies input channels [ciBase, ciBase + cpg) of batch item n into the patch
 * at element `p0` of `mem`: cell (ci, py, px) at ci·chanStride + py·rowStride
 * + (px mod sw)·PWs + ⌊px / sw⌋, zero where the window lies outside the input.
 * Cells past the channels (up to `len`) are zeroed: tiles at the end read them.
 */
function fillPatch(mem: Float32Array, p0: number, len: number, x: Tensor, n: number, ciBase: number, cpg: number, g: Geometry, L: PatchLayout): void {
  const [xn, xc, xh, xw] = x.strides4();
  const src = x.data, sw = g.sw;
  // Columns of a patch row that hold input (the rest is padding).
  const lo = Math.min(L.rowStride, Math.max(0, -L.xa)), hi = Math.max(lo, Math.min(L.rowStride, g.inW - L.xa));
  for (let ci = 0; ci < cpg; ci++) {
    const plane = x.offset + n * xn + (ciBase + ci) * xc;
    for (let py = 0; py < L.PH; py++) {
      const iy = L.ya + py;
      const d = p0 + ci * L.chanStride + py * L.rowStride;
      if (iy < 0 || iy >= g.inH) {
        mem.fill(0, d, d + L.rowStride);
        continue;
      }
      const row = plane + iy * xh;
      if (sw === 1) {
        if (lo > 0) mem.fill(0, d, d + lo);
        if (xw === 1) mem.set(src.subarray(row + L.xa + lo, row + L.xa + hi), d + lo);
        else for (let px = lo, s = row + (L.xa + lo) * xw; px < hi; px++, s += xw) mem[d + px] = src[s]!;
        if (hi < L.rowStride) mem.fill(0, d + hi, d + L.rowStride);
      } else {
        // Phase by phase: patch column c of phase ph holds input column xa + c·sw + ph.
        for (let ph = 0, dd = d; ph < sw; ph++) {
          for (let c = 0, px = ph; c < L.PWs; c++, px += sw, dd++) mem[dd] = px >= lo && px < hi ? src[row + (L.xa + px) * xw]! : 0;
        }
      }
    }
  }
  mem.fill(0, p0 + cpg * L.chanStride, p0 + len);
}

function generalConv(e: Engine, x: Tensor, w: Tensor, weights: Parameters<Kernel<Conv2dSpec>>[1], spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region): void {
  const [cout, cpg, kh, kw] = w.dims4();
  const groups = spec.groups ?? 1;
  const opg = cout / groups;
  const flip = spec.flip === true;
  const K = cpg * kh * kw;
  const tile = opg >= 4 ? TILE_4X8 : TILE_1X16;
  const { mr, nr } = tile;
  const rows = r.y1 - r.y0, cols = r.x1 - r.x0;
  const L = patchLayout(g, r);

  // Runs of consecutive patch positions: [base, length, pitch, first output row].
  // Position q of a run is output (oy0 + ⌊q / pitch⌋, q mod pitch), stored when q mod pitch < cols.
  const runs: [number, number, number, number][] = [];
  if (g.sh === 1 && g.sw === 1) runs.push([0, (rows - 1) * L.rowStride + cols, L.rowStride, 0]);
  else for (let oy = 0; oy < rows; oy++) runs.push([oy * g.sh * L.rowStride, cols, cols, oy]);

  // Tap offsets into the patch, and the last cell any tile may read.
  const offs = new Int32Array(K);
  let maxOff = 0;
  for (let ci = 0, k = 0; ci < cpg; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, k++) {
        const c = kx * g.dw;
        offs[k] = ci * L.chanStride + ky * g.dh * L.rowStride + (c % g.sw) * L.PWs + Math.floor(c / g.sw);
        maxOff = Math.max(maxOff, offs[k]!);
      }
    }
  }
  const [lastBase, lastLen] = runs[runs.length - 1]!;
  const patchLen = Math.max(cpg * L.chanStride, lastBase + Math.ceil(lastLen / nr) * nr + maxOff);

  const gb = Math.ceil(opg / mr); // tile blocks per group
  const packed = packedWeights(e, w, `conv2d:${groups}:${flip}:${mr}`, groups * gb * mr * K, (mem, at) => packWeights(mem, at, w, groups, flip, mr));
  try {
    // Most tile blocks one group can need inside the region (one more when the region starts mid-block).
    const nbMax = Math.min(gb, Math.ceil((r.c1 - r.c0) / mr) + 1);
    const chunk = Math.max(CHUNK, Math.floor(ACC_CELLS / (nbMax * mr) / nr) * nr);
    const vecLen = nbMax * mr;
    const scaled = weights.scale !== undefined;
    // Scratch: [epilogue struct | offsets | bias | scale | shift | patch | acc], 64-byte aligned pieces.
    const a64 = (n: number) => Math.ceil(n / 64) * 64;
    const epAt = 0, offAt = 64, biasAt = offAt + a64(K * 4), scaleAt = biasAt + a64(vecLen * 4), shiftAt = scaleAt + a64(vecLen * 4);
    const patchAt = shiftAt + a64(vecLen * 4), accAt = patchAt + a64(patchLen * 4);
    const base = scratch(e, accAt + vecLen * chunk * 4);
    const mem = e.f32(), imem = e.i32();
    imem.set(offs, (base + offAt) / 4);
    const bias = mem.subarray((base + biasAt) / 4, (base + biasAt) / 4 + vecLen);
    const scale = scaled ? mem.subarray((base + scaleAt) / 4, (base + scaleAt) / 4 + vecLen) : null;
    const shift = scaled ? mem.subarray((base + shiftAt) / 4, (base + shiftAt) / 4 + vecLen) : null;
    const ep = (base + epAt) / 4;
    imem[ep] = base + biasAt;
    imem[ep + 1] = scaled ? base + scaleAt : 0;
    imem[ep + 2] = scaled ? base + shiftAt : 0;
    imem[ep + 3] = ACT_CODE[spec.activation ?? 'none'];
    mem[ep + 4] = spec.alpha ?? 0;

    const run = e.k[tile.fn];
    const [on, oc, oh, ow] = out.strides4();
    const od = out.data;
    const acc0 = (base + accAt) / 4;
    for (let grp = Math.floor(r.c0 / opg); grp * opg < r.c1; grp++) {
      // Output channels of this group inside the region, and the tile blocks covering them.
      const cLo = Math.max(r.c0, grp * opg), cHi = Math.min(r.c1, (grp + 1) * opg);
      const b0 = Math.floor((cLo - grp * opg) / mr), b1 = Math.ceil((cHi - grp * opg) / mr), nb = b1 - b0;
      const cBase = grp * opg + b0 * mr; // output channel of the first acc row
      epilogueVectors(weights, cBase, nb * mr, cHi, { bias, scale, shift });
      const wAt = packed.at + (grp * gb + b0) * mr * K * 4;
      for (let n = r.n0; n < r.n1; n++) {
        fillPatch(mem, (base + patchAt) / 4, patchLen, x, n, grp * cpg, cpg, g, L);
        for (const [rb, len, pitch, oy0] of runs) {
          for (let q0 = 0; q0 < len; q0 += chunk) {
            const qn = Math.min(chunk, len - q0);
            const panels = Math.ceil(qn / nr);
            for (let k0 = 0; k0 < K; k0 += KBLOCK) {
              run(wAt, base + offAt, base + patchAt + (rb + q0) * 4, K, k0, Math.min(KBLOCK, K - k0), nb, panels, base + accAt, chunk, base + epAt);
            }
            // Copy the finished outputs out, one output-row segment at a time.
            for (let co = cLo; co < cHi; co++) {
              const rrow = acc0 + (co - cBase) * chunk - q0;
              const plane = out.offset + n * on + co * oc + r.y0 * oh + r.x0 * ow;
              for (let q = q0, q1 = q0 + qn; q < q1;) {
                const ox = q % pitch, oy = oy0 + (q - ox) / pitch;
                const end = Math.min(q1, q - ox + pitch), stop = Math.min(end, q - ox + cols);
                let o = plane + oy * oh + ox * ow;
                if (ow === 1 && stop - q >= 16) od.set(mem.subarray(rrow + q, rrow + stop), o);
                else for (let a = rrow + q; a < rrow + stop; a++, o += ow) od[o] = mem[a]!;
                q = end;
              }
            }
          }
        }
      }
    }
  } finally {
    if (packed.temporary) e.heap.release(packed.at);
  }
}

/** Largest patch one pass builds; a bigger region is cut in halves (rows first), which gives the same bits. */
const MAX_PATCH_BYTES = 32 * 1024 * 1024;

function convRegion(e: Engine, x: Tensor, weights: Parameters<Kernel<Conv2dSpec>>[1], spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region): void {
  const w = weights.weight!;
  const cpg = w.dims4()[1];
  if (cpg * patchLayout(g, r).chanStride * 4 > MAX_PATCH_BYTES) {
    const axis = r.y1 - r.y0 > 1 ? 'y' : r.x1 - r.x0 > 1 ? 'x' : null;
    if (axis) {
      for (const half of splitRegion(r, axis, 2)) convRegion(e, x, weights, spec, g, out, half);
      return;
    }
  }
  generalConv(e, x, w, weights, spec, g, out, r);
}

export const conv2dFast: Kernel<Conv2dSpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(conv2dCheckedOutputShape, spec, inputs, weights, out, r, 'conv2d');
  const x = inputs[0]!;
  guarded('conv2d', r, () => convRegion(kernelEngine(), x, weights, spec, conv2dGeometry(spec, x.shape), out, r));
};
