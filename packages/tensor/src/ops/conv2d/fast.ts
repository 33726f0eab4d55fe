import { splitRegion, type Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Geometry, Kernel } from '../op.js';
import { conv2dCheckedOutputShape, conv2dGeometry, type Conv2dSpec } from './spec.js';
import { MR, NR, tileEngine } from './tiles.js';

/*
 * Fast conv2d for one thread.
 *
 * Numerics are the reference's, exactly: every output element is a double
 * sum from +0 over (ci, ky, kx) in that order, zero-padded taps included as
 * w · 0, bias added last, one rounding to float32. Float32
 * products are exact in a double, and every path below performs that same
 * sequence of additions, so the result does not depend on how the output is
 * cut into regions, nor on which engine (wasm or JS) ran the tiles.
 *
 * General path (tiles.ts): per batch item and group, copy the region's input
 * window with its zero padding into a double "patch" (columns split by
 * phase when the horizontal stride is > 1, so the taps of consecutive
 * outputs are consecutive in memory), list each tap's offset into it, and
 * let the tile engine compute MR channels × NR positions at a time with the
 * weights packed per tile. Positions are laid along patch rows: with stride
 * 1 a run spans several output rows, the halo columns in between are
 * computed and dropped; otherwise one run per output row. Tiles that stick
 * out past the last channel or position compute on zero weights or spare
 * patch cells and are not stored, so there is no remainder code path.
 * Depthwise and pointwise convolutions are the same path with K = kh·kw and
 * K = Cin; measured, that beat a dedicated JS depthwise stencil by up to 2×.
 */

/**
 * Positions per engine call, at least: a multiple of NR (for 32–256 channels,
 * 32–512 measured within a few %). With few channels per group (depthwise)
 * calls take more positions, up to ACC_CELLS results, to amortise the call.
 */
const CHUNK = 128;
const ACC_CELLS = 16384;
/**
 * Taps per engine call (64 input channels of a 3×3 kernel): bounds the span
 * of the patch one sweep over the tiles reads. Measured neutral (±5%) on the
 * bench layers, K up to 2304; kept as a guard for larger K.
 */
const KBLOCK = 576;

/**
 * Packs every output channel's filter for the tile engine: per group,
 * ⌈opg / MR⌉ blocks of [K][MR] doubles, k = (ci·kh + ky)·kw + kx, channels
 * past the group's end zero (computed, never stored). With `flip` the kernel
 * is rotated 180°.
 */
function packWeights(w: Tensor, groups: number, flip: boolean): Float64Array {
  const [cout, cpg, kh, kw] = w.dims4();
  const [so, si, sy, sx] = w.strides4();
  const K = cpg * kh * kw, opg = cout / groups, gb = Math.ceil(opg / MR);
  const src = w.data;
  const dst = new Float64Array(groups * gb * MR * K);
  // Source offset of each k within one output channel's filter: built once, so
  // the copy below is a plain gather whatever the strides and flip.
  const at = new Int32Array(K);
  for (let ci = 0, k = 0; ci < cpg; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, k++) {
        at[k] = ci * si + (flip ? kh - 1 - ky : ky) * sy + (flip ? kw - 1 - kx : kx) * sx;
      }
    }
  }
  for (let grp = 0; grp < groups; grp++) {
    for (let j = 0; j < opg; j++) {
      const s0 = w.offset + (grp * opg + j) * so;
      for (let k = 0, d = ((grp * gb + Math.floor(j / MR)) * K) * MR + (j % MR); k < K; k++, d += MR) dst[d] = src[s0 + at[k]!]!;
    }
  }
  return dst;
}

interface PackedFilter { readonly groups: number; readonly flip: boolean; readonly bytes: Uint8Array; readonly packed: Float64Array }

/**
 * Packed filters cached per weight Tensor. Tiles of one layer, and layers run
 * again, would otherwise repack the whole filter on every call (for small
 * regions that costs more than the convolution). A hit is checked against a
 * byte copy of the weights taken when packing (a native memcmp, ~30× cheaper
 * than packing), so writing into a weight tensor after use is safe.
 */
const packCache = new WeakMap<Tensor, PackedFilter[]>();

function bytesOf(w: Tensor): Uint8Array {
  return new Uint8Array(w.data.buffer, w.data.byteOffset + w.offset * 4, w.size * 4);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (typeof Buffer !== 'undefined') return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function packedFilter(w: Tensor, groups: number, flip: boolean): Float64Array {
  if (!w.isContiguous) return packWeights(w, groups, flip); // a strided view: no cheap byte check, pack each time
  const now = bytesOf(w);
  const entries = packCache.get(w) ?? [];
  const hit = entries.find((e) => e.groups === groups && e.flip === flip);
  if (hit && sameBytes(hit.bytes, now)) return hit.packed;
  const packed = packWeights(w, groups, flip);
  const entry: PackedFilter = { groups, flip, bytes: now.slice(), packed };
  packCache.set(w, [...entries.filter((e) => e !== hit), entry]);
  return packed;
}

/** Where the region's input window lives in the patch (element strides) and how outputs map onto it. */
interface PatchLayout {
  /** Input row / column of patch cell (0, 0); may be negative (padding). */
  ya: number; xa: number;
  /** Patch rows and columns actually covered by the window. */
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
 * Copies input channels [ciBase, ciBase + cpg) of batch item n into the
 * patch: cell (ci, py, px) at ci·chanStride + py·rowStride + (px mod sw)·PWs
 * + ⌊px / sw⌋, zero where the window lies outside the input. Cells past the
 * channels (up to `len`) are zeroed: tiles at the end may read them.
 */
function fillPatch(patch: Float64Array, len: number, x: Tensor, n: number, ciBase: number, cpg: number, g: Geometry, L: PatchLayout): void {
  const [xn, xc, xh, xw] = x.strides4();
  const src = x.data, sw = g.sw;
  for (let ci = 0; ci < cpg; ci++) {
    const plane = x.offset + n * xn + (ciBase + ci) * xc;
    for (let py = 0; py < L.PH; py++) {
      const iy = L.ya + py;
      const d = ci * L.chanStride + py * L.rowStride;
      if (iy < 0 || iy >= g.inH) {
        patch.fill(0, d, d + L.rowStride);
        continue;
      }
      const row = plane + iy * xh;
      // Columns of the patch row that hold input (the rest is padding).
      const lo = Math.min(L.rowStride, Math.max(0, -L.xa)), hi = Math.max(lo, Math.min(L.rowStride, g.inW - L.xa));
      if (sw === 1) {
        patch.fill(0, d, d + lo);
        // A contiguous row converts float32 -> float64 inside TypedArray.set, far faster than a JS loop.
        if (xw === 1 && hi - lo >= 8) patch.set(src.subarray(row + L.xa + lo, row + L.xa + hi), d + lo);
        else for (let px = lo, s = row + (L.xa + lo) * xw; px < hi; px++, s += xw) patch[d + px] = src[s]!;
        patch.fill(0, d + hi, d + L.rowStride);
      } else {
        // Phase by phase: patch column c of phase ph holds input column xa + c·sw + ph.
        for (let ph = 0, dd = d; ph < sw; ph++) {
          for (let c = 0, px = ph; c < L.PWs; c++, px += sw, dd++) patch[dd] = px >= lo && px < hi ? src[row + (L.xa + px) * xw]! : 0;
        }
      }
    }
  }
  patch.fill(0, cpg * L.chanStride, len);
}

function generalConv(x: Tensor, w: Tensor, bias: Tensor | undefined, spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region): void {
  const [cout, cpg, kh, kw] = w.dims4();
  const opg = cout / (spec.groups ?? 1);
  const flip = spec.flip === true;
  const K = cpg * kh * kw;
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
  const patchLen = Math.max(cpg * L.chanStride, lastBase + Math.ceil(lastLen / NR) * NR + maxOff);

  const groups = spec.groups ?? 1;
  const packed = packedFilter(w, groups, flip);
  const gb = Math.ceil(opg / MR); // tile blocks per group in `packed`
  const engine = tileEngine();
  const [on, oc, oh, ow] = out.strides4();
  const od = out.data;
  // Most tile blocks one group can need inside the region (one more when the region starts mid-block).
  const nbMax = Math.min(gb, Math.ceil((r.c1 - r.c0) / MR) + 1);
  const chunk = Math.max(CHUNK, Math.floor(ACC_CELLS / (nbMax * MR) / NR) * NR);
  const buf = engine.reserve(nbMax * MR * K, K, nbMax * MR, patchLen, nbMax * MR * chunk);
  buf.off.set(offs);
  for (let grp = Math.floor(r.c0 / opg); grp * opg < r.c1; grp++) {
    // Output channels of this group inside the region, and the tile blocks covering them.
    const cLo = Math.max(r.c0, grp * opg), cHi = Math.min(r.c1, (grp + 1) * opg);
    const b0 = Math.floor((cLo - grp * opg) / MR), b1 = Math.ceil((cHi - grp * opg) / MR), nb = b1 - b0;
    const cBase = grp * opg + b0 * MR; // output channel of the first acc row
    buf.w.set(packed.subarray((grp * gb + b0) * MR * K, (grp * gb + b1) * MR * K));
    for (let i = 0; i < nb * MR; i++) {
      const co = cBase + i;
      buf.bias[i] = bias && co < cHi ? bias.data[bias.offset + co * bias.strides[0]!]! : 0;
    }
    for (let n = r.n0; n < r.n1; n++) {
      fillPatch(buf.patch, patchLen, x, n, grp * cpg, cpg, g, L);
      for (const [base, len, pitch, oy0] of runs) {
        for (let q0 = 0; q0 < len; q0 += chunk) {
          const qn = Math.min(chunk, len - q0);
          for (let k0 = 0; k0 < K; k0 += KBLOCK) engine.run(K, k0, Math.min(KBLOCK, K - k0), nb, base + q0, Math.ceil(qn / NR), chunk);
          // Copy the finished float32 outputs out, one output-row segment at a time.
          const res = buf.res;
          for (let co = cLo; co < cHi; co++) {
            const rrow = (co - cBase) * chunk - q0;
            const plane = out.offset + n * on + co * oc + r.y0 * oh + r.x0 * ow;
            for (let q = q0, q1 = q0 + qn; q < q1;) {
              const ox = q % pitch, oy = oy0 + (q - ox) / pitch;
              const end = Math.min(q1, q - ox + pitch), stop = Math.min(end, q - ox + cols);
              let o = plane + oy * oh + ox * ow;
              if (ow === 1 && stop - q >= 16) od.set(res.subarray(rrow + q, rrow + stop), o);
              else for (let a = rrow + q; a < rrow + stop; a++, o += ow) od[o] = res[a]!;
              q = end;
            }
          }
        }
      }
    }
  }
}

/** Largest patch one pass builds; a bigger region is cut in halves (rows first), which gives the same bits. */
const MAX_PATCH_BYTES = 64 * 1024 * 1024;

function convRegion(x: Tensor, w: Tensor, bias: Tensor | undefined, spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region): void {
  const cpg = w.dims4()[1];
  if (cpg * patchLayout(g, r).chanStride * 8 > MAX_PATCH_BYTES) {
    const axis = r.y1 - r.y0 > 1 ? 'y' : r.x1 - r.x0 > 1 ? 'x' : null;
    if (axis) {
      for (const half of splitRegion(r, axis, 2)) convRegion(x, w, bias, spec, g, out, half);
      return;
    }
  }
  generalConv(x, w, bias, spec, g, out, r);
}

export const conv2dFast: Kernel<Conv2dSpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(conv2dCheckedOutputShape, spec, inputs, weights, out, r, 'conv2d');
  const x = inputs[0]!, w = weights.weight!;
  convRegion(x, w, weights.bias, spec, conv2dGeometry(spec, x.shape), out, r);
};
