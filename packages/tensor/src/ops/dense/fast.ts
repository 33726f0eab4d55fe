import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { guarded, kernelEngine, scratch, type Engine } from '../../engine/wasm.js';
import { packedWeights } from '../../engine/packed.js';
import { epilogueVectors, writeEpilogue } from '../epilogue.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { denseOutputShape, type DenseSpec } from './spec.js';

/*
 * Production dense: the engine's kernel (kernels/dense.c) over weights packed
 * once per layer and thread in panels of 16 output features, [F/16][K][16],
 * zero past F (engine/packed.ts keeps them; a 4096×1024 matrix is 16 MiB and
 * must not be copied per call).
 *
 * Numerics (op.ts): each output is a float32 sum from +0 over k = 0 … K−1 in
 * order (multiply, then add), then the epilogue (bias, scale/shift,
 * activation), one float32 rounding per operation. Rows never mix and the
 * kernel's blocking over rows, panels and taps only decides when a partial
 * sum is stored, so any region gives the same bits.
 *
 * Per call the region's input rows are gathered (flatten order k = (c·H + y)·W
 * + x) into engine scratch, the kernel computes the panels covering features
 * [c0, c1) for those rows, and the features of the region are copied out;
 * columns of a panel outside the region are computed and dropped.
 */

const PANEL = 16;
/** Input rows per kernel call: bounded so the gathered rows stay cache-sized (≥ 2 for the 2-row tile). */
const ROW_BYTES = 1 << 20;
const MAX_ROWS = 256;

/** Packs W [K, F] as panels [⌈F/16⌉][K][16]: feature f of tap k at ((f >> 4)·K + k)·16 + (f & 15). */
function packWeights(mem: Float32Array, at: number, w: Tensor): void {
  const [K, F] = w.shape as [number, number];
  const [sk, sf] = w.strides as [number, number];
  const panels = Math.ceil(F / PANEL);
  const src = w.data;
  if (F % PANEL) {
    const last = at + (panels - 1) * K * PANEL;
    mem.fill(0, last, last + K * PANEL);
  }
  for (let k = 0; k < K; k++) {
    const row = w.offset + k * sk;
    for (let p = 0; p < panels; p++) {
      const f0 = p * PANEL, n = Math.min(PANEL, F - f0);
      const d = at + (p * K + k) * PANEL;
      if (sf === 1) mem.set(src.subarray(row + f0, row + f0 + n), d);
      else for (let i = 0, s = row + f0 * sf; i < n; i++, s += sf) mem[d + i] = src[s]!;
    }
  }
}

/** Copies input row n (flatten order) to mem[d …d + K). */
function gatherRow(mem: Float32Array, d: number, x: Tensor, n: number): void {
  const [, c, h, w] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const src = x.data, base = x.offset + n * sn, K = c * h * w;
  // Rank 2 has sh = sw = 0 with h = w = 1, so the contiguity test only needs the inner strides that matter.
  if ((w === 1 || sw === 1) && (h === 1 || sh === w) && (c === 1 || sc === h * w)) {
    mem.set(src.subarray(base, base + K), d);
    return;
  }
  for (let ci = 0; ci < c; ci++)
    for (let y = 0; y < h; y++)
      for (let xx = 0, p = base + ci * sc + y * sh; xx < w; xx++, p += sw) mem[d++] = src[p]!;
}

function denseRegion(e: Engine, x: Tensor, weights: Weights, spec: DenseSpec, out: Tensor, r: Region): void {
  const w = weights.weight!;
  const [K, F] = w.shape as [number, number];
  const totalPanels = Math.ceil(F / PANEL);
  const packed = packedWeights(e, w, 'dense:16', totalPanels * K * PANEL, (mem, at) => packWeights(mem, at, w));
  try {
    const p0 = Math.floor(r.c0 / PANEL), p1 = Math.ceil(r.c1 / PANEL), panels = p1 - p0;
    const cols = panels * PANEL, cBase = p0 * PANEL;
    const rowsTotal = r.n1 - r.n0;
    const chunk = Math.min(rowsTotal, Math.max(2, Math.min(MAX_ROWS, Math.floor(ROW_BYTES / (K * 4)))));
    const scaled = weights.scale !== undefined;
    // Scratch: [epilogue struct | bias | scale | shift | rows | results], 64-byte aligned pieces.
    const a64 = (n: number) => Math.ceil(n / 64) * 64;
    const epAt = 0, biasAt = 64, scaleAt = biasAt + a64(cols * 4), shiftAt = scaleAt + a64(cols * 4);
    const xAt = shiftAt + a64(cols * 4), yAt = xAt + a64(chunk * K * 4);
    const base = scratch(e, yAt + chunk * cols * 4);
    const mem = e.f32(), imem = e.i32();
    const vec = (off: number) => mem.subarray((base + off) / 4, (base + off) / 4 + cols);
    epilogueVectors(weights, cBase, cols, F, { bias: vec(biasAt), scale: scaled ? vec(scaleAt) : null, shift: scaled ? vec(shiftAt) : null });
    writeEpilogue(imem, mem, base + epAt, base + biasAt, scaled ? base + scaleAt : 0, base + shiftAt, spec);

    const wAt = packed.at + p0 * K * PANEL * 4;
    const [on, oc] = out.strides4();
    const od = out.data;
    const x0 = (base + xAt) / 4, y0 = (base + yAt) / 4;
    for (let n0 = r.n0; n0 < r.n1; n0 += chunk) {
      const rows = Math.min(chunk, r.n1 - n0);
      for (let i = 0; i < rows; i++) gatherRow(mem, x0 + i * K, x, n0 + i);
      e.k.dense_rows(wAt, base + xAt, K, K, rows, panels, base + yAt, cols, base + epAt);
      for (let i = 0; i < rows; i++) {
        const src = y0 + i * cols + (r.c0 - cBase), len = r.c1 - r.c0;
        let o = out.offset + (n0 + i) * on + r.c0 * oc;
        if (oc === 1) od.set(mem.subarray(src, src + len), o);
        else for (let j = src; j < src + len; j++, o += oc) od[o] = mem[j]!;
      }
    }
  } finally {
    if (packed.temporary) e.heap.release(packed.at);
  }
}

export function denseFast(inputs: readonly Tensor[], weights: Weights, spec: DenseSpec, out: Tensor, r: Region): void {
  checkKernelCall(denseOutputShape, spec, inputs, weights, out, r, 'dense');
  if (r.n1 <= r.n0 || r.c1 <= r.c0) return;
  const x = inputs[0]!;
  guarded('dense', r, () => denseRegion(kernelEngine(), x, weights, spec, out, r));
}
