import type { TileSlice } from './codec.js';

/**
 * Verified execution (`verify: k`, issue 14): one tile's results by worker
 * id, until k distinct workers agree bit for bit. The region contract makes
 * every honest worker's result identical (same kernels, same order of
 * operations), so any difference means a faulty or forged result: the
 * workers outside the agreeing group are reported.
 */
export class Ballot {
  private readonly votes = new Map<string, TileSlice>();

  constructor(readonly k: number) {}

  /** Whether `worker` has already voted on this tile (a second copy it took counts once). */
  has(worker: string): boolean {
    return this.votes.has(worker);
  }

  get size(): number {
    return this.votes.size;
  }

  /**
   * Records `worker`'s result. Returns the agreed slice and the workers who
   * disagreed with it once k workers agree; undefined while they do not (yet).
   */
  add(worker: string, slice: TileSlice): { slice: TileSlice; dissenters: string[] } | undefined {
    this.votes.set(worker, slice);
    const groups: { slice: TileSlice; workers: string[] }[] = [];
    for (const [w, s] of this.votes) {
      const g = groups.find((x) => sameBits(x.slice, s));
      if (g) g.workers.push(w);
      else groups.push({ slice: s, workers: [w] });
    }
    const agreed = groups.find((g) => g.workers.length >= this.k);
    if (!agreed) return undefined;
    return { slice: agreed.slice, dissenters: groups.filter((g) => g !== agreed).flatMap((g) => g.workers) };
  }
}

/** Bit-identical data (NaN payloads and signed zeros included): the bytes, not the float values, are compared. */
function sameBits(a: TileSlice, b: TileSlice): boolean {
  if (a.data.length !== b.data.length) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
