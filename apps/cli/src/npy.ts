import { readFile, writeFile } from 'node:fs/promises';
import { TesseraError, checkShape, sizeOf, type Shape } from '@tessera/tensor';

/*
 * NumPy's .npy format (versions 1.0 to 3.0): a magic string, a version, a
 * header length, a Python-dict header {'descr', 'fortran_order', 'shape'},
 * padded so the data starts on a 64-byte boundary, then the raw array.
 * Read: little-endian float32 or float64 (converted to float32), C order.
 * Written: version 1.0, '<f4', C order — what numpy.load reads back as is.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** Largest header accepted: numpy writes a few hundred bytes; a bigger one is damage, not data. */
const MAX_HEADER_BYTES = 65536;

export interface NpyArray {
  readonly shape: Shape;
  readonly data: Float32Array;
}

/** Parses .npy bytes; `source` names the file in every error (BAD_ARGUMENT). */
export function decodeNpy(bytes: Uint8Array, source: string): NpyArray {
  const bad = (what: string): TesseraError => new TesseraError('BAD_ARGUMENT', `${source}: not a usable .npy file (${what})`, { source });
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw bad('wrong magic bytes, expected \\x93NUMPY');
  const major = bytes[6]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number, start: number;
  if (major === 1) { headerLen = dv.getUint16(8, true); start = 10; } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated header');
    headerLen = dv.getUint32(8, true); start = 12;
  } else throw bad(`format version ${major}.${bytes[7]} is not 1.0, 2.0 or 3.0`);
  if (headerLen > MAX_HEADER_BYTES || start + headerLen > bytes.length) throw bad(`header of ${headerLen} bytes runs past the file (${bytes.length} bytes)`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw bad(`header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  if (fortran === 'True') throw bad('fortran_order is True; save the array in C order (numpy.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeText}) is not a tuple of sizes`);
  const width = descr === '<f4' || descr === '=f4' ? 4 : descr === '<f8' || descr === '=f8' ? 8 : 0;
  if (width === 0) throw bad(`dtype '${descr}' is not little-endian float32 ('<f4') or float64 ('<f8')`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  if (bytes.length - dataStart !== count * width) {
    throw bad(`shape (${shape.join(', ')}) needs ${count * width} data bytes, the file has ${bytes.length - dataStart}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = width === 4 ? dv.getFloat32(dataStart + 4 * i, true) : dv.getFloat64(dataStart + 8 * i, true);
  return { shape, data };
}

/** .npy version 1.0 bytes of a float32 C-order array. */
export function encodeNpy(shape: Shape, data: Float32Array): Uint8Array {
  checkShape(shape, 'npy shape');
  if (sizeOf(shape) !== data.length) {
    throw new TesseraError('SHAPE_MISMATCH', `npy: shape [${shape.join(', ')}] holds ${sizeOf(shape)} values, got ${data.length}`, { shape });
  }
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${tuple}, }`;
  // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1, ' ')}\n`;
  const out = new Uint8Array(total + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  const dv = new DataView(out.buffer);
  dv.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  for (let i = 0; i < data.length; i++) dv.setFloat32(total + 4 * i, data[i]!, true);
  return out;
}

export async function readNpy(path: string): Promise<NpyArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TesseraError('BAD_ARGUMENT', `${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path }, { cause: e });
  }
  return decodeNpy(bytes, path);
}

export async function writeNpy(path: string, shape: Shape, data: Float32Array): Promise<void> {
  try {
    await writeFile(path, encodeNpy(shape, data));
  } catch (e) {
    if (e instanceof TesseraError) throw e;
    throw new TesseraError('UNAVAILABLE', `${path}: cannot write the .npy file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path }, { cause: e });
  }
}
