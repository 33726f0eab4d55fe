import type { TesseraError } from '@tessera/tensor';
import type { TileSlice } from './codec.js';

/** One worker's answer for a tile: its output slices, or the error it reported (errors with the same code agree). */
export type Vote = { readonly slices: readonly TileSlice[] } | { readonly error: TesseraError };

/**
 * Verified execution (`verify: k`, issue 14): one tile's results by worker
 * id, until k distinct workers agree bit for bit. The region contract makes
 * every honest worker's result identical (same kernels, same order of
 * operations), so any difference means a faulty or forged result: the
 * workers outside the agreeing group are reported.
 */
export class Ballot {
  private readonly votes = new Map<string, Vote>();

  constructor(readonly k: number) {}

  /** Whether `worker` has already voted on this tile (a second copy it took counts once). */
  has(worker: string): boolean {
    return this.votes.has(worker);
  }

  get size(): number {
    return this.votes.size;
  }

  /**
   * Records `worker`'s answer. Returns the agreed answer and the workers who
   * disagreed with it once k workers agree; undefined while they do not (yet).
   * An error needs k agreeing workers too: one worker's error result (or a
   * forged one) cannot fail a verified run.
   */
  add(worker: string, vote: Vote): { vote: Vote; dissenters: string[] } | undefined {
    this.votes.set(worker, vote);
    const groups: { vote: Vote; workers: string[] }[] = [];
    for (const [w, v] of this.votes) {
      const g = groups.find((x) => agree(x.vote, v));
      if (g) g.workers.push(w);
      else groups.push({ vote: v, workers: [w] });
    }
    const agreed = groups.find((g) => g.workers.length >= this.k);
    if (!agreed) return undefined;
    return { vote: agreed.vote, dissenters: groups.filter((g) => g !== agreed).flatMap((g) => g.workers) };
  }
}

function agree(a: Vote, b: Vote): boolean {
  if ('error' in a || 'error' in b) return 'error' in a && 'error' in b && a.error.code === b.error.code;
  return a.slices.length === b.slices.length && a.slices.every((s, i) => sameBits(s, b.slices[i]!));
}

/** Bit-identical data (NaN payloads and signed zeros included): the bytes, not the float values, are compared. */
function sameBits(a: TileSlice, b: TileSlice): boolean {
  if (a.data.length !== b.data.length) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
