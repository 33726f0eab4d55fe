/*
 * The inner loop of the fast conv2d: MR output channels × NR output positions
 * per tile, read straight from a zero-padded double copy of the input (the
 * "patch") through a table of tap offsets, so no im2col matrix is built.
 *
 *   acc[(b·MR + i)·ldc + q] = Σ_{k=0..K-1} w[(b·K + k)·MR + i] · patch[base + q + off[k]]
 *
 * for b < nb, q < panels·NR. Each sum starts at +0 and adds w·x products in
 * k order, one multiply and one add per step (no fused multiply-add), so the
 * WebAssembly SIMD engine and the plain-JS engine below give the same bits,
 * and both give the reference kernel's bits.
 *
 * The wasm engine is f64x2 SIMD: two positions per vector, NR/2 vectors per
 * channel, MR·NR/2 accumulators in registers. It is hand-assembled here (a
 * few dozen bytes of code) so the package needs no wasm toolchain. Node 16.4+
 * validates SIMD; the JS engine covers any runtime that does not.
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
  readonly patch: Float64Array;
  /** Results: rows of `ldc` positions, one row per output channel of the blocks. */
  readonly acc: Float64Array;
}

export interface TileEngine {
  readonly kind: 'wasm' | 'js';
  reserve(wLen: number, offLen: number, patchLen: number, accLen: number): TileBuffers;
  run(K: number, nb: number, base: number, panels: number, ldc: number): void;
}

// ---- plain JS ------------------------------------------------------------

function jsTiles(w: Float64Array, off: Int32Array, x: Float64Array, acc: Float64Array, K: number, nb: number, base: number, panels: number, ldc: number): void {
  for (let b = 0; b < nb; b++) {
    for (let p = 0; p < panels; p++) {
      const xb = base + p * NR;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
      for (let k = 0, wo = b * K * MR; k < K; k++, wo += MR) {
        const xo = xb + off[k]!;
        const w0 = w[wo]!, w1 = w[wo + 1]!;
        const x0 = x[xo]!, x1 = x[xo + 1]!, x2 = x[xo + 2]!, x3 = x[xo + 3]!;
        const x4 = x[xo + 4]!, x5 = x[xo + 5]!, x6 = x[xo + 6]!, x7 = x[xo + 7]!;
        a0 += w0 * x0; a1 += w0 * x1; a2 += w0 * x2; a3 += w0 * x3;
        a4 += w0 * x4; a5 += w0 * x5; a6 += w0 * x6; a7 += w0 * x7;
        c0 += w1 * x0; c1 += w1 * x1; c2 += w1 * x2; c3 += w1 * x3;
        c4 += w1 * x4; c5 += w1 * x5; c6 += w1 * x6; c7 += w1 * x7;
      }
      let o = b * MR * ldc + p * NR;
      acc[o] = a0; acc[o + 1] = a1; acc[o + 2] = a2; acc[o + 3] = a3;
      acc[o + 4] = a4; acc[o + 5] = a5; acc[o + 6] = a6; acc[o + 7] = a7;
      o += ldc;
      acc[o] = c0; acc[o + 1] = c1; acc[o + 2] = c2; acc[o + 3] = c3;
      acc[o + 4] = c4; acc[o + 5] = c5; acc[o + 6] = c6; acc[o + 7] = c7;
    }
  }
}

function grow(buf: Float64Array<ArrayBuffer>, size: number): Float64Array<ArrayBuffer> {
  return buf.length >= size ? buf : new Float64Array(Math.max(size, Math.ceil(buf.length * 1.5)));
}

function createJsEngine(): TileEngine {
  let w = new Float64Array(0), patch = new Float64Array(0), acc = new Float64Array(0);
  let off = new Int32Array(0);
  return {
    kind: 'js',
    reserve(wLen, offLen, patchLen, accLen) {
      w = grow(w, wLen); patch = grow(patch, patchLen); acc = grow(acc, accLen);
      if (off.length < offLen) off = new Int32Array(offLen);
      return { w, off, patch, acc };
    },
    run(K, nb, base, panels, ldc) { jsTiles(w, off, patch, acc, K, nb, base, panels, ldc); },
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
const ADD = [0x6a], SUB = [0x6b], MUL = [0x6c], GE_S = [0x4e];
const BLOCK = [0x02, 0x40], LOOP = [0x03, 0x40], END = [0x0b];
const br = (d: number) => [0x0c, ...uleb(d)], brIf = (d: number) => [0x0d, ...uleb(d)];
const i32Load = (offset: number) => [0x28, 2, ...uleb(offset)];
const v128Load = (offset: number) => [0xfd, 0x00, 3, ...uleb(offset)];
const v128Store = (offset: number) => [0xfd, 0x0b, 3, ...uleb(offset)];
const v128Load64Splat = (offset: number) => [0xfd, 0x0a, 3, ...uleb(offset)];
const V128_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const F64X2_ADD = [0xfd, 0xf0, 0x01], F64X2_MUL = [0xfd, 0xf2, 0x01];

/**
 * tiles(w, off, x, K, nb, panels, c, ldcBytes): the loop nest of jsTiles with
 * byte addresses (x already points at patch[base]). Locals: 8 params, 6 i32,
 * then MR·NR/2 accumulators, NR/2 input vectors and one splatted weight.
 */
function tilesModule(): Uint8Array {
  const NV = NR / 2;
  const W = 0, OFF = 1, X = 2, K = 3, NB = 4, PANELS = 5, C = 6, LDC = 7;
  const B = 8, P = 9, WP = 10, OP = 11, KK = 12, XK = 13;
  const ACC = 14, XV = ACC + MR * NV, WV = XV + NV;
  const code: number[] = [];
  const emit = (...parts: number[][]) => { for (const p of parts) code.push(...p); };

  emit(i32c(0), set(B), BLOCK, LOOP);
  emit(get(B), get(NB), GE_S, brIf(1));
  emit(i32c(0), set(P), BLOCK, LOOP);
  emit(get(P), get(PANELS), GE_S, brIf(1));
  emit(get(W), get(B), i32c(MR * 8), MUL, get(K), MUL, ADD, set(WP));
  emit(get(OFF), set(OP), get(K), set(KK));
  for (let a = 0; a < MR * NV; a++) emit(V128_ZERO, set(ACC + a));
  emit(LOOP);
  // xk = x + p·NR·8 + off[k]·8
  emit(get(X), get(P), i32c(NR * 8), MUL, ADD, get(OP), i32Load(0), i32c(3), [0x74 /* i32.shl */], ADD, set(XK));
  for (let v = 0; v < NV; v++) emit(get(XK), v128Load(v * 16), set(XV + v));
  for (let i = 0; i < MR; i++) {
    emit(get(WP), v128Load64Splat(i * 8), set(WV));
    for (let v = 0; v < NV; v++) emit(get(ACC + i * NV + v), get(WV), get(XV + v), F64X2_MUL, F64X2_ADD, set(ACC + i * NV + v));
  }
  emit(get(WP), i32c(MR * 8), ADD, set(WP));
  emit(get(OP), i32c(4), ADD, set(OP));
  emit(get(KK), i32c(1), SUB, tee(KK), brIf(0), END);
  // c + (b·MR + i)·ldc + p·NR·8
  emit(get(C), get(B), i32c(MR), MUL, get(LDC), MUL, ADD, get(P), i32c(NR * 8), MUL, ADD, set(XK));
  for (let i = 0; i < MR; i++) {
    for (let v = 0; v < NV; v++) emit(get(XK), get(ACC + i * NV + v), v128Store(v * 16));
    if (i + 1 < MR) emit(get(XK), get(LDC), ADD, set(XK));
  }
  emit(get(P), i32c(1), ADD, set(P), br(0), END, END);
  emit(get(B), i32c(1), ADD, set(B), br(0), END, END);
  emit(END);

  const body = [...vec([[...uleb(6), I32], [...uleb(MR * NV + NV + 1), V128]]), ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array<number[]>(8).fill([I32])), 0]])), // type: (i32 × 8) -> ()
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
  const tiles = inst.exports.tiles as (w: number, off: number, x: number, K: number, nb: number, panels: number, c: number, ldc: number) => void;
  let wAt = 0, offAt = 0, patchAt = 0, accAt = 0;
  return {
    kind: 'wasm',
    reserve(wLen, offLen, patchLen, accLen) {
      wAt = 0;
      offAt = align16(wAt + wLen * 8);
      patchAt = align16(offAt + offLen * 4);
      accAt = align16(patchAt + patchLen * 8);
      const end = accAt + accLen * 8;
      if (end > memory.buffer.byteLength) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
      const buf = memory.buffer;
      return {
        w: new Float64Array(buf, wAt, wLen),
        off: new Int32Array(buf, offAt, offLen),
        patch: new Float64Array(buf, patchAt, patchLen),
        acc: new Float64Array(buf, accAt, accLen),
      };
    },
    run(K, nb, base, panels, ldc) { tiles(wAt, offAt, patchAt + base * 8, K, nb, panels, accAt, ldc * 8); },
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
