import type { Region, Shape } from '@tessera/tensor';
import { float32Bytes, float32FromBytes } from './float32-bytes.js';
import type { WireLimits } from './limits.js';
import { ProtoReader, ProtoWriter, WireType } from './proto-io.js';
import { readRegion, writeRegion } from './region-codec.js';
import { TILE_SLICES_FIELDS as FS, TILE_SLICE_FIELDS as F } from './schema.js';
import type { DecodeTensorOptions } from './tensor-codec.js';
import { checkArray, checkSliceHeader, decoding, encoding, fail } from './field-checks.js';
import type { TileSlice } from './tile-types.js';

/**
 * A TileSlice parsed and checked but not yet materialised: `data` is still a
 * view of the message, so a whole message can be checked before any element
 * array is allocated.
 */
export interface CheckedSlice {
  readonly source: number;
  readonly shape: Shape;
  readonly region: Region;
  readonly data: Uint8Array;
}

/** @internal Throws unless `s` is a TileSlice that encodes (same rules as decoding). */
export function checkTileSlice(s: unknown, lim: WireLimits, what: string): void {
  if (s === null || typeof s !== 'object') fail(`${what} must be a TileSlice object, got ${String(s)}`);
  const { source, shape, region, data } = s as TileSlice;
  if (!(data instanceof Float32Array)) fail(`${what}.data must be a Float32Array, got ${Object.prototype.toString.call(data)}`);
  checkSliceHeader(source, shape, region, data.byteLength, lim, what);
}

/** @internal A TileSlice message; `s` must have passed checkTileSlice. */
export function writeTileSlice(s: TileSlice): ProtoWriter {
  return new ProtoWriter()
    .sint32Field(F.source, s.source)
    .packedUint32Field(F.shape, s.shape)
    .messageField(F.region, writeRegion(s.region))
    .bytesField(F.data, float32Bytes(s.data));
}

/** @internal Parses and checks a TileSlice message; throws WireFormatError or BAD_REGION/SHAPE_MISMATCH. */
export function readTileSlice(bytes: Uint8Array, lim: WireLimits, what: string): CheckedSlice {
  let source = 0;
  const shape: number[] = [];
  let region: Region | undefined;
  let data: Uint8Array = new Uint8Array(0);
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    switch (field) {
      case F.source: r.expect(wireType, WireType.VARINT, `${what}.source`); source = r.sint32(`${what}.source`); break;
      case F.shape: r.repeated(wireType, shape, lim.maxRank, `${what}.shape`); break;
      case F.region:
        r.expect(wireType, WireType.LEN, `${what}.region`);
        region = readRegion(r.lengthDelimited(`${what}.region`), `${what}.region`);
        break;
      case F.data: r.expect(wireType, WireType.LEN, `${what}.data`); data = r.lengthDelimited(`${what}.data`); break;
      default: r.skip(wireType);
    }
  }
  if (region === undefined) fail(`${what}.region is missing`);
  checkSliceHeader(source, shape, region, data.length, lim, what);
  return { source, shape, region, data };
}

/** @internal The TileSlice of a checked slice: allocates (or views, see DecodeTensorOptions) its elements. */
export function materializeSlice(s: CheckedSlice, copy: 'always' | 'when-needed'): TileSlice {
  return { source: s.source, shape: s.shape, region: s.region, data: float32FromBytes(s.data, s.data.length / 4, copy) };
}

/** A TileSlices message: slices kept in the object store when too big for one TileTask or TileResult. */
export function encodeTileSlices(slices: readonly TileSlice[]): Uint8Array {
  return encoding('TileSlices', (lim) => {
    checkArray(slices, 'slices', lim.maxSlices, 'maxSlices');
    slices.forEach((s, i) => checkTileSlice(s, lim, `slices[${i}]`));
    const w = new ProtoWriter();
    for (const s of slices) w.messageField(FS.slices, writeTileSlice(s));
    return w.finish();
  });
}

/**
 * The slices of a TileSlices message. Every slice is checked (shape, region
 * inside it, data length = region volume · 4, limits) before any is allocated;
 * anything wrong is TesseraError BAD_MESSAGE naming the slice and field.
 */
export function decodeTileSlices(bytes: Uint8Array, limits: Partial<WireLimits> = {}, opts: DecodeTensorOptions = {}): TileSlice[] {
  return decoding('TileSlices', bytes, limits, (b, lim) => {
    const views: Uint8Array[] = [];
    const r = new ProtoReader(b);
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === FS.slices) {
        r.expect(wireType, WireType.LEN, 'slices');
        if (views.length >= lim.maxSlices) fail(`slices has more than maxSlices ${lim.maxSlices} elements`);
        views.push(r.lengthDelimited('slices'));
      } else {
        r.skip(wireType);
      }
    }
    const checked = views.map((v, i) => readTileSlice(v, lim, `slices[${i}]`));
    return checked.map((s) => materializeSlice(s, opts.copy ?? 'always'));
  });
}
