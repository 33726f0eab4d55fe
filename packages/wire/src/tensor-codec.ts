import { Tensor, TesseraError, fmtShape } from '@tessera/tensor';
import { resolveLimits, type WireLimits } from './limits.js';
import { float32Bytes, float32FromBytes } from './float32-bytes.js';
import { ProtoReader, ProtoWriter, WireFormatError, WireType } from './proto-io.js';
import { DType, TENSOR_FIELDS as F } from './schema.js';

export interface DecodeTensorOptions {
  /**
   * 'always' (default): the tensor owns a fresh copy of its elements.
   * 'when-needed': a view of `bytes` when its offset is 4-byte aligned (no copy;
   * the tensor then changes if `bytes` does), a copy otherwise.
   */
  copy?: 'always' | 'when-needed';
}

/** A Tensor message as bytes (any view or layout: the elements go row-major). */
export function encodeTensor(t: Tensor): Uint8Array {
  return writeTensor(t).finish();
}

/**
 * The Tensor in a Tensor message. Malformed bytes, an unknown dtype, a shape
 * beyond `limits` or data of the wrong length give TesseraError BAD_ARGUMENT;
 * all checks run before any allocation.
 */
export function decodeTensor(bytes: Uint8Array, limits: Partial<WireLimits> = {}, opts: DecodeTensorOptions = {}): Tensor {
  const lim = resolveLimits(limits);
  if (!(bytes instanceof Uint8Array)) throw new TesseraError('BAD_ARGUMENT', `decodeTensor needs a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  try {
    return readTensor(bytes, lim, opts.copy ?? 'always');
  } catch (e) {
    if (e instanceof WireFormatError) throw new TesseraError('BAD_ARGUMENT', `bad Tensor message: ${e.message}`, {}, { cause: e });
    throw e;
  }
}

/** @internal The Tensor message writer (also used for model weights). */
export function writeTensor(t: Tensor): ProtoWriter {
  if (!(t instanceof Tensor)) throw new TesseraError('BAD_ARGUMENT', `encodeTensor needs a Tensor, got ${Object.prototype.toString.call(t)}`);
  return new ProtoWriter()
    .uint32Field(F.dtype, DType.FLOAT32)
    .packedUint32Field(F.shape, t.shape)
    .bytesField(F.data, float32Bytes(t.toFloat32Array()));
}

/** @internal Parses and validates a Tensor message; throws WireFormatError. */
export function readTensor(bytes: Uint8Array, lim: WireLimits, copy: 'always' | 'when-needed'): Tensor {
  const r = new ProtoReader(bytes);
  let dtype = 0;
  const shape: number[] = [];
  let data: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === F.dtype) {
      r.expect(wireType, WireType.VARINT, 'dtype');
      dtype = r.uint32('dtype');
    } else if (field === F.shape) {
      r.repeated(wireType, shape, lim.maxRank, 'shape');
    } else if (field === F.data) {
      r.expect(wireType, WireType.LEN, 'data');
      data = r.lengthDelimited('data');
    } else {
      r.skip(wireType);
    }
  }
  if (dtype !== DType.FLOAT32) throw new WireFormatError(`dtype ${dtype} is not supported (only FLOAT32 = ${DType.FLOAT32})`);
  if (shape.length === 0) throw new WireFormatError('shape is empty (rank 0 tensors are not supported)');
  const maxElems = Math.floor(lim.maxTensorBytes / 4);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i]! < 1) throw new WireFormatError(`shape ${fmtShape(shape)} has a zero dimension ${i}`);
    n *= shape[i]!;
    if (n > maxElems) {
      throw new WireFormatError(`shape ${fmtShape(shape)} exceeds the limit of ${lim.maxTensorBytes} bytes (maxTensorBytes)`);
    }
  }
  if (data.length !== n * 4) {
    throw new WireFormatError(`shape ${fmtShape(shape)} needs ${n * 4} bytes of FLOAT32 data, message has ${data.length}`);
  }
  return new Tensor(float32FromBytes(data, n, copy), shape);
}
