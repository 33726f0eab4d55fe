import type { Region } from '../../region.js';
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
 * w · 0, bias added last, one rounding to float32 at the store. Float32
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
 *
 * Depthwise path (groups == Cin == Cout): one kh×kw stencil per channel on a
 * zero-padded double copy of the channel's input window, in JS.
 */

/** Positions per engine call: a multiple of NR; 128 keeps the patch rows a chunk reads and a block's weights in L1/L2. */
const CHUNK = 128;

let patchBuf = new Float64Array(0);

function grow(buf: Float64Array<ArrayBuffer>, size: number): Float64Array<ArrayBuffer> {
  return buf.length >= size ? buf : new Float64Array(Math.max(size, Math.ceil(buf.length * 1.5)));
}

/**
 * Packs output channels [ca, ca + nb·MR) into `dst` as nb blocks of [K][MR],
 * k = (ci·kh + ky)·kw + kx; channels from `cEnd` on are zero (computed, never
 * stored). With `flip` the kernel is rotated 180°.
 */
function packWeights(w: Tensor, dst: Float64Array, ca: number, nb: number, cEnd: number, flip: boolean): void {
  const [, cpg, kh, kw] = w.dims4();
  const [so, si, sy, sx] = w.strides4();
  const K = cpg * kh * kw;
  const src = w.data;
  for (let b = 0; b < nb; b++) {
    for (let i = 0; i < MR; i++) {
      const co = ca + b * MR + i;
      let d = b * MR * K + i;
      if (co >= cEnd) {
        for (let k = 0; k < K; k++, d += MR) dst[d] = 0;
        continue;
      }
      for (let ci = 0; ci < cpg; ci++) {
        for (let ky = 0; ky < kh; ky++) {
          const ty = flip ? kh - 1 - ky : ky;
          for (let kx = 0; kx < kw; kx++, d += MR) {
            const tx = flip ? kw - 1 - kx : kx;
            dst[d] = src[w.offset + co * so + ci * si + ty * sy + tx * sx]!;
          }
        }
      }
    }
  }
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
        for (let px = lo, s = row + (L.xa + lo) * xw; px < hi; px++, s += xw) patch[d + px] = src[s]!;
        patch.fill(0, d + hi, d + L.rowStride);
      } else {
        for (let px = 0; px < L.rowStride; px++) {
          patch[d + (px % sw) * L.PWs + Math.floor(px / sw)] = px >= lo && px < hi ? src[row + (L.xa + px) * xw]! : 0;
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

  const engine = tileEngine();
  const [on, oc, oh, ow] = out.strides4();
  const od = out.data;
  for (let grp = Math.floor(r.c0 / opg); grp * opg < r.c1; grp++) {
    // Output channels of this group inside the region, and the tile blocks covering them.
    const cLo = Math.max(r.c0, grp * opg), cHi = Math.min(r.c1, (grp + 1) * opg);
    const nb = Math.ceil((cHi - cLo) / MR);
    const buf = engine.reserve(nb * MR * K, K, patchLen, nb * MR * CHUNK);
    packWeights(w, buf.w, cLo, nb, cHi, flip);
    buf.off.set(offs);
    for (let n = r.n0; n < r.n1; n++) {
      fillPatch(buf.patch, patchLen, x, n, grp * cpg, cpg, g, L);
      for (const [base, len, pitch, oy0] of runs) {
        for (let q0 = 0; q0 < len; q0 += CHUNK) {
          const qn = Math.min(CHUNK, len - q0);
          engine.run(K, nb, base + q0, Math.ceil(qn / NR), CHUNK);
          // Bias last, one float32 rounding at the store (the typed-array write).
          const acc = buf.acc;
          for (let co = cLo; co < cHi; co++) {
            const bv = bias ? bias.data[bias.offset + co * bias.strides[0]!]! : 0;
            const arow = (co - cLo) * CHUNK - q0;
            const plane = out.offset + n * on + co * oc + r.y0 * oh + r.x0 * ow;
            // Walk the chunk one output-row segment at a time.
            for (let q = q0, q1 = q0 + qn; q < q1;) {
              const ox = q % pitch, oy = oy0 + (q - ox) / pitch;
              const end = Math.min(q1, q - ox + pitch), stop = Math.min(end, q - ox + cols);
              let o = plane + oy * oh + ox * ow;
              for (let a = arow + q, aEnd = arow + stop; a < aEnd; a++, o += ow) od[o] = acc[a]! + bv;
              q = end;
            }
          }
        }
      }
    }
  }
}

/**
 * Depthwise (one input channel per output channel): copy the channel's
 * input window with its zero padding into a double patch, then run the
 * stencil with no bounds tests. 3×3 gets an unrolled body; both bodies add
 * the taps in (ky, kx) order starting from 0, like the reference.
 */
function depthwiseConv(x: Tensor, w: Tensor, bias: Tensor | undefined, spec: Conv2dSpec, g: Geometry, out: Tensor, r: Region): void {
  const { kh, kw, sh, sw, dh, dw, pt, pl, inH, inW } = g;
  const flip = spec.flip === true;
  const [xn, xc, xh, xw] = x.strides4();
  const [wo, , wy, wx] = w.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const ya = r.y0 * sh - pt, yb = (r.y1 - 1) * sh - pt + (kh - 1) * dh + 1;
  const xa = r.x0 * sw - pl, xb = (r.x1 - 1) * sw - pl + (kw - 1) * dw + 1;
  const PH = yb - ya, PW = xb - xa;
  patchBuf = grow(patchBuf, PH * PW);
  const patch = patchBuf, src = x.data, od = out.data;
  const taps = new Float64Array(kh * kw);
  const unrolled = kh === 3 && kw === 3;
  for (let c = r.c0; c < r.c1; c++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const ty = flip ? kh - 1 - ky : ky, tx = flip ? kw - 1 - kx : kx;
        taps[ky * kw + kx] = w.data[w.offset + c * wo + ty * wy + tx * wx]!;
      }
    }
    const bv = bias ? bias.data[bias.offset + c * bias.strides[0]!]! : 0;
    const [t0, t1, t2, t3, t4, t5, t6, t7, t8] = unrolled ? taps : [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let n = r.n0; n < r.n1; n++) {
      const plane = x.offset + n * xn + c * xc;
      for (let py = 0; py < PH; py++) {
        const iy = ya + py;
        let d = py * PW;
        if (iy < 0 || iy >= inH) {
          patch.fill(0, d, d + PW);
          continue;
        }
        const row = plane + iy * xh;
        for (let px = 0, ix = xa; px < PW; px++, ix++, d++) patch[d] = ix >= 0 && ix < inW ? src[row + ix * xw]! : 0;
      }
      const r1 = dh * PW, r2 = 2 * dh * PW, d1 = dw, d2 = 2 * dw;
      for (let oy = r.y0; oy < r.y1; oy++) {
        let o = out.offset + n * on + c * oc + oy * oh + r.x0 * ow;
        let p = (oy - r.y0) * sh * PW;
        for (let ox = r.x0; ox < r.x1; ox++, o += ow, p += sw) {
          let acc = 0;
          if (unrolled) {
            acc += t0! * patch[p]!; acc += t1! * patch[p + d1]!; acc += t2! * patch[p + d2]!;
            acc += t3! * patch[p + r1]!; acc += t4! * patch[p + r1 + d1]!; acc += t5! * patch[p + r1 + d2]!;
            acc += t6! * patch[p + r2]!; acc += t7! * patch[p + r2 + d1]!; acc += t8! * patch[p + r2 + d2]!;
          } else {
            for (let ky = 0, t = 0; ky < kh; ky++) {
              const rowp = p + ky * dh * PW;
              for (let kx = 0; kx < kw; kx++, t++) acc += taps[t]! * patch[rowp + kx * dw]!;
            }
          }
          od[o] = acc + bv;
        }
      }
    }
  }
}

export const conv2dFast: Kernel<Conv2dSpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(conv2dCheckedOutputShape, spec, inputs, weights, out, r, 'conv2d');
  const x = inputs[0]!, w = weights.weight!, bias = weights.bias;
  const g = conv2dGeometry(spec, x.shape);
  const [cout, cpg] = w.dims4();
  const groups = spec.groups ?? 1;
  if (cpg === 1 && cout === groups) depthwiseConv(x, w, bias, spec, g, out, r);
  else generalConv(x, w, bias, spec, g, out, r);
};
