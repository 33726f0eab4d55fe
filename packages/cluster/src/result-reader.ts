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
  if (d && d.buffer.byteLength > 2 * d.byteLength + 4096) return { ...res, output: { ...res.output!, data: d.slice() } };
  return res;
}

/** The error a worker reported, as the run's error. */
export function workerError(res: TileResult): TesseraError {
  const code = res.error!.code as ErrorCode;
  return new TesseraError(code, `worker '${res.workerId}' failed tile ${res.tileId}: ${res.error!.message}`, { worker: res.workerId, tileId: res.tileId });
}

/**
 * The result's output slice — inline, or fetched from the object store (and
 * deleted there) — if it is exactly what the task asked for; undefined
 * otherwise (counted as an error by the caller). `fetched` counts the bytes
 * read from the store.
 */
export async function outputOf(store: ObjectStore, res: TileResult, want: ExpectedOutput, fetched: (bytes: number) => void): Promise<TileSlice | undefined> {
  let slice = res.output;
  if (res.outputRef) {
    const blob = await store.getBlob(res.outputRef).catch(() => null);
    await store.delete(res.outputRef).catch(() => {});
    if (blob) {
      fetched(blob.length);
      try {
        slice = decodeTileSlices(blob)[0];
      } catch { /* mismatch below */ }
    }
  }
  if (!slice || slice.source !== want.source || !sameShape(slice.shape, want.shape) || !regionsEqual(slice.region, want.region)
    || slice.data.length !== regionVolume(want.region)) return undefined;
  return slice;
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
