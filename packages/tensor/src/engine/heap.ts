import { TesseraError } from '../errors.js';

/**
 * A first-fit allocator over the engine's linear memory: byte ranges
 * [start, end) handed out 64-byte aligned (a cache line; SIMD loads need 16),
 * freed blocks merged with their neighbours. When nothing fits, `grow` adds
 * pages at the top and returns the new memory size. Blocks are few and
 * large (packed weights, one scratch area), so a sorted array is enough.
 */
export class Heap {
  private readonly free: { at: number; size: number }[] = [];
  private readonly used = new Map<number, number>();
  private top: number;

  constructor(base: number, private size: number, private readonly grow: (bytes: number) => number) {
    this.top = align(base);
    if (this.size > this.top) this.free.push({ at: this.top, size: this.size - this.top });
  }

  /** Bytes in use. */
  get inUse(): number {
    let n = 0;
    for (const s of this.used.values()) n += s;
    return n;
  }

  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new TesseraError('BAD_ARGUMENT', `engine allocation of ${bytes} bytes`);
    const want = align(Math.max(bytes, 1));
    let i = this.free.findIndex((b) => b.size >= want);
    if (i < 0) {
      // Grow so that the last free block (if it ends at the top) plus the new pages fit.
      const last = this.free[this.free.length - 1];
      const tail = last && last.at + last.size === this.size ? last.size : 0;
      const old = this.size;
      this.size = this.grow(want - tail);
      if (tail) last!.size += this.size - old;
      else this.free.push({ at: old, size: this.size - old });
      i = this.free.length - 1;
    }
    const b = this.free[i]!;
    const at = b.at;
    if (b.size === want) this.free.splice(i, 1);
    else { b.at += want; b.size -= want; }
    this.used.set(at, want);
    return at;
  }

  release(at: number): void {
    const size = this.used.get(at);
    if (size === undefined) throw new TesseraError('BAD_ARGUMENT', `engine memory at ${at} is not allocated`);
    this.used.delete(at);
    let i = this.free.findIndex((b) => b.at > at);
    if (i < 0) i = this.free.length;
    this.free.splice(i, 0, { at, size });
    const next = this.free[i + 1];
    if (next && at + size === next.at) { this.free[i]!.size += next.size; this.free.splice(i + 1, 1); }
    const prev = this.free[i - 1];
    if (prev && prev.at + prev.size === at) { prev.size += this.free[i]!.size; this.free.splice(i, 1); }
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}
