import type { Region } from '@tessera/tensor';
import { ProtoReader, ProtoWriter, WireType } from './proto-io.js';
import { REGION_FIELDS as F } from './schema.js';

const KEYS = Object.keys(F) as (keyof typeof F)[];

/** @internal A Region message (coordinates checked by the caller: uint32). */
export function writeRegion(r: Region): ProtoWriter {
  const w = new ProtoWriter();
  for (const k of KEYS) w.uint32Field(F[k], r[k]);
  return w;
}

/** @internal Parses a Region message; absent fields are 0, the caller checks the box. Throws WireFormatError. */
export function readRegion(bytes: Uint8Array, what: string): Region {
  const v = { n0: 0, n1: 0, c0: 0, c1: 0, y0: 0, y1: 0, x0: 0, x1: 0 };
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    const k = field >= 1 && field <= KEYS.length ? KEYS[field - 1]! : undefined;
    if (k === undefined) {
      r.skip(wireType);
      continue;
    }
    r.expect(wireType, WireType.VARINT, `${what}.${k}`);
    v[k] = r.uint32(`${what}.${k}`);
  }
  return v;
}
