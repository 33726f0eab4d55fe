/**
 * Float32 elements as the little-endian bytes the wire carries, and back.
 * Shared by the Tensor and TileSlice codecs.
 */

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `a`'s elements as little-endian bytes: a view of `a` on little-endian hosts, a copy otherwise. */
export function float32Bytes(a: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const data = new Uint8Array(a.length * 4);
  const dv = new DataView(data.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat32(i * 4, a[i]!, true);
  return data;
}

/**
 * The `n` float32 elements in `data` (exactly n · 4 bytes, checked by the caller).
 * 'when-needed' returns a view of `data` when it can — little-endian host and
 * a 4-byte aligned offset (`new Float32Array(buffer, offset)` throws otherwise) —
 * and a copy when it cannot; 'always' copies.
 */
export function float32FromBytes(data: Uint8Array, n: number, copy: 'always' | 'when-needed'): Float32Array {
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  if (copy === 'when-needed' && data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, n);
  const out = new Float32Array(n);
  new Uint8Array(out.buffer).set(data);
  return out;
}
