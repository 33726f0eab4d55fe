import { TesseraError, checkRegion, fmtRegion, fmtShape, isTesseraError, regionVolume, type Region, type Shape } from '@tessera/tensor';
import { resolveLimits, type WireLimits } from './limits.js';
import { WireFormatError } from './proto-io.js';

/**
 * Field checks shared by the wire codecs; the tile-protocol encoders and
 * decoders run the same ones, so a value that encodes is exactly a value that
 * decodes (with the same limits). They
 * take `unknown` because encoders get whatever the caller passes at run time.
 * Each throws WireFormatError (or a BAD_REGION / SHAPE_MISMATCH TesseraError
 * from @tessera/tensor) naming the field and its bad value; `encoding` and
 * `decoding` turn those into BAD_ARGUMENT and BAD_MESSAGE.
 */

const UINT32_MAX = 0xffffffff;

/** A value as a message shows it: strings quoted and cut short, the rest as String() does. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `array of ${v.length}`;
  return String(v);
}

export function fail(message: string): never {
  throw new WireFormatError(message);
}

export function checkVersion(v: unknown, expected: number, what: string): void {
  if (v !== expected) fail(`${what} ${show(v)} is not supported (this build speaks version ${expected})`);
}

/** An integer in [min, max]: safe integers only, so ids and counts stay exact. */
export function checkInteger(v: unknown, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    fail(`${what} must be an integer in [${min}, ${max}], got ${show(v)}`);
  }
  return v;
}

export function checkUint32(v: unknown, what: string, min = 0): number {
  return checkInteger(v, what, min, UINT32_MAX);
}

/** A finite number ≥ 0 (timings, FLOPs, bytes, overheads). */
export function checkNonNegative(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${what} must be a finite number ≥ 0, got ${show(v)}`);
  return v;
}

/** A string of at most maxStringBytes UTF-8 bytes; `nonEmpty` rejects ''. */
export function checkString(v: unknown, what: string, lim: WireLimits, nonEmpty: boolean): string {
  if (typeof v !== 'string') fail(`${what} must be a string, got ${show(v)}`);
  if (nonEmpty && v === '') fail(`${what} is empty`);
  // UTF-8 is at most 3 bytes per UTF-16 unit: skip the count for short strings.
  if (v.length * 3 > lim.maxStringBytes && Buffer.byteLength(v, 'utf8') > lim.maxStringBytes) {
    fail(`${what} of ${Buffer.byteLength(v, 'utf8')} bytes exceeds maxStringBytes ${lim.maxStringBytes}`);
  }
  return v;
}

const HEX_DIGEST = /^[0-9a-f]{8,128}$/;

/** A content version: a lower-case hex digest of 8 to 128 digits (sha256 gives 64). */
export function checkHexDigest(v: unknown, what: string): string {
  if (typeof v !== 'string' || !HEX_DIGEST.test(v)) fail(`${what} must be a lower-case hex digest of 8 to 128 digits, got ${show(v)}`);
  return v;
}

export function checkArray(v: unknown, what: string, max: number, limitName: string): readonly unknown[] {
  if (!Array.isArray(v)) fail(`${what} must be an array, got ${show(v)}`);
  if (v.length > max) fail(`${what} has ${v.length} elements, more than ${limitName} ${max}`);
  return v;
}

/**
 * A tensor shape: 1 to maxRank positive uint32 dimensions whose product · 4
 * is within maxTensorBytes (so any tensor of it may be allocated).
 */
export function checkShape(v: unknown, what: string, lim: WireLimits): Shape {
  const shape = checkArray(v, what, lim.maxRank, 'maxRank');
  if (shape.length === 0) fail(`${what} is empty`);
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > UINT32_MAX) {
      fail(`${what} ${fmtShape(shape as number[])} has a bad dimension ${i}: ${show(d)} (need an integer in [1, ${UINT32_MAX}])`);
    }
    n *= d;
  }
  if (n * 4 > lim.maxTensorBytes) fail(`${what} ${fmtShape(shape as number[])} exceeds maxTensorBytes ${lim.maxTensorBytes}`);
  return shape as Shape;
}

const AXES = ['n', 'c', 'y', 'x'] as const;

/**
 * A non-empty box of uint32 coordinates whose volume · 4 is within
 * maxTensorBytes, for a region whose tensor shape the message does not carry.
 */
export function checkBox(v: unknown, what: string, lim: WireLimits): Region {
  if (v === null || typeof v !== 'object') fail(`${what} must be a region object, got ${show(v)}`);
  const r = v as Region;
  for (const axis of AXES) {
    const lo = checkUint32(r[`${axis}0`], `${what}.${axis}0`), hi = checkUint32(r[`${axis}1`], `${what}.${axis}1`);
    if (lo >= hi) fail(`${what} ${fmtRegion(r)} is empty on axis ${axis}`);
  }
  if (regionVolume(r) * 4 > lim.maxTensorBytes) fail(`${what} ${fmtRegion(r)} exceeds maxTensorBytes ${lim.maxTensorBytes}`);
  return r;
}

/** A non-empty region inside `shape` (rank 4, or rank 2 with y, x = [0, 1)). */
export function checkRegionIn(v: unknown, shape: Shape, what: string): Region {
  checkRegion(v as Region, shape, what); // BAD_REGION / SHAPE_MISMATCH naming the value
  return v as Region;
}

/**
 * The header of a TileSlice: source a model input (−1 − k, at most maxLayers
 * inputs) or a layer index, a feature-map shape,
 * a region inside it, and `dataBytes` = regionVolume(region) · 4.
 */
export function checkSliceHeader(source: unknown, shape: unknown, region: unknown, dataBytes: number, lim: WireLimits, what: string): void {
  checkInteger(source, `${what}.source`, -lim.maxLayers, 0x7fffffff);
  const s = checkShape(shape, `${what}.shape`, lim);
  const r = checkRegionIn(region, s, `${what}.region`);
  const need = regionVolume(r) * 4;
  if (dataBytes !== need) fail(`${what}.data has ${dataBytes} bytes, region ${fmtRegion(r)} needs ${need}`);
}

/** Runs an encoder; a bad field is BAD_ARGUMENT "cannot encode <what>: …". */
export function encoding<T>(what: string, f: (lim: WireLimits) => T): T {
  try {
    return f(resolveLimits());
  } catch (e) {
    throw rethrown(e, 'BAD_ARGUMENT', `cannot encode ${what}`);
  }
}

/**
 * Runs a decoder on `bytes` once they are known to be a Uint8Array within
 * maxTileBytes; anything malformed or invalid is BAD_MESSAGE "bad <what> message: …".
 */
export function decoding<T>(what: string, bytes: unknown, limits: Partial<WireLimits>, f: (bytes: Uint8Array, lim: WireLimits) => T): T {
  const lim = resolveLimits(limits);
  if (!(bytes instanceof Uint8Array)) throw new TesseraError('BAD_ARGUMENT', `decoding a ${what} needs a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length > lim.maxTileBytes) {
    throw new TesseraError('BAD_MESSAGE', `bad ${what} message: ${bytes.length} bytes exceed maxTileBytes ${lim.maxTileBytes}`, { bytes: bytes.length });
  }
  try {
    return f(bytes, lim);
  } catch (e) {
    throw rethrown(e, 'BAD_MESSAGE', `bad ${what} message`);
  }
}

function rethrown(e: unknown, code: 'BAD_ARGUMENT' | 'BAD_MESSAGE', prefix: string): unknown {
  if (e instanceof WireFormatError || isTesseraError(e)) {
    return new TesseraError(code, `${prefix}: ${e.message}`, isTesseraError(e) ? { ...e.details } : {}, { cause: e });
  }
  return e;
}
