/*
 * The inner loop of the fast conv2d: MR output channels × NR output positions
 * per tile, read straight from a zero-padded double copy of the input (the
 * "patch") through a table of tap offsets, so no im2col matrix is built.
 *
 *   s = Σ_{k=0..K-1} w[(b·K + k)·MR + i] · patch[base + q + off[k]]
 *   res[(b·MR + i)·ldc + q] = float32(s + bias[b·MR + i])
 *
 * for blocks b < nb, positions q < panels·NR. Each sum starts at +0 and adds
 * w·x products in k order, one multiply and one add per step (no fused
 * multiply-add); the bias is added last and the result rounded once to
 * float32. So the WebAssembly SIMD engine and the plain-JS engine below give
 * the same bits, and both give the reference kernel's bits. A call may cover
 * taps [k0, k0 + kc) only: the partial sums then wait in `acc` (doubles, so
 * nothing is rounded) for the call with the next taps.
 *
 * The wasm engine is f64x2 SIMD: two positions per vector, NR/2 vectors per
 * channel, MR·NR/2 accumulators in registers. It is hand-assembled here (a
 * few hundred bytes) so the package needs no wasm toolchain. Node 16.4+
 * validates SIMD; the JS engine covers any runtime that does not. MR × NR =
 * 2 × 8 was the fastest of 1–4 × 4–12 measured on the bench layers.
 */

/** Output channels per tile. */
export const MR = 2;
/** Output positions per tile (a multiple of 2: f64x2 vectors). */
export const NR = 8;

/** Views of the engine's working memory; valid until the next `reserve`. */
export interface TileBuffers {
  /** Packed weights: nb blocks of [K][MR]. */
  readonly w: Float64Array;
  /** Tap offsets into the patch, in elements. */
  readonly off: Int32Array;
  /** One bias per output channel of the blocks (zeros when the layer has none). */
  readonly bias: Float64Array;
  readonly patch: Float64Array;
  /** Partial sums between calls over blocks of taps: rows of `ldc` positions. */
  readonly acc: Float64Array;
  /** Finished outputs, same layout as acc. */
  readonly res: Float32Array;
}

export interface TileEngine {
  readonly kind: 'wasm' | 'js';
  reserve(wLen: number, offLen: number, biasLen: number, patchLen: number, accLen: number): TileBuffers;
  /** Tiles over taps [k0, k0 + kc) of K: continues the sums in acc when k0 > 0, finishes into res when k0 + kc = K. */
  run(K: number, k0: number, kc: number, nb: number, base: number, panels: number, ldc: number): void;
}

// ---- plain JS ------------------------------------------------------------

/** The wasm loop nest in scalar JS, written out for MR = 2, NR = 8. */
function jsTiles(
  w: Float64Array, off: Int32Array, bias: Float64Array, x: Float64Array, acc: Float64Array, res: Float32Array,
  K: number, k0: number, kc: number, nb: number, base: number, panels: number, ldc: number,
): void {
  const more = k0 > 0, last = k0 + kc === K;
  for (let b = 0; b < nb; b++) {
    for (let p = 0; p < panels; p++) {
      const xb = base + p * NR;
      const o = b * MR * ldc + p * NR, o1 = o + ldc;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
      if (more) {
        a0 = acc[o]!; a1 = acc[o + 1]!; a2 = acc[o + 2]!; a3 = acc[o + 3]!;
        a4 = acc[o + 4]!; a5 = acc[o + 5]!; a6 = acc[o + 6]!; a7 = acc[o + 7]!;
        c0 = acc[o1]!; c1 = acc[o1 + 1]!; c2 = acc[o1 + 2]!; c3 = acc[o1 + 3]!;
        c4 = acc[o1 + 4]!; c5 = acc[o1 + 5]!; c6 = acc[o1 + 6]!; c7 = acc[o1 + 7]!;
      }
      for (let k = k0, wo = (b * K + k0) * MR; k < k0 + kc; k++, wo += MR) {
        const xo = xb + off[k]!;
        const w0 = w[wo]!, w1 = w[wo + 1]!;
        const x0 = x[xo]!, x1 = x[xo + 1]!, x2 = x[xo + 2]!, x3 = x[xo + 3]!;
        const x4 = x[xo + 4]!, x5 = x[xo + 5]!, x6 = x[xo + 6]!, x7 = x[xo + 7]!;
        a0 += w0 * x0; a1 += w0 * x1; a2 += w0 * x2; a3 += w0 * x3;
        a4 += w0 * x4; a5 += w0 * x5; a6 += w0 * x6; a7 += w0 * x7;
        c0 += w1 * x0; c1 += w1 * x1; c2 += w1 * x2; c3 += w1 * x3;
        c4 += w1 * x4; c5 += w1 * x5; c6 += w1 * x6; c7 += w1 * x7;
      }
      if (last) {
        // Float32Array stores round to nearest, like Math.fround.
        const b0 = bias[b * MR]!, b1 = bias[b * MR + 1]!;
        res[o] = a0 + b0; res[o + 1] = a1 + b0; res[o + 2] = a2 + b0; res[o + 3] = a3 + b0;
        res[o + 4] = a4 + b0; res[o + 5] = a5 + b0; res[o + 6] = a6 + b0; res[o + 7] = a7 + b0;
        res[o1] = c0 + b1; res[o1 + 1] = c1 + b1; res[o1 + 2] = c2 + b1; res[o1 + 3] = c3 + b1;
        res[o1 + 4] = c4 + b1; res[o1 + 5] = c5 + b1; res[o1 + 6] = c6 + b1; res[o1 + 7] = c7 + b1;
      } else {
        acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
        acc[o + 4] = a4; acc[o + 5] = a5; acc[o + 6] = a6; acc[o + 7] = a7;
        acc[o1] = c0; acc[o1 + 1] = c1; acc[o1 + 2] = c2; acc[o1 + 3] = c3;
        acc[o1 + 4] = c4; acc[o1 + 5] = c5; acc[o1 + 6] = c6; acc[o1 + 7] = c7;
      }
    }
  }
}

function grow<T extends Float64Array | Float32Array | Int32Array>(buf: T, size: number, make: (n: number) => T): T {
  return buf.length >= size ? buf : make(Math.max(size, Math.ceil(buf.length * 1.5)));
}

function createJsEngine(): TileEngine {
  let w = new Float64Array(0), bias = new Float64Array(0), patch = new Float64Array(0), acc = new Float64Array(0);
  let off = new Int32Array(0), res = new Float32Array(0);
  const f64 = (n: number) => new Float64Array(n), f32 = (n: number) => new Float32Array(n), i32 = (n: number) => new Int32Array(n);
  return {
    kind: 'js',
    reserve(wLen, offLen, biasLen, patchLen, accLen) {
      w = grow(w, wLen, f64); off = grow(off, offLen, i32); bias = grow(bias, biasLen, f64);
      patch = grow(patch, patchLen, f64); acc = grow(acc, accLen, f64); res = grow(res, accLen, f32);
      // Views of the exact lengths asked for, like the wasm engine's.
      return {
        w: w.subarray(0, wLen), off: off.subarray(0, offLen), bias: bias.subarray(0, biasLen),
        patch: patch.subarray(0, patchLen), acc: acc.subarray(0, accLen), res: res.subarray(0, accLen),
      };
    },
    run(K, k0, kc, nb, base, panels, ldc) { jsTiles(w, off, bias, patch, acc, res, K, k0, kc, nb, base, panels, ldc); },
  };
}

// ---- WebAssembly SIMD ----------------------------------------------------

/** Unsigned and signed LEB128, the integer encodings of the wasm binary format. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => [...uleb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

const I32 = 0x7f, V128 = 0x7b;
const get = (i: number) => [0x20, ...uleb(i)], set = (i: number) => [0x21, ...uleb(i)], tee = (i: number) => [0x22, ...uleb(i)];
const i32c = (v: number) => [0x41, ...sleb(v)];
const ADD = [0x6a], SUB = [0x6b], MUL = [0x6c], SHL = [0x74], GE_S = [0x4e];
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], IF = [0x04, 0x40], ELSE = [0x05], END = [0x0b];
const br = (d: number) => [0x0c, ...uleb(d)], brIf = (d: number) => [0x0d, ...uleb(d)];
const i32Load = (offset: number) => [0x28, 2, ...uleb(offset)];
const v128Load = (offset: number) => [0xfd, 0x00, 3, ...uleb(offset)];
const v128Store = (offset: number) => [0xfd, 0x0b, 3, ...uleb(offset)];
const v128Load64Splat = (offset: number) => [0xfd, 0x0a, 3, ...uleb(offset)];
const v128Store64Lane = (offset: number, lane: number) => [0xfd, 0x5b, 3, ...uleb(offset), lane];
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const F32X4_DEMOTE_F64X2_ZERO = [0xfd, 0x5e];
const F64X2_ADD = [0xfd, 0xf0, 0x01], F64X2_MUL = [0xfd, 0xf2, 0x01];

/**
 * tiles(w, off, x, K, kc, more, last, nb, panels, c, ldc, bias, res, ldr):
 * the loop nest of jsTiles with byte addresses and strides; w and off
 * already point at tap k0, x at patch[base]. Locals: 14 params, 6 i32, then
 * MR·NR/2 accumulators, NR/2 input vectors and one splatted weight.
 */
function tilesModule(): Uint8Array {
  const NV = NR / 2;
  const W = 0, OFF = 1, X = 2, K = 3, KC = 4, MORE = 5, LAST = 6, NB = 7, PANELS = 8, C = 9, LDC = 10, BIAS = 11, RES = 12, LDR = 13;
  const B = 14, P = 15, WP = 16, OP = 17, KK = 18, A = 19;
  const ACC = 20, XV = ACC + MR * NV, WV = XV + NV;
  const code: number[] = [];
  const emit = (...parts: number[][]) => { for (const p of parts) code.push(...p); };
  /** A = base + b·MR·stride + p·NR·elemBytes: the tile's first row in acc or res. */
  const rowAddr = (base: number, stride: number, elemBytes: number) =>
    emit(get(base), get(B), i32c(MR), MUL, get(stride), MUL, ADD, get(P), i32c(NR * elemBytes), MUL, ADD, set(A));

  emit(i32c(0), set(B), BLOCK, LOOP);
  emit(get(B), get(NB), GE_S, brIf(1));
  emit(i32c(0), set(P), BLOCK, LOOP);
  emit(get(P), get(PANELS), GE_S, brIf(1));
  emit(get(W), get(B), i32c(MR * 8), MUL, get(K), MUL, ADD, set(WP));
  emit(get(OFF), set(OP), get(KC), set(KK));
  // Sums start at +0, or continue from acc.
  for (let a = 0; a < MR * NV; a++) emit(V128_ZERO, set(ACC + a));
  emit(get(MORE), IF);
  rowAddr(C, LDC, 8);
  for (let i = 0; i < MR; i++) {
    for (let v = 0; v < NV; v++) emit(get(A), v128Load(v * 16), set(ACC + i * NV + v));
    if (i + 1 < MR) emit(get(A), get(LDC), ADD, set(A));
  }
  emit(END);
  emit(LOOP);
  // A = x + p·NR·8 + off[k]·8: this tap's inputs for the NR positions
  emit(get(X), get(P), i32c(NR * 8), MUL, ADD, get(OP), i32Load(0), i32c(3), SHL, ADD, set(A));
  for (let v = 0; v < NV; v++) emit(get(A), v128Load(v * 16), set(XV + v));
  for (let i = 0; i < MR; i++) {
    emit(get(WP), v128Load64Splat(i * 8), set(WV));
    for (let v = 0; v < NV; v++) emit(get(ACC + i * NV + v), get(WV), get(XV + v), F64X2_MUL, F64X2_ADD, set(ACC + i * NV + v));
  }
  emit(get(WP), i32c(MR * 8), ADD, set(WP));
  emit(get(OP), i32c(4), ADD, set(OP));
  emit(get(KK), i32c(1), SUB, tee(KK), brIf(0), END);
  emit(get(LAST), IF);
  // Finished: float32(sum + bias) into res, two positions per 8-byte store.
  rowAddr(RES, LDR, 4);
  for (let i = 0; i < MR; i++) {
    emit(get(BIAS), get(B), i32c(MR * 8), MUL, ADD, v128Load64Splat(i * 8), set(WV));
    for (let v = 0; v < NV; v++) emit(get(A), get(ACC + i * NV + v), get(WV), F64X2_ADD, F32X4_DEMOTE_F64X2_ZERO, v128Store64Lane(v * 8, 0));
    if (i + 1 < MR) emit(get(A), get(LDR), ADD, set(A));
  }
  emit(ELSE);
  rowAddr(C, LDC, 8);
  for (let i = 0; i < MR; i++) {
    for (let v = 0; v < NV; v++) emit(get(A), get(ACC + i * NV + v), v128Store(v * 16));
    if (i + 1 < MR) emit(get(A), get(LDC), ADD, set(A));
  }
  emit(END);
  emit(get(P), i32c(1), ADD, set(P), br(0), END, END);
  emit(get(B), i32c(1), ADD, set(B), br(0), END, END);
  emit(END);

  const body = [...vec([[...uleb(6), I32], [...uleb(MR * NV + NV + 1), V128]]), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array<number[]>(14).fill([I32])), 0]])), // type: (i32 × 14) -> ()
    ...section(3, vec([[0]])), // one function of type 0
    ...section(5, vec([[0x00, ...uleb(1)]])), // memory: 1 page, no maximum
    ...section(7, vec([[...name('tiles'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

const align16 = (n: number) => Math.ceil(n / 16) * 16;

/** The part of the WebAssembly API used here (the ES2022 lib this package builds with does not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }

function createWasmEngine(): TileEngine | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  let inst: { readonly exports: Record<string, unknown> };
  try {
    const bytes = tilesModule();
    if (!api || !api.validate(bytes)) return null;
    inst = new api.Instance(new api.Module(bytes));
  } catch {
    return null;
  }
  const memory = inst.exports.memory as WasmMemory;
  const tiles = inst.exports.tiles as (
    w: number, off: number, x: number, K: number, kc: number, more: number, last: number,
    nb: number, panels: number, c: number, ldc: number, bias: number, res: number, ldr: number,
  ) => void;
  let wAt = 0, offAt = 0, biasAt = 0, patchAt = 0, accAt = 0, resAt = 0;
  return {
    kind: 'wasm',
    reserve(wLen, offLen, biasLen, patchLen, accLen) {
      // One region after another: [w | off | bias | patch | acc | res], each 16-byte aligned.
      wAt = 0;
      offAt = align16(wAt + wLen * 8);
      biasAt = align16(offAt + offLen * 4);
      patchAt = align16(biasAt + biasLen * 8);
      accAt = align16(patchAt + patchLen * 8);
      resAt = align16(accAt + accLen * 8);
      const end = resAt + accLen * 4;
      if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
      const buf = memory.buffer;
      return {
        w: new Float64Array(buf, wAt, wLen),
        off: new Int32Array(buf, offAt, offLen),
        bias: new Float64Array(buf, biasAt, biasLen),
        patch: new Float64Array(buf, patchAt, patchLen),
        acc: new Float64Array(buf, accAt, accLen),
        res: new Float32Array(buf, resAt, accLen),
      };
    },
    run(K, k0, kc, nb, base, panels, ldc) {
      tiles(wAt + k0 * MR * 8, offAt + k0 * 4, patchAt + base * 8, K, kc, k0 > 0 ? 1 : 0, k0 + kc === K ? 1 : 0,
        nb, panels, accAt, ldc * 8, biasAt, resAt, ldc * 4);
    },
  };
}

const engines: { wasm: TileEngine | null | undefined; js: TileEngine | undefined } = { wasm: undefined, js: undefined };
let preferred: 'wasm' | 'js' = 'wasm';

/** The engine fast conv2d uses: wasm SIMD where the runtime has it, else plain JS. */
export function tileEngine(): TileEngine {
  if (preferred === 'wasm') {
    if (engines.wasm === undefined) engines.wasm = createWasmEngine();
    if (engines.wasm) return engines.wasm;
  }
  return (engines.js ??= createJsEngine());
}

/** Chooses the engine (tests run both and demand identical bits); returns the one now in use. */
export function useTileEngine(kind: 'wasm' | 'js'): 'wasm' | 'js' {
  preferred = kind;
  return tileEngine().kind;
}
