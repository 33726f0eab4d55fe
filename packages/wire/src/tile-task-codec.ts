import type { Region } from '@tessera/tensor';
import type { WireLimits } from './limits.js';
import { ProtoReader, ProtoWriter, WireType } from './proto-io.js';
import { readRegion, writeRegion } from './region-codec.js';
import { INPUT_SHAPE_FIELDS as FS, TILE_TASK_FIELDS as F } from './schema.js';
import type { DecodeTensorOptions } from './tensor-codec.js';
import {
  checkArray, checkBox, checkHexDigest, checkInteger, checkShape, checkString, checkUint32, checkVersion, decoding, encoding, fail, show,
} from './field-checks.js';
import { checkTileSlice, materializeSlice, readTileSlice, writeTileSlice } from './tile-slice-codec.js';
import { TILE_PROTOCOL_VERSION, type TileTask } from './tile-types.js';

/** A TileTask message. A task that would not decode (see decodeTileTask) is BAD_ARGUMENT naming the field. */
export function encodeTileTask(task: TileTask): Uint8Array {
  return encoding('TileTask', (lim) => {
    if (task === null || typeof task !== 'object') fail(`task must be a TileTask object, got ${String(task)}`);
    checkTaskFields(task, lim);
    task.inputs.forEach((s, i) => checkTileSlice(s, lim, `inputs[${i}]`));
    const w = new ProtoWriter()
      .uint32Field(F.version, task.version)
      .stringField(F.run_id, task.runId)
      .uint64Field(F.tile_id, task.tileId)
      .uint32Field(F.stage, task.stage)
      .stringField(F.model_id, task.modelId)
      .stringField(F.model_version, task.modelVersion)
      .packedUint32Field(F.input_shape, task.inputShape)
      .packedUint32Field(F.layers, task.layers);
    for (const r of task.regions) w.messageField(F.regions, writeRegion(r));
    for (const s of task.inputs) w.messageField(F.inputs, writeTileSlice(s));
    if (task.inputsRef !== undefined) w.stringField(F.inputs_ref, task.inputsRef);
    w.uint32Field(F.attempt, task.attempt);
    if (task.extraOutputs?.length) w.packedUint32Field(F.extra_outputs, task.extraOutputs);
    if (task.engineMode !== undefined) w.stringField(F.engine_mode, task.engineMode);
    for (const s of task.moreInputShapes ?? []) w.messageField(F.more_input_shapes, new ProtoWriter().packedUint32Field(FS.dims, s));
    return w.finish();
  });
}

/**
 * The TileTask in a TileTask message. Every field is checked before any
 * element array is allocated: protocol version, non-empty runId and modelId,
 * modelVersion a hex digest, safe-integer tileId and attempt ≥ 1, one
 * non-empty region per layer, each input slice's region inside its shape with
 * exactly its bytes, inputsRef only with no inputs, counts and strings within
 * `limits`. Anything wrong is TesseraError BAD_MESSAGE naming the field and value.
 */
export function decodeTileTask(bytes: Uint8Array, limits: Partial<WireLimits> = {}, opts: DecodeTensorOptions = {}): TileTask {
  return decoding('TileTask', bytes, limits, (b, lim) => {
    const t = {
      version: 0, runId: '', tileId: 0, stage: 0, modelId: '', modelVersion: '',
      inputShape: [] as number[], layers: [] as number[], regions: [] as Region[], inputsRef: '', attempt: 0,
    };
    const extraOutputs: number[] = [];
    let engineMode = '';
    const moreInputShapes: number[][] = [];
    const inputViews: Uint8Array[] = [];
    const r = new ProtoReader(b);
    const str = (what: string) => r.string(what, lim.maxStringBytes);
    while (!r.done) {
      const { field, wireType } = r.tag();
      const expect = (type: number, what: string) => r.expect(wireType, type, what);
      switch (field) {
        case F.version: expect(WireType.VARINT, 'version'); t.version = r.uint32('version'); break;
        case F.run_id: expect(WireType.LEN, 'runId'); t.runId = str('runId'); break;
        case F.tile_id: expect(WireType.VARINT, 'tileId'); t.tileId = r.varint(); break;
        case F.stage: expect(WireType.VARINT, 'stage'); t.stage = r.uint32('stage'); break;
        case F.model_id: expect(WireType.LEN, 'modelId'); t.modelId = str('modelId'); break;
        case F.model_version: expect(WireType.LEN, 'modelVersion'); t.modelVersion = str('modelVersion'); break;
        case F.input_shape: r.repeated(wireType, t.inputShape, lim.maxRank, 'inputShape'); break;
        case F.layers: r.repeated(wireType, t.layers, lim.maxLayers, 'layers'); break;
        case F.regions:
          expect(WireType.LEN, 'regions');
          if (t.regions.length >= lim.maxLayers) fail(`regions has more than maxLayers ${lim.maxLayers} elements`);
          t.regions.push(readRegion(r.lengthDelimited('regions'), `regions[${t.regions.length}]`));
          break;
        case F.inputs:
          expect(WireType.LEN, 'inputs');
          if (inputViews.length >= lim.maxSlices) fail(`inputs has more than maxSlices ${lim.maxSlices} elements`);
          inputViews.push(r.lengthDelimited('inputs'));
          break;
        case F.inputs_ref: expect(WireType.LEN, 'inputsRef'); t.inputsRef = str('inputsRef'); break;
        case F.attempt: expect(WireType.VARINT, 'attempt'); t.attempt = r.uint32('attempt'); break;
        case F.extra_outputs: r.repeated(wireType, extraOutputs, lim.maxLayers, 'extraOutputs'); break;
        case F.engine_mode: expect(WireType.LEN, 'engineMode'); engineMode = str('engineMode'); break;
        case F.more_input_shapes: {
          expect(WireType.LEN, 'moreInputShapes');
          if (moreInputShapes.length >= lim.maxSlices) fail(`moreInputShapes has more than maxSlices ${lim.maxSlices} elements`);
          const dims: number[] = [];
          const sr = new ProtoReader(r.lengthDelimited('moreInputShapes'));
          while (!sr.done) {
            const tag = sr.tag();
            if (tag.field === FS.dims) sr.repeated(tag.wireType, dims, lim.maxRank, `moreInputShapes[${moreInputShapes.length}]`);
            else sr.skip(tag.wireType);
          }
          moreInputShapes.push(dims);
          break;
        }
        default: r.skip(wireType);
      }
    }
    // The version first: a task of another version may lay out its fields differently.
    checkVersion(t.version, TILE_PROTOCOL_VERSION, 'tile protocol version');
    const { inputsRef, ...fields } = t;
    const task: TileTask = { ...fields, inputs: [], ...(inputsRef === '' ? {} : { inputsRef }), ...(extraOutputs.length ? { extraOutputs } : {}),
      ...(engineMode === '' ? {} : { engineMode: engineMode as TileTask['engineMode'] }), ...(moreInputShapes.length ? { moreInputShapes } : {}) };
    checkTaskFields({ ...task, inputs: inputViews }, lim);
    const inputs = inputViews.map((v, i) => readTileSlice(v, lim, `inputs[${i}]`));
    return { ...task, inputs: inputs.map((s) => materializeSlice(s, opts.copy ?? 'always')) };
  });
}

/** The checks of every TileTask field but the input slices' contents. */
function checkTaskFields(t: Omit<TileTask, 'inputs'> & { inputs: readonly unknown[] }, lim: WireLimits): void {
  checkVersion(t.version, TILE_PROTOCOL_VERSION, 'tile protocol version');
  checkString(t.runId, 'runId', lim, true);
  checkInteger(t.tileId, 'tileId', 0);
  checkUint32(t.stage, 'stage');
  checkString(t.modelId, 'modelId', lim, true);
  checkHexDigest(t.modelVersion, 'modelVersion');
  checkShape(t.inputShape, 'inputShape', lim);
  const layers = checkArray(t.layers, 'layers', lim.maxLayers, 'maxLayers');
  if (layers.length === 0) fail('layers is empty');
  layers.forEach((l, i) => checkUint32(l, `layers[${i}]`));
  const regions = checkArray(t.regions, 'regions', lim.maxLayers, 'maxLayers');
  if (regions.length !== layers.length) fail(`regions has ${regions.length} elements, layers has ${layers.length} (need one region per layer)`);
  regions.forEach((r, i) => checkBox(r, `regions[${i}]`, lim));
  const inputs = checkArray(t.inputs, 'inputs', lim.maxSlices, 'maxSlices');
  if (t.inputsRef !== undefined) {
    checkString(t.inputsRef, 'inputsRef', lim, true);
    if (inputs.length !== 0) fail(`inputsRef ${JSON.stringify(t.inputsRef)} is set but inputs has ${inputs.length} slices (must be empty)`);
  }
  checkUint32(t.attempt, 'attempt', 1);
  if (t.engineMode !== undefined && t.engineMode !== 'exact' && t.engineMode !== 'fma') fail(`engineMode must be 'exact' or 'fma', got ${show(t.engineMode)}`);
  if (t.moreInputShapes !== undefined) {
    checkArray(t.moreInputShapes, 'moreInputShapes', lim.maxSlices, 'maxSlices').forEach((s, i) => checkShape(s, `moreInputShapes[${i}]`, lim));
  }
  if (t.extraOutputs !== undefined) {
    const extra = checkArray(t.extraOutputs, 'extraOutputs', lim.maxLayers, 'maxLayers');
    // In task order, each a layer of the task before its last: so each appears once.
    let from = 0;
    extra.forEach((l, i) => {
      const at = layers.indexOf(l, from);
      if (at < 0 || at === layers.length - 1) fail(`extraOutputs[${i}] ${show(l)} is not a layer of the task before its last (after the previous extra output)`);
      from = at + 1;
    });
  }
}
