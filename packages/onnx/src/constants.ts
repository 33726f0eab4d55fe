import { TesseraError } from '@tessera/tensor';
import type { OnnxTensor } from './proto.js';

/** TensorProto.DataType values the importer reads. */
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, FLOAT16: 10, DOUBLE: 11, BFLOAT16: 16 } as const;

/** An IEEE half (binary16) bit pattern as a number: exact (every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f, m = bits & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24; // zero and subnormals
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** A bfloat16 bit pattern as a number: the top half of a float32, exact. */
export function bfloat16ToFloat(bits: number): number {
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = (bits & 0xffff) << 16;
  return f[0]!;
}

/**
 * A constant known at load time: an initializer, a Constant node's value or
 * a folded shape computation. Floats become weights; integers are shapes,
 * axes and the like, kept as plain numbers.
 */
export interface Constant {
  readonly shape: readonly number[];
  readonly float?: Float32Array;
  readonly ints?: readonly number[];
}

const bad = (msg: string, details: Record<string, unknown>): TesseraError => new TesseraError('BAD_MODEL', msg, details);

/**
 * A TensorProto as a Constant: float32 (raw_data little-endian or
 * float_data), float16 and bfloat16 converted to float32 exactly (raw_data,
 * or their bit patterns in int32_data), double, int32/int64 (raw or typed fields).
 */
export function constantOf(t: OnnxTensor, what: string): Constant {
  const name = t.name ?? '';
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    throw bad(`${what} '${name}' keeps its data in an external file (data_location EXTERNAL); external data is not supported — save the model with its weights inside (onnx.save(..., save_as_external_data=False))`, { tensor: name });
  }
  const shape = (t.dims ?? []).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`${what} '${name}' has bad dims [${shape.join(', ')}]`, { tensor: name, dims: shape });
  const count = shape.reduce((a, b) => a * b, 1);
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : undefined;
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const need = (bytesPer: number): void => {
    if (raw && raw.length !== count * bytesPer) {
      throw bad(`${what} '${name}': raw_data holds ${raw.length} bytes, dims [${shape.join(', ')}] need ${count * bytesPer}`, { tensor: name });
    }
  };
  /** Fills `out` from raw_data (little-endian, read at any byte offset: a decoded bytes field may be unaligned) or the typed field. */
  // Sizes are checked before anything is allocated: dims cannot ask for more memory than the file holds.
  const fill = <A extends Float32Array | Float64Array>(make: new (n: number) => A, bytesPer: number, get: (at: number) => number, typed: readonly number[] | undefined, field: string): A => {
    if (dv) {
      need(bytesPer);
      const out = new make(count);
      for (let i = 0; i < count; i++) out[i] = get(i * bytesPer);
      return out;
    }
    if ((typed?.length ?? 0) !== count) throw bad(`${what} '${name}': ${field} holds ${typed?.length ?? 0} values, dims [${shape.join(', ')}] need ${count}`, { tensor: name });
    const out = new make(count);
    out.set(typed ?? []);
    return out;
  };
  const ints = (bytesPer: number, get: (at: number) => number, typed: readonly number[] | undefined, field: string): Constant =>
    ({ shape, ints: Array.from(fill(Float64Array, bytesPer, get, typed?.map(Number), field)) });
  switch (t.data_type) {
    case DT.FLOAT: return { shape, float: fill(Float32Array, 4, (at) => dv!.getFloat32(at, true), t.float_data, 'float_data') };
    case DT.FLOAT16: return { shape, float: fill(Float32Array, 2, (at) => halfToFloat(dv!.getUint16(at, true)), t.int32_data?.map((b) => halfToFloat(Number(b))), 'int32_data') };
    case DT.BFLOAT16: return { shape, float: fill(Float32Array, 2, (at) => bfloat16ToFloat(dv!.getUint16(at, true)), t.int32_data?.map((b) => bfloat16ToFloat(Number(b))), 'int32_data') };
    case DT.DOUBLE: return { shape, float: Float32Array.from(fill(Float64Array, 8, (at) => dv!.getFloat64(at, true), t.double_data, 'double_data')) };
    case DT.INT64: return ints(8, (at) => Number(dv!.getBigInt64(at, true)), t.int64_data, 'int64_data');
    case DT.INT32: return ints(4, (at) => dv!.getInt32(at, true), t.int32_data, 'int32_data');
    default:
      throw bad(`${what} '${name}' has data type ${t.data_type ?? 'UNDEFINED'}; only FLOAT, FLOAT16, BFLOAT16, DOUBLE, INT32 and INT64 are read`, { tensor: name, dataType: t.data_type });
  }
}
