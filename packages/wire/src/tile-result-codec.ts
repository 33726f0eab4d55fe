import type { WireLimits } from './limits.js';
import { ProtoReader, ProtoWriter, WireType } from './proto-io.js';
import { TILE_ERROR_FIELDS as FE, TILE_RESULT_FIELDS as F, TILE_TIMINGS_FIELDS as FT } from './schema.js';
import type { DecodeTensorOptions } from './tensor-codec.js';
import { checkArray, checkInteger, checkNonNegative, checkString, checkUint32, checkVersion, decoding, encoding, fail, show } from './field-checks.js';
import { checkTileSlice, materializeSlice, readTileSlice, writeTileSlice } from './tile-slice-codec.js';
import { TILE_PROTOCOL_VERSION, type TileError, type TileResult, type TileTimings } from './tile-types.js';

/**
 * Error messages longer than this are cut by the encoder: a worker must always
 * be able to report a failure, and a message of any length could otherwise
 * break the receiver's maxStringBytes.
 */
export const MAX_ERROR_MESSAGE_CHARS = 4096;

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * A TileResult message. A result that would not decode (see decodeTileResult)
 * is BAD_ARGUMENT naming the field; the one change made is that an error
 * message is cut to MAX_ERROR_MESSAGE_CHARS.
 */
export function encodeTileResult(result: TileResult): Uint8Array {
  return encoding('TileResult', (lim) => {
    if (result === null || typeof result !== 'object') fail(`result must be a TileResult object, got ${String(result)}`);
    const error = result.error && typeof result.error.message === 'string' && result.error.message.length > MAX_ERROR_MESSAGE_CHARS
      ? { code: result.error.code, message: `${result.error.message.slice(0, MAX_ERROR_MESSAGE_CHARS)}…` }
      : result.error;
    checkResultFields({ ...result, error }, lim);
    if (result.output !== undefined) checkTileSlice(result.output, lim, 'output');
    result.extraOutputs?.forEach((s, i) => checkTileSlice(s, lim, `extraOutputs[${i}]`));
    const w = new ProtoWriter()
      .uint32Field(F.version, result.version)
      .stringField(F.run_id, result.runId)
      .uint64Field(F.tile_id, result.tileId)
      .stringField(F.worker_id, result.workerId)
      .uint32Field(F.attempt, result.attempt);
    // The outcome is a oneof: written even when its value is the default.
    if (result.output !== undefined) w.messageField(F.output, writeTileSlice(result.output));
    if (result.outputRef !== undefined) w.stringField(F.output_ref, result.outputRef);
    if (error !== undefined) w.messageField(F.error, new ProtoWriter().stringField(FE.code, error.code).stringField(FE.message, error.message));
    for (const s of result.extraOutputs ?? []) w.messageField(F.extra_outputs, writeTileSlice(s));
    if (result.engine !== undefined) w.stringField(F.engine, result.engine);
    const t = result.timings;
    w.messageField(F.timings, new ProtoWriter().doubleField(FT.queue_ms, t.queueMs).doubleField(FT.compute_ms, t.computeMs).doubleField(FT.codec_ms, t.codecMs));
    return w.finish();
  });
}

/**
 * The TileResult in a TileResult message. Checked before any element array is
 * allocated: protocol version, non-empty runId and workerId, safe-integer
 * tileId and attempt ≥ 1, exactly one of output / outputRef / error, the
 * output slice's region inside its shape with exactly its bytes, an error code
 * of A–Z, 0–9 and _, finite timings ≥ 0, strings within `limits`. An absent
 * timings message reads as zeros. Anything wrong is TesseraError BAD_MESSAGE.
 */
export function decodeTileResult(bytes: Uint8Array, limits: Partial<WireLimits> = {}, opts: DecodeTensorOptions = {}): TileResult {
  return decoding('TileResult', bytes, limits, (b, lim) => {
    let version = 0, runId = '', tileId = 0, workerId = '', attempt = 0;
    let outputView: Uint8Array | undefined, outputRef: string | undefined, error: TileError | undefined;
    let timings: TileTimings = { queueMs: 0, computeMs: 0, codecMs: 0 };
    let outcomes = 0, engine: string | undefined;
    const extraViews: Uint8Array[] = [];
    const r = new ProtoReader(b);
    const str = (what: string) => r.string(what, lim.maxStringBytes);
    while (!r.done) {
      const { field, wireType } = r.tag();
      const expect = (type: number, what: string) => r.expect(wireType, type, what);
      switch (field) {
        case F.version: expect(WireType.VARINT, 'version'); version = r.uint32('version'); break;
        case F.run_id: expect(WireType.LEN, 'runId'); runId = str('runId'); break;
        case F.tile_id: expect(WireType.VARINT, 'tileId'); tileId = r.varint(); break;
        case F.worker_id: expect(WireType.LEN, 'workerId'); workerId = str('workerId'); break;
        case F.attempt: expect(WireType.VARINT, 'attempt'); attempt = r.uint32('attempt'); break;
        case F.output: expect(WireType.LEN, 'output'); outcomes++; outputView = r.lengthDelimited('output'); break;
        case F.output_ref: expect(WireType.LEN, 'outputRef'); outcomes++; outputRef = str('outputRef'); break;
        case F.error: expect(WireType.LEN, 'error'); outcomes++; error = readError(r.lengthDelimited('error'), lim); break;
        case F.timings: expect(WireType.LEN, 'timings'); timings = readTimings(r.lengthDelimited('timings')); break;
        case F.extra_outputs:
          expect(WireType.LEN, 'extraOutputs');
          if (extraViews.length >= lim.maxSlices) fail(`extraOutputs has more than maxSlices ${lim.maxSlices} elements`);
          extraViews.push(r.lengthDelimited('extraOutputs'));
          break;
        case F.engine: expect(WireType.LEN, 'engine'); engine = str('engine'); break;
        default: r.skip(wireType);
      }
      // protobuf would let the last outcome win; two outcomes are a sender bug.
      if (outcomes > 1) fail('result has more than one of output, outputRef and error');
    }
    // The version first: a result of another version may lay out its fields differently.
    checkVersion(version, TILE_PROTOCOL_VERSION, 'tile protocol version');
    const output = outputView && readTileSlice(outputView, lim, 'output');
    const head = { version, runId, tileId, workerId, attempt };
    const rest = { ...(outputRef !== undefined ? { outputRef } : {}), ...(error !== undefined ? { error } : {}), timings, ...(engine !== undefined ? { engine } : {}) };
    checkResultFields({ ...head, output, ...rest, ...(extraViews.length ? { extraOutputs: extraViews } : {}) }, lim);
    const extra = extraViews.map((v, i) => materializeSlice(readTileSlice(v, lim, `extraOutputs[${i}]`), opts.copy ?? 'always'));
    return {
      ...head, ...(output !== undefined ? { output: materializeSlice(output, opts.copy ?? 'always') } : {}), ...rest, ...(extra.length ? { extraOutputs: extra } : {}),
    };
  });
}

/** The checks of every TileResult field but the output slice's contents. */
function checkResultFields(t: Omit<TileResult, 'output' | 'extraOutputs'> & { output?: unknown; extraOutputs?: readonly unknown[] }, lim: WireLimits): void {
  checkVersion(t.version, TILE_PROTOCOL_VERSION, 'tile protocol version');
  checkString(t.runId, 'runId', lim, true);
  checkInteger(t.tileId, 'tileId', 0);
  checkString(t.workerId, 'workerId', lim, true);
  checkUint32(t.attempt, 'attempt', 1);
  const set = [t.output, t.outputRef, t.error].filter((v) => v !== undefined).length;
  if (set !== 1) fail(`result must have exactly one of output, outputRef and error, it has ${set}`);
  if (t.outputRef !== undefined) checkString(t.outputRef, 'outputRef', lim, true);
  if (t.engine !== undefined) checkString(t.engine, 'engine', lim, false);
  if (t.extraOutputs !== undefined) {
    const extra = checkArray(t.extraOutputs, 'extraOutputs', lim.maxSlices, 'maxSlices');
    if (extra.length > 0 && t.output === undefined) fail(`extraOutputs (${extra.length} slices) come only with output, not with ${t.outputRef !== undefined ? 'outputRef' : 'error'}`);
  }
  if (t.error !== undefined) {
    if (t.error === null || typeof t.error !== 'object') fail(`error must be a TileError object, got ${show(t.error)}`);
    if (typeof t.error.code !== 'string' || !ERROR_CODE.test(t.error.code)) {
      fail(`error.code must be an error code of A-Z, 0-9 and _ (at most 64), got ${show(t.error.code)}`);
    }
    checkString(t.error.message, 'error.message', lim, false);
  }
  const tm = t.timings;
  if (tm === null || typeof tm !== 'object') fail(`timings must be a TileTimings object, got ${show(tm)}`);
  checkNonNegative(tm.queueMs, 'timings.queueMs');
  checkNonNegative(tm.computeMs, 'timings.computeMs');
  checkNonNegative(tm.codecMs, 'timings.codecMs');
}

function readError(bytes: Uint8Array, lim: WireLimits): TileError {
  let code = '', message = '';
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === FE.code) { r.expect(wireType, WireType.LEN, 'error.code'); code = r.string('error.code', lim.maxStringBytes); }
    else if (field === FE.message) { r.expect(wireType, WireType.LEN, 'error.message'); message = r.string('error.message', lim.maxStringBytes); }
    else r.skip(wireType);
  }
  return { code, message };
}

function readTimings(bytes: Uint8Array): TileTimings {
  const t = { queueMs: 0, computeMs: 0, codecMs: 0 };
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    const key = field === FT.queue_ms ? 'queueMs' : field === FT.compute_ms ? 'computeMs' : field === FT.codec_ms ? 'codecMs' : undefined;
    if (key === undefined) {
      r.skip(wireType);
      continue;
    }
    r.expect(wireType, WireType.I64, `timings.${key}`);
    t[key] = r.double(`timings.${key}`);
  }
  return t;
}
