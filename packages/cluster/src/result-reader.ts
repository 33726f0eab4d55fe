import type { ObjectStore } from '@nats-io/obj';
import { TesseraError, regionVolume, regionsEqual, type ErrorCode, type Region, type Shape } from '@tessera/tensor';
import { decodeTileResult, decodeTileSlices, type TileResult, type TileSlice } from './codec.js';

/** What a task's result must hold: `region` of map `source` (of `shape`). */
export interface ExpectedOutput {
  readonly source: number;
  readonly shape: Shape;
  readonly region: Region;
}

/**
 * Decodes a result message (undefined when it does not decode). The output's elements are a view of the message
 * bytes when aligned (decoded without a copy), copied only when the message is
 * much larger than the output, so a small output does not keep a large
 * network buffer alive.
 */
export function readResult(data: Uint8Array, maxMessageBytes: number): TileResult | undefined {
  let res: TileResult;
  try {
    res = decodeTileResult(data, { maxTileBytes: maxMessageBytes }, { copy: 'when-needed' });
  } catch {
    return undefined;
  }
  const d = res.output?.data;
  const bytes = (d?.byteLength ?? 0) + (res.extraOutputs ?? []).reduce((a, s) => a + s.data.byteLength, 0);
  if (d && d.buffer.byteLength > 2 * bytes + 4096) {
    const own = (s: TileSlice): TileSlice => ({ ...s, data: s.data.slice() });
    return { ...res, output: own(res.output!), ...(res.extraOutputs ? { extraOutputs: res.extraOutputs.map(own) } : {}) };
  }
  return res;
}

/** The error a worker reported, as the run's error. */
export function workerError(res: TileResult): TesseraError {
  const code = res.error!.code as ErrorCode;
  return new TesseraError(code, `worker '${res.workerId}' failed tile ${res.tileId}: ${res.error!.message}`, { worker: res.workerId, tileId: res.tileId });
}

/**
 * The result's output slices — the output then its extra outputs, inline, or
 * fetched from the object store (and deleted there) — if they are exactly
 * what the task asked for, in order; undefined otherwise (counted as an
 * error by the caller). `fetched` counts the bytes read from the store.
 */
export async function outputsOf(store: ObjectStore, res: TileResult, want: readonly ExpectedOutput[], fetched: (bytes: number) => void): Promise<TileSlice[] | undefined> {
  let slices = res.output ? [res.output, ...(res.extraOutputs ?? [])] : undefined;
  if (res.outputRef) {
    const blob = await store.getBlob(res.outputRef).catch(() => null);
    await store.delete(res.outputRef).catch(() => {});
    if (blob) {
      fetched(blob.length);
      try {
        slices = decodeTileSlices(blob);
      } catch { /* mismatch below */ }
    }
  }
  if (!slices || slices.length !== want.length) return undefined;
  const fits = (s: TileSlice, w: ExpectedOutput): boolean => s.source === w.source && sameShape(s.shape, w.shape) && regionsEqual(s.region, w.region)
    && s.data.length === regionVolume(w.region);
  return slices.every((s, i) => fits(s, want[i]!)) ? slices : undefined;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
