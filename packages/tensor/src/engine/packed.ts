import type { Tensor } from '../tensor.js';
import type { Engine } from './wasm.js';

/*
 * Packed weights kept in engine memory, once per weight tensor, layout key
 * and thread: a conv layer's filter is rearranged into the kernel's panels the
 * first time the layer runs and reused by every later region and run.
 *
 * A hit must not hide a weight written in place after packing. Tensors up to
 * EXACT_CHECK_BYTES are compared byte for byte with a copy taken at packing
 * (a native memcmp); larger ones against 256 sampled values plus their ends
 * (each sample a cache miss: 4096 of them cost a tenth of a big dense
 * layer). The check runs on every kernel call, and a tiled run calls a
 * layer's kernel once per tile: a full compare of a 128→128 3×3 filter
 * (576 KiB) per tile cost a face net's tiled run ~1 ms, a sixth of its
 * layers' time, and compares up to 64 KiB were still 3 % of a small
 * classifier's run. Writing into a weight of over 16 KiB after it ran is not
 * supported: build a new tensor instead (models never do it).
 */
const EXACT_CHECK_BYTES = 1 << 14;
const SAMPLES = 256;
/** Most engine memory packed weights may hold per thread; least recently used go first. */
const CACHE_LIMIT_BYTES = 1 << 30;

interface Entry {
  readonly owner: Map<string, Entry>;
  readonly key: string;
  readonly at: number;
  readonly bytes: number;
  readonly check: Uint8Array | Float32Array;
  /** For an exact check: the tensor's bytes and the copy, as Buffers made once (the compare allocates nothing per call). */
  readonly now?: Buffer;
  readonly then?: Buffer;
  lastUse: number;
}

const byTensor = new WeakMap<Tensor, Map<string, Entry>>();
const live = new Set<Entry>();
let liveBytes = 0;
let clock = 0;
let owningEngine: Engine | undefined;

const collected = new FinalizationRegistry<Map<string, Entry>>((entries) => {
  for (const e of entries.values()) drop(e);
});

function drop(e: Entry): void {
  if (!live.delete(e)) return;
  liveBytes -= e.bytes;
  e.owner.delete(e.key);
  owningEngine?.heap.release(e.at);
}

function bytesOf(w: Tensor): Uint8Array {
  return new Uint8Array(w.data.buffer, w.data.byteOffset + w.offset * 4, w.size * 4);
}

function snapshot(w: Tensor): Uint8Array | Float32Array {
  const b = bytesOf(w);
  if (b.length <= EXACT_CHECK_BYTES) return b.slice();
  const out = new Float32Array(SAMPLES + 2);
  const src = w.data, n = w.size, step = n / SAMPLES;
  for (let i = 0; i < SAMPLES; i++) out[i] = src[w.offset + Math.floor(i * step)]!;
  out[SAMPLES] = src[w.offset]!;
  out[SAMPLES + 1] = src[w.offset + n - 1]!;
  return out;
}

function unchanged(w: Tensor, e: Entry): boolean {
  if (e.now) return e.now.equals(e.then!);
  // The samples snapshot took, compared where they lie (no copy): Object.is, so −0 ≠ +0 and NaN = NaN.
  const check = e.check as Float32Array, src = w.data, n = w.size, step = n / SAMPLES;
  for (let i = 0; i < SAMPLES; i++) if (!Object.is(src[w.offset + Math.floor(i * step)]!, check[i]!)) return false;
  return Object.is(src[w.offset]!, check[SAMPLES]!) && Object.is(src[w.offset + n - 1]!, check[SAMPLES + 1]!);
}

/**
 * Engine address of `w` packed as `key` describes: `pack` fills `floats`
 * float32 values starting at element `at` of the engine memory the first
 * time (and whenever the tensor's contents changed).
 * Only contiguous tensors are cached; a strided view is packed every call
 * into an allocation the caller releases (`temporary` is true).
 */
export function packedWeights(e: Engine, w: Tensor, key: string, floats: number, pack: (mem: Float32Array, at: number) => void): { at: number; temporary: boolean } {
  owningEngine = e;
  if (!w.isContiguous) {
    const at = e.heap.alloc(floats * 4);
    pack(e.f32(), at / 4);
    return { at, temporary: true };
  }
  let entries = byTensor.get(w);
  const hit = entries?.get(key);
  if (hit) {
    if (unchanged(w, hit)) {
      hit.lastUse = ++clock;
      return { at: hit.at, temporary: false };
    }
    drop(hit);
  }
  evictFor(floats * 4);
  const at = e.heap.alloc(floats * 4);
  pack(e.f32(), at / 4);
  if (!entries) {
    entries = new Map();
    byTensor.set(w, entries);
    collected.register(w, entries);
  }
  const check = snapshot(w);
  // A tensor's data array never changes (only its contents may): a Buffer over its bytes serves every later check.
  const exact = check instanceof Uint8Array ? { now: Buffer.from(bytesOf(w).buffer, w.data.byteOffset + w.offset * 4, w.size * 4), then: Buffer.from(check.buffer, check.byteOffset, check.length) } : {};
  const entry: Entry = { owner: entries, key, at, bytes: floats * 4, check, ...exact, lastUse: ++clock };
  entries.set(key, entry);
  live.add(entry);
  liveBytes += entry.bytes;
  return { at, temporary: false };
}

function evictFor(bytes: number): void {
  if (liveBytes + bytes <= CACHE_LIMIT_BYTES) return;
  const order = [...live].sort((a, b) => a.lastUse - b.lastUse);
  for (const e of order) {
    if (liveBytes + bytes <= CACHE_LIMIT_BYTES) break;
    drop(e);
  }
}

/** Drops every packed weight of this thread (tests; a worker shutting down). */
export function clearPackedWeights(): void {
  for (const e of [...live]) drop(e);
}
