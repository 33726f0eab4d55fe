import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Model } from '@tessera/nn';
import { TesseraError, isTesseraError } from '@tessera/tensor';
import { resolveLimits, type WireLimits } from './limits.js';
import { decodeModel, encodeModel } from './model-codec.js';

/**
 * The .tsm model file: a fixed 56-byte header, then a Model message.
 *
 *   offset size
 *        0    8  magic 89 54 53 4D 0D 0A 1A 0A  ("\x89TSM\r\n\x1a\n": catches
 *                text-mode and 7-bit mangling, like PNG's)
 *        8    4  file-format version, uint32 LE (TSM_VERSION)
 *       12    4  flags, uint32 LE, 0
 *       16    8  payload length in bytes, uint64 LE
 *       24   32  SHA-256 of the payload
 *       56    …  payload: a tessera.wire.v1.Model message (WIRE_PROTO)
 */
export const TSM_MAGIC: Uint8Array = Uint8Array.of(0x89, 0x54, 0x53, 0x4d, 0x0d, 0x0a, 0x1a, 0x0a);
export const TSM_VERSION = 1;
export const TSM_HEADER_BYTES = 56;

/** A Model as the bytes of a .tsm file. */
export function encodeModelFile(model: Model): Uint8Array {
  const payload = encodeModel(model);
  const out = new Uint8Array(TSM_HEADER_BYTES + payload.length);
  const dv = new DataView(out.buffer);
  out.set(TSM_MAGIC, 0);
  dv.setUint32(8, TSM_VERSION, true);
  dv.setUint32(12, 0, true);
  dv.setBigUint64(16, BigInt(payload.length), true);
  out.set(createHash('sha256').update(payload).digest(), 24);
  out.set(payload, TSM_HEADER_BYTES);
  return out;
}

/**
 * The Model in the bytes of a .tsm file. Every failure is TesseraError
 * BAD_MODEL naming `source` (a path, or what the bytes are) and what is wrong:
 * truncated, wrong magic, unknown version, oversized, checksum mismatch, or a
 * bad payload.
 */
export function decodeModelFile(bytes: Uint8Array, limits: Partial<WireLimits> = {}, source = 'model bytes'): Model {
  const lim = resolveLimits(limits);
  const bad = (what: string, details: Record<string, unknown> = {}, cause?: unknown): TesseraError =>
    new TesseraError('BAD_MODEL', `${source}: ${what}`, { source, ...details }, cause === undefined ? undefined : { cause });
  const magicOk = TSM_MAGIC.every((b, i) => i >= bytes.length || bytes[i] === b);
  if (!magicOk) throw bad('not a Tessera model file (wrong magic bytes)');
  if (bytes.length < TSM_HEADER_BYTES) {
    throw bad(`truncated: ${bytes.length} bytes, the header alone needs ${TSM_HEADER_BYTES}`, { bytes: bytes.length });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== TSM_VERSION) throw bad(`unknown file-format version ${version} (this build reads version ${TSM_VERSION})`, { version });
  const flags = dv.getUint32(12, true);
  if (flags !== 0) throw bad(`unknown header flags 0x${flags.toString(16)}`, { flags });
  const declared = dv.getBigUint64(16, true);
  if (declared > BigInt(lim.maxModelBytes)) {
    throw bad(`oversized: the header declares a payload of ${declared} bytes, more than maxModelBytes ${lim.maxModelBytes}`, { declared: Number(declared) });
  }
  const length = Number(declared);
  const have = bytes.length - TSM_HEADER_BYTES;
  if (have < length) throw bad(`truncated: the header declares a payload of ${length} bytes, the file holds ${have}`, { declared: length, have });
  if (have > length) throw bad(`${have - length} unexpected bytes after the ${length}-byte payload`, { declared: length, have });
  const payload = bytes.subarray(TSM_HEADER_BYTES);
  const sum = createHash('sha256').update(payload).digest();
  if (!sum.equals(bytes.subarray(24, TSM_HEADER_BYTES))) throw bad('corrupt: the payload SHA-256 does not match the header checksum');
  try {
    return decodeModel(payload, lim);
  } catch (e) {
    if (isTesseraError(e)) throw bad(e.message, { ...e.details }, e);
    throw e;
  }
}

/**
 * Writes `model` to `path` as a .tsm file, atomically: a temporary file in the
 * same folder, flushed to disk, then renamed over `path`. Readers see the old
 * file or the new one, never half of one. Write failures are BAD_ARGUMENT
 * naming the path.
 */
export async function saveModel(model: Model, path: string): Promise<void> {
  const bytes = encodeModelFile(model);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new TesseraError('BAD_ARGUMENT', `cannot write model file ${path}: ${e instanceof Error ? e.message : String(e)}`, { path }, { cause: e });
  }
  await syncDir(dirname(path));
}

/**
 * Reads a .tsm file. The size is checked against `limits.maxModelBytes`
 * before the file is read; every failure (missing file included) is
 * TesseraError BAD_MODEL naming the path and what is wrong.
 */
export async function loadModel(path: string, limits: Partial<WireLimits> = {}): Promise<Model> {
  const lim = resolveLimits(limits);
  let bytes: Uint8Array;
  try {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new TesseraError('BAD_MODEL', `${path}: not a regular file`, { source: path });
      if (st.size > TSM_HEADER_BYTES + lim.maxModelBytes) {
        throw new TesseraError('BAD_MODEL', `${path}: oversized: ${st.size} bytes, more than maxModelBytes ${lim.maxModelBytes} plus the ${TSM_HEADER_BYTES}-byte header`, { source: path, bytes: st.size });
      }
      bytes = await readExactly(fh, st.size);
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (isTesseraError(e)) throw e;
    throw new TesseraError('BAD_MODEL', `cannot read model file ${path}: ${e instanceof Error ? e.message : String(e)}`, { source: path }, { cause: e });
  }
  return decodeModelFile(bytes, lim, path);
}

/** Up to `size` bytes from the start of the file (fewer if it shrank; never more than stat said). */
async function readExactly(fh: Awaited<ReturnType<typeof open>>, size: number): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let off = 0;
  while (off < size) {
    const { bytesRead } = await fh.read(buf, off, size - off, off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off === size ? buf : buf.subarray(0, off);
}

/** Makes the rename durable where the platform allows fsync on a directory. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  } catch {
    // Not supported everywhere (Windows); the rename itself is still atomic.
  }
}
