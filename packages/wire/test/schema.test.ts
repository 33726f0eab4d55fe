import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  LAYER_FIELDS, MODEL_FIELDS, NAMED_TENSOR_FIELDS, TENSOR_FIELDS, WIRE_PROTO, DType, decodeModel, encodeModel,
  REGION_FIELDS, TILE_SLICE_FIELDS, TILE_SLICES_FIELDS, TILE_TASK_FIELDS, TILE_TIMINGS_FIELDS, TILE_ERROR_FIELDS, TILE_RESULT_FIELDS,
} from '../src/index.js';
import { dagModel } from './helpers.js';
import protobuf from 'protobufjs';

/** `field = N;` pairs of one message in the schema text (oneof members included). */
function fieldsOf(message: string): Record<string, number> {
  const body = new RegExp(`message ${message} \\{((?:[^{}]|\\{[^{}]*\\})*)\\}`).exec(WIRE_PROTO)?.[1];
  if (!body) throw new Error(`message ${message} not in WIRE_PROTO`);
  const out: Record<string, number> = {};
  for (const m of body.matchAll(/^\s*(?:repeated\s+)?\w+\s+(\w+)\s*=\s*(\d+);/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('schema', () => {
  it('proto/tessera_wire.proto is the embedded WIRE_PROTO', async () => {
    const file = await readFile(fileURLToPath(new URL('../proto/tessera_wire.proto', import.meta.url)), 'utf8');
    expect(file).to.equal(WIRE_PROTO);
  });

  it('the codecs use the field numbers of the schema', () => {
    expect(fieldsOf('Tensor')).to.deep.equal(TENSOR_FIELDS);
    expect(fieldsOf('NamedTensor')).to.deep.equal(NAMED_TENSOR_FIELDS);
    expect(fieldsOf('Layer')).to.deep.equal(LAYER_FIELDS);
    expect(fieldsOf('Model')).to.deep.equal(MODEL_FIELDS);
    expect(WIRE_PROTO).to.match(new RegExp(`FLOAT32 = ${DType.FLOAT32};`));
    expect(WIRE_PROTO).to.match(/repeated sint32 inputs = 4;/);
    expect(fieldsOf('Region')).to.deep.equal(REGION_FIELDS);
    expect(fieldsOf('TileSlice')).to.deep.equal(TILE_SLICE_FIELDS);
    expect(fieldsOf('TileSlices')).to.deep.equal(TILE_SLICES_FIELDS);
    expect(fieldsOf('TileTask')).to.deep.equal(TILE_TASK_FIELDS);
    expect(fieldsOf('TileTimings')).to.deep.equal(TILE_TIMINGS_FIELDS);
    expect(fieldsOf('TileError')).to.deep.equal(TILE_ERROR_FIELDS);
    expect(fieldsOf('TileResult')).to.deep.equal(TILE_RESULT_FIELDS);
  });

  it('agrees with protobufjs (a dev dependency: the reference implementation of the format)', () => {
    const root = protobuf.parse(WIRE_PROTO, { keepCase: true }).root;
    const Model = root.lookupType('tessera.wire.v1.Model');
    const m = dagModel();
    const ours = encodeModel(m);
    const msg = Model.decode(ours);
    expect(msg.id).to.equal(m.id);
    expect(msg.layers.map((l: { inputs: number[] }) => l.inputs)).to.deep.equal(m.layers.map((l) => l.inputs));
    const theirs: Uint8Array = Model.encode(msg).finish();
    expect(decodeModel(theirs).layers.map((l) => l.name)).to.deep.equal(m.layers.map((l) => l.name));
  });
});
