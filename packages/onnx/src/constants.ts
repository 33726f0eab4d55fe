import { TesseraError, Tensor } from '@tessera/tensor';
import type { OnnxTensor } from './proto.js';

/** TensorProto.DataType values the importer reads. */
export const DT = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

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

/** A TensorProto as a Constant: float32 (raw_data little-endian or float_data), int32/int64 (raw or typed fields). */
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
  const typed = (n: number, field: string): void => {
    if (n !== count) throw bad(`${what} '${name}': ${field} holds ${n} values, dims [${shape.join(', ')}] need ${count}`, { tensor: name });
  };
  switch (t.data_type) {
    case DT.FLOAT: {
      const out = new Float32Array(count);
      if (dv) {
        need(4);
        // Little-endian by the ONNX spec, at any byte offset (a decoded bytes field may be unaligned).
        for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
      } else {
        typed(t.float_data?.length ?? 0, 'float_data');
        out.set(t.float_data ?? []);
      }
      return { shape, float: out };
    }
    case DT.DOUBLE: {
      const out = new Float32Array(count);
      if (dv) {
        need(8);
        for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      } else {
        typed(t.double_data?.length ?? 0, 'double_data');
        out.set(t.double_data ?? []);
      }
      return { shape, float: out };
    }
    case DT.INT64: {
      if (dv) {
        need(8);
        return { shape, ints: Array.from({ length: count }, (_, i) => Number(dv.getBigInt64(i * 8, true))) };
      }
      typed(t.int64_data?.length ?? 0, 'int64_data');
      return { shape, ints: (t.int64_data ?? []).map(Number) };
    }
    case DT.INT32: {
      if (dv) {
        need(4);
        return { shape, ints: Array.from({ length: count }, (_, i) => dv.getInt32(i * 4, true)) };
      }
      typed(t.int32_data?.length ?? 0, 'int32_data');
      return { shape, ints: (t.int32_data ?? []).map(Number) };
    }
    default:
      throw bad(`${what} '${name}' has data type ${t.data_type ?? 'UNDEFINED'}; only FLOAT, DOUBLE, INT32 and INT64 are read`, { tensor: name, dataType: t.data_type });
  }
}

/** The constant's values as a float32 Tensor of `shape` (its own shape by default). */
export function toTensor(c: Constant, shape: readonly number[] = c.shape): Tensor {
  const data = c.float ?? Float32Array.from(c.ints ?? []);
  return Tensor.from(data, shape);
}

/** The constant's values as numbers (floats or ints). */
export function valuesOf(c: Constant): number[] {
  return c.float ? Array.from(c.float) : [...(c.ints ?? [])];
}
