import { TesseraError } from '@tessera/tensor';

/**
 * Bounds a decoder enforces before it allocates anything, so a hostile or
 * corrupt message is rejected with a clear error instead of a giant allocation.
 */
export interface WireLimits {
  /** Largest Model payload (and .tsm file payload) accepted, in bytes. */
  readonly maxModelBytes: number;
  /** Largest tensor (product(shape) · 4) accepted, in bytes; also bounds the model input shape. */
  readonly maxTensorBytes: number;
  /** Most layers a model may have. */
  readonly maxLayers: number;
  /** Highest tensor rank (and model input rank) accepted. */
  readonly maxRank: number;
  /** Longest layer spec JSON accepted, in bytes. */
  readonly maxSpecBytes: number;
  /** Largest tile-protocol message (TileTask, TileResult, TileSlices) accepted, in bytes. */
  readonly maxTileBytes: number;
  /** Most slices in one TileTask's inputs or one TileSlices. */
  readonly maxSlices: number;
  /** Longest id, name, reference or error message in a tile message, in UTF-8 bytes. */
  readonly maxStringBytes: number;
}

export const DEFAULT_LIMITS: WireLimits = Object.freeze({
  maxModelBytes: 2 ** 30,
  maxTensorBytes: 2 ** 30,
  maxLayers: 10_000,
  maxRank: 8,
  maxSpecBytes: 64 * 1024,
  maxTileBytes: 2 ** 30,
  maxSlices: 4096,
  maxStringBytes: 64 * 1024,
});

/** DEFAULT_LIMITS overridden by `limits`; BAD_ARGUMENT for a limit that is not a positive integer. */
export function resolveLimits(limits: Partial<WireLimits> = {}): WireLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof WireLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
      throw new TesseraError('BAD_ARGUMENT', `wire limit ${key} must be a positive integer, got ${String(v)}`, { [key]: v });
    }
    out[key] = v;
  }
  return Object.freeze(out);
}
