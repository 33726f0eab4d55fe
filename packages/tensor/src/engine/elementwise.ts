import type { Region } from '../region.js';
import type { Tensor } from '../tensor.js';
import { EPILOGUE_WORDS, writeEpilogue, type EpilogueSpec } from '../ops/epilogue.js';
import { engineAddress } from './tensors.js';
import { copyIn, copyOut, elementAt } from './copy.js';
import { guarded, kernelEngine, scratch } from './wasm.js';

/*
 * The engine's element-wise kernel (kernels/elementwise.c) on feature maps
 * that live in engine memory, read and written in place. Each entry returns
 * false, having done nothing, when an operand is elsewhere (a caller's
 * tensor): the TypeScript kernel, which computes the same bits, runs then.
 */

/** Op codes of kernels/elementwise.c. */
export const EW_OP = { add: 0, sub: 1, mul: 2, div: 3, scale: 4, scaleShift: 5, act: 6, copy: 7, sigmoid: 8, zip2: 9, tanh: 10 } as const;

/** Words of the EwCall struct before its Epilogue (op, 4 addresses, extents, 4 × 4 strides). */
const CALL_WORDS = 25;
const CALL_BYTES = (CALL_WORDS + EPILOGUE_WORDS) * 4;
/** A call split across intra-op threads has one struct per part, SLOT bytes apart (64-byte aligned); at most this many. */
const MAX_PARTS = 16;
const SLOT = Math.ceil(CALL_BYTES / 64) * 64;
/** Where a call's vectors (scaleShift's scale and shift) or staged block start in scratch: past every part's struct, 64-byte aligned. */
const VEC_AT = MAX_PARTS * SLOT;
/** Calls over fewer elements run on the calling thread alone. */
const SPLIT_MIN_ELEMENTS = 32768;

/** One operand: its address at the region's start and its element strides along n, c, y, x (0: broadcast). */
interface Operand { at: number; strides: number[] }

/** An engine tensor read at the region's positions, size-1 axes broadcast (stride 0, coordinate 0); null when not in engine memory. */
function operand(t: Tensor, r: Region): Operand | null {
  const d = t.dims4(), s = t.strides4();
  const at = engineAddress(t, d[0] === 1 ? 0 : r.n0, d[1] === 1 ? 0 : r.c0, d[2] === 1 ? 0 : r.y0, d[3] === 1 ? 0 : r.x0);
  return at < 0 ? null : { at, strides: s.map((v, i) => (d[i] === 1 ? 0 : v)) };
}

/**
 * Extents and strides with axes of extent 1 dropped and neighbours that are
 * contiguous in every operand merged (stride of the outer = inner stride ·
 * inner extent), padded back to 4 axes: the innermost run as long as memory allows.
 */
function merged(ext: number[], ops: readonly (Operand | null)[]): { ext: number[]; strides: number[][] } {
  const axes: { ext: number; s: number[] }[] = [];
  for (let i = 3; i >= 0; i--) {
    if (ext[i] === 1) continue;
    const s = ops.map((o) => (o ? o.strides[i]! : 0));
    const inner = axes[axes.length - 1];
    if (inner && s.every((v, k) => v === inner.s[k]! * inner.ext)) inner.ext *= ext[i]!;
    else axes.push({ ext: ext[i]!, s });
  }
  while (axes.length < 4) axes.push({ ext: 1, s: ops.map(() => 0) });
  axes.reverse();
  return { ext: axes.map((a) => a.ext), strides: ops.map((_, k) => axes.map((a) => a.s[k]!)) };
}

/** Writes the call and runs it (split across the engine's intra-op threads when large); `b` and `t` may be absent (0). */
function call(op: number, what: string, r: Region, a: Operand, b: Operand | null, t: Operand | null, out: Operand, act?: EpilogueSpec, vectors?: (mem: Float32Array<ArrayBufferLike>, at: number) => void, vectorBytes = 0): void {
  guarded(what, r, () => {
    const e = kernelEngine();
    const base = scratch(e, VEC_AT + vectorBytes);
    const imem = e.i32(), fmem = e.f32();
    if (vectors) vectors(fmem, (base + VEC_AT) / 4);
    const ops = [a, b, t, out];
    const m = merged([r.n1 - r.n0, r.c1 - r.c0, r.y1 - r.y0, r.x1 - r.x0], ops);
    const i = base / 4;
    imem[i] = op;
    imem[i + 1] = a.at; imem[i + 2] = b ? b.at : 0; imem[i + 3] = t ? t.at : 0; imem[i + 4] = out.at;
    imem.set(m.ext, i + 5);
    for (let k = 0; k < 4; k++) imem.set(m.strides[k]!, i + 9 + 4 * k);
    writeEpilogue(imem, fmem, base + CALL_WORDS * 4, 0, 0, 0, act ?? {});
    const total = m.ext[0]! * m.ext[1]! * m.ext[2]! * m.ext[3]!;
    const want = total >= SPLIT_MIN_ELEMENTS ? Math.min(e.threads, MAX_PARTS) : 1;
    // The outermost axis long enough to cut (the innermost in runs of 16, whole vectors).
    const axis = want > 1 ? m.ext.findIndex((n, k) => (k === 3 ? n >= 16 * want : n >= want)) : -1;
    if (axis < 0) return e.k.elementwise(base);
    const len = m.ext[axis]!, unit = axis === 3 ? 16 : 1, units = Math.ceil(len / unit);
    const parts = Math.min(want, units);
    for (let p = 1; p < parts; p++) imem.copyWithin(i + (p * SLOT) / 4, i, i + CALL_BYTES / 4);
    for (let p = 0; p < parts; p++) {
      const s0 = Math.floor((units * p) / parts) * unit, s1 = Math.min(len, Math.floor((units * (p + 1)) / parts) * unit);
      const j = i + (p * SLOT) / 4;
      // Each operand's address moves by the part's start along the axis (broadcast operands: stride 0).
      for (let k = 0; k < 4; k++) if (ops[k]) imem[j + 1 + k] = ops[k]!.at + s0 * m.strides[k]![axis]! * 4;
      imem[j + 5 + axis] = s1 - s0;
    }
    e.calls('elementwise', base, parts, SLOT);
  });
}

/** a ∘ b with broadcasting (ops/binary) when a, b and out live in engine memory. */
export function engineBinary(fn: 'add' | 'sub' | 'mul' | 'div', a: Tensor, b: Tensor, out: Tensor, r: Region): boolean {
  const oa = operand(a, r), ob = operand(b, r), oo = operand(out, r);
  if (!oa || !ob || !oo) return false;
  call(EW_OP[fn], 'binary', r, oa, ob, null, oo);
  return true;
}

/** x · scale[c] (+ shift[c]) (ops/scale-shift) when x and out live in engine memory; the vectors are copied to scratch. */
export function engineScaleShift(x: Tensor, scale: Float32Array, shift: Float32Array | undefined, out: Tensor, r: Region): boolean {
  const ox = operand(x, r), oo = operand(out, r);
  if (!ox || !oo) return false;
  const C = r.c1 - r.c0, pad = Math.ceil(C / 16) * 16;
  const base = () => scratch(kernelEngine(), VEC_AT + 8 * pad) + VEC_AT;
  // Vectors for channels [c0, c1) at the scratch's end, one per channel (strides 0, 1, 0, 0).
  const at = base();
  const vec = (k: number): Operand => ({ at: at + k * pad * 4, strides: [0, 1, 0, 0] });
  call(shift ? EW_OP.scaleShift : EW_OP.scale, 'scaleShift', r, ox, vec(0), shift ? vec(1) : null, oo, undefined, (mem, f) => {
    mem.set(scale.subarray(r.c0, r.c1), f);
    if (shift) mem.set(shift.subarray(r.c0, r.c1), f + pad);
  }, 8 * pad);
  return true;
}

/** An epilogue activation (relu, relu6, leakyRelu, hardSigmoid, hardSwish) when x and out live in engine memory. */
export function engineActivation(act: EpilogueSpec, x: Tensor, out: Tensor, r: Region): boolean {
  const ox = operand(x, r), oo = operand(out, r);
  if (!ox || !oo) return false;
  call(EW_OP.act, act.activation ?? 'activation', r, ox, null, null, oo, act);
  return true;
}

/** Most floats of a feature map outside engine memory staged through scratch per call (4 MiB). */
const STAGE_FLOATS = 1 << 20;
/** Byte offset of the staged block in scratch: after the call structs, 64-byte aligned. */
const STAGE_AT = VEC_AT;

/**
 * sigmoid or tanh (kernels/sigmoid.h) over r: in place when x and out live in
 * engine memory, else a block of channel planes at a time copied into
 * scratch, run there and copied out (the same bits; the copies cost far less
 * than the float32 steps would in JavaScript).
 */
export function engineSigmoidTanh(fn: 'sigmoid' | 'tanh', x: Tensor, out: Tensor, r: Region): void {
  const ox = operand(x, r), oo = operand(out, r);
  if (ox && oo) {
    call(EW_OP[fn], fn, r, ox, null, null, oo);
    return;
  }
  const rows = r.y1 - r.y0, cols = r.x1 - r.x0, plane = rows * cols;
  const per = Math.max(1, Math.floor(STAGE_FLOATS / plane));
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c += per) {
      const planes = Math.min(per, r.c1 - c);
      const part: Region = { n0: n, n1: n + 1, c0: c, c1: c + planes, y0: r.y0, y1: r.y1, x0: r.x0, x1: r.x1 };
      const e = kernelEngine();
      // The block 64-byte aligned, past the call struct (a memcpy between unaligned blocks ran 4× slower).
      const at = scratch(e, STAGE_AT + planes * plane * 4 + 64) + STAGE_AT;
      const block: Operand = { at, strides: [0, plane, cols, 1] };
      // The side in engine memory is read or written in place; the other goes through the block.
      if (!ox) copyIn(e.f32(), at / 4, x, elementAt(x, n, c, r.y0, r.x0), planes, rows, cols);
      call(EW_OP[fn], fn, part, ox ? operand(x, part)! : block, null, null, oo ? operand(out, part)! : block);
      if (!oo) copyOut(e.f32(), at / 4, out, elementAt(out, n, c, r.y0, r.x0), planes, rows, cols);
    }
  }
}

/**
 * Copies `ext` elements (n, c, y, x) from engine address `src` to `dst`, each
 * side at its own element strides (a strided view on either side).
 */
export function engineCopy(src: number, srcStrides: readonly number[], dst: number, dstStrides: readonly number[], ext: readonly number[]): void {
  const r: Region = { n0: 0, n1: ext[0]!, c0: 0, c1: ext[1]!, y0: 0, y1: ext[2]!, x0: 0, x1: ext[3]! };
  call(EW_OP.copy, 'copy', r, { at: src, strides: [...srcStrides] }, null, null, { at: dst, strides: [...dstStrides] });
}

/**
 * Pairs from engine addresses `a` and `b` (each at its own element strides)
 * into `dst`: element i of a run goes to dst's position i, b's to the element
 * right after it (dst's innermost stride is 2: two columns of a pixel
 * shuffle in one pass).
 */
export function engineZip2(a: number, aStrides: readonly number[], b: number, bStrides: readonly number[], dst: number, dstStrides: readonly number[], ext: readonly number[]): void {
  const r: Region = { n0: 0, n1: ext[0]!, c0: 0, c1: ext[1]!, y0: 0, y1: ext[2]!, x0: 0, x1: ext[3]! };
  call(EW_OP.zip2, 'pixel shuffle', r, { at: a, strides: [...aStrides] }, { at: b, strides: [...bStrides] }, null, { at: dst, strides: [...dstStrides] });
}
