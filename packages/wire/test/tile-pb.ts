import protobuf from 'protobufjs';
import { WIRE_PROTO, type TileResult, type TileSlice, type TileTask } from '../src/index.js';

/**
 * The tile messages through protobufjs (a dev dependency, the reference
 * implementation of the format): our values as its plain objects, and its
 * encoder, so tests can also build messages our encoder would refuse.
 */

const root = protobuf.parse(WIRE_PROTO, { keepCase: true }).root;
export const pb = {
  TileTask: root.lookupType('tessera.wire.v1.TileTask'),
  TileResult: root.lookupType('tessera.wire.v1.TileResult'),
  TileSlices: root.lookupType('tessera.wire.v1.TileSlices'),
};

export type PbObject = Record<string, unknown>;

/** protobufjs' bytes for plain object `o` of `type`. */
export function pbEncode(type: protobuf.Type, o: PbObject): Uint8Array {
  return type.encode(type.fromObject(o)).finish();
}

/** protobufjs' decoding as plain data with defaults filled in (numbers for uint64 and enums). */
export function pbDecoded(type: protobuf.Type, bytes: Uint8Array): PbObject {
  return type.toObject(type.decode(bytes), { longs: Number, enums: Number, bytes: Array, defaults: true }) as PbObject;
}

/** `o` as pbDecoded would show it. */
export function pbNormalized(type: protobuf.Type, o: PbObject): PbObject {
  return type.toObject(type.fromObject(o), { longs: Number, enums: Number, bytes: Array, defaults: true }) as PbObject;
}

export function pbSlice(s: TileSlice): PbObject {
  return { source: s.source, shape: [...s.shape], region: { ...s.region }, data: new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength) };
}

export function pbTask(t: TileTask): PbObject {
  return {
    version: t.version, run_id: t.runId, tile_id: t.tileId, stage: t.stage, model_id: t.modelId, model_version: t.modelVersion,
    input_shape: [...t.inputShape], layers: [...t.layers], regions: t.regions.map((r) => ({ ...r })),
    inputs: t.inputs.map(pbSlice), ...(t.inputsRef !== undefined ? { inputs_ref: t.inputsRef } : {}), attempt: t.attempt,
    ...(t.extraOutputs ? { extra_outputs: [...t.extraOutputs] } : {}),
    ...(t.moreInputShapes ? { more_input_shapes: t.moreInputShapes.map((s) => ({ dims: [...s] })) } : {}),
  };
}

export function pbResult(t: TileResult): PbObject {
  return {
    version: t.version, run_id: t.runId, tile_id: t.tileId, worker_id: t.workerId, attempt: t.attempt,
    ...(t.output ? { output: pbSlice(t.output) } : {}),
    ...(t.outputRef !== undefined ? { output_ref: t.outputRef } : {}),
    ...(t.error ? { error: { ...t.error } } : {}),
    timings: { queue_ms: t.timings.queueMs, compute_ms: t.timings.computeMs, codec_ms: t.timings.codecMs },
    ...(t.extraOutputs ? { extra_outputs: t.extraOutputs.map(pbSlice) } : {}),
  };
}
