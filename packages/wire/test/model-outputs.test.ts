import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor, Model, multiHeadNet, twoInputNet } from '@tessera/nn';
import { isTesseraError, randomTensor, type Tensor } from '@tessera/tensor';
import {
  LAYER_FIELDS, MODEL_FIELDS, MODEL_INPUT_FIELDS, MODEL_OUTPUT_FIELDS, ProtoWriter, decodeModel, decodeModelFile, encodeModel, encodeModelFile, loadModel, saveModel,
} from '../src/index.js';

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(t.toFloat32Array().slice().buffer));

function expectBadModel(f: () => unknown, text: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(isTesseraError(thrown, 'BAD_MODEL'), String(thrown)).to.equal(true);
  expect((thrown as Error).message).to.match(text);
}

/** A Model message of two relu layers, with `outputs` as given (version 2 unless said). */
function message(o: { version?: number; output?: number; outputs?: [string, number][] }): Uint8Array {
  const w = new ProtoWriter()
    .uint32Field(MODEL_FIELDS.format_version, o.version ?? 2)
    .stringField(MODEL_FIELDS.id, 'id-1')
    .stringField(MODEL_FIELDS.name, 'hand')
    .packedUint32Field(MODEL_FIELDS.input_shape, [1, 2, 4, 4])
    .uint32Field(MODEL_FIELDS.output, o.output ?? 0);
  for (const inputs of [[-1], [0]]) {
    w.messageField(MODEL_FIELDS.layers, new ProtoWriter().stringField(LAYER_FIELDS.name, `l${inputs[0]}`).stringField(LAYER_FIELDS.op, 'relu')
      .stringField(LAYER_FIELDS.spec_json, '{}').packedSint32Field(LAYER_FIELDS.inputs, inputs));
  }
  for (const [name, layer] of o.outputs ?? []) {
    w.messageField(MODEL_FIELDS.outputs, new ProtoWriter().stringField(MODEL_OUTPUT_FIELDS.name, name).uint32Field(MODEL_OUTPUT_FIELDS.layer, layer));
  }
  return w.finish();
}

describe('Model messages and .tsm files with several outputs', () => {
  const m = multiHeadNet();

  it('round-trip the outputs by name and order; the loaded model runs to the same bits', async () => {
    const back = decodeModel(encodeModel(m));
    expect(back.outputs).to.deep.equal(m.outputs);
    expect(back.id).to.equal(m.id);
    expect(encodeModel(back)).to.deep.equal(encodeModel(m)); // bit for bit
    const x = randomTensor(m.inputShape, 4);
    const local = new LocalExecutor();
    const [a, b] = [await local.runAll(m, x), await local.runAll(back, x)];
    for (const o of m.outputs) expect(bits(b[o.name]!), o.name).to.deep.equal(bits(a[o.name]!));
  });

  it('.tsm files keep the outputs, in bytes and on disk', async () => {
    const bytes = encodeModelFile(m);
    const back = decodeModelFile(bytes);
    expect(back.outputs).to.deep.equal(m.outputs);
    expect(encodeModelFile(back)).to.deep.equal(bytes);
    const dir = await mkdtemp(join(tmpdir(), 'tessera-outputs-'));
    try {
      await saveModel(m, join(dir, 'm.tsm'));
      const loaded = await loadModel(join(dir, 'm.tsm'));
      expect(loaded.outputs).to.deep.equal(m.outputs);
      expect(encodeModelFile(loaded)).to.deep.equal(bytes);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a one-output model is written as version 1, as before (older files and readers keep working); a renamed one as version 2', () => {
    const one = new Model(m.name, m.inputShape, m.layers, m.outputs[1]!.layer, 'one');
    const bytes = encodeModel(one);
    expect(bytes[0]).to.equal(0x08); // field 1, varint
    expect(bytes[1]).to.equal(1);
    expect(decodeModel(bytes).outputs).to.deep.equal([{ name: 'output', layer: one.output }]);
    // A version-1 message written by hand, as older builds wrote it.
    expect(decodeModel(message({ version: 1, output: 1 })).outputs).to.deep.equal([{ name: 'output', layer: 1 }]);
    const renamed = new Model(m.name, m.inputShape, m.layers, [{ name: 'scores', layer: one.output }], 'renamed');
    const rb = encodeModel(renamed);
    expect(rb[1]).to.equal(2);
    expect(decodeModel(rb).outputs).to.deep.equal([{ name: 'scores', layer: one.output }]);
  });

  it('refuses bad outputs, naming them', () => {
    expectBadModel(() => decodeModel(message({ outputs: [] })), /version 2 lists no outputs/);
    expectBadModel(() => decodeModel(message({ version: 1, outputs: [['a', 0]] })), /version 1 has one output; named outputs need version 2/);
    expectBadModel(() => decodeModel(message({ outputs: [['a', 0], ['b', 2]] })), /output 1 "b" is layer 2 is not a layer index in \[0, 2\)/);
    expectBadModel(() => decodeModel(message({ outputs: [['a', 0], ['a', 1]] })), /names two outputs "a"/);
    expectBadModel(() => decodeModel(message({ outputs: [['a', 0], ['b', 0]] })), /outputs "a" and "b" are both layer 0/);
    expectBadModel(() => decodeModel(message({ outputs: [['', 0]] })), /output name must be a non-empty string/);
    expectBadModel(() => decodeModel(message({ output: 1, outputs: [['a', 0], ['b', 1]] })), /output 1 is not the first output's layer 0/);
    expect(decodeModel(message({ output: 1, outputs: [['b', 1], ['a', 0]] })).outputs).to.deep.equal([{ name: 'b', layer: 1 }, { name: 'a', layer: 0 }]);
  });

  it('keep several named inputs (version 2), bit for bit; the loaded model runs to the same bits', async () => {
    const two = twoInputNet();
    const bytes = encodeModelFile(two);
    const back = decodeModelFile(bytes);
    expect(back.inputs).to.deep.equal(two.inputs);
    expect(back.outputs).to.deep.equal(two.outputs);
    expect(encodeModelFile(back)).to.deep.equal(bytes);
    expect(encodeModel(two)[1]).to.equal(2);
    const inputs = { image: randomTensor([1, 3, 15, 15], 1), mask: randomTensor([1, 1, 15, 15], 2) };
    const local = new LocalExecutor();
    const [a, b] = [await local.runAll(two, inputs), await local.runAll(back, inputs)];
    for (const k of ['fused', 'score']) expect(bits(b[k]!), k).to.deep.equal(bits(a[k]!));
  });

  it('refuses bad inputs, naming them', () => {
    /** The two-relu message of `message`, layer 1 reading `src`, with `inputs` as given. */
    const withInputs = (inputs: [string, number[]][], o: { version?: number; inputShape?: number[]; src?: number } = {}): Uint8Array => {
      const w = new ProtoWriter()
        .uint32Field(MODEL_FIELDS.format_version, o.version ?? 2)
        .stringField(MODEL_FIELDS.id, 'id-1')
        .stringField(MODEL_FIELDS.name, 'hand')
        .packedUint32Field(MODEL_FIELDS.input_shape, o.inputShape ?? [1, 2, 4, 4])
        .uint32Field(MODEL_FIELDS.output, 1);
      for (const inputs of [[-1], [o.src ?? 0]]) {
        w.messageField(MODEL_FIELDS.layers, new ProtoWriter().stringField(LAYER_FIELDS.name, `l${inputs[0]}`).stringField(LAYER_FIELDS.op, 'relu')
          .stringField(LAYER_FIELDS.spec_json, '{}').packedSint32Field(LAYER_FIELDS.inputs, inputs));
      }
      w.messageField(MODEL_FIELDS.outputs, new ProtoWriter().stringField(MODEL_OUTPUT_FIELDS.name, 'y').uint32Field(MODEL_OUTPUT_FIELDS.layer, 1));
      for (const [name, shape] of inputs) w.messageField(MODEL_FIELDS.inputs, new ProtoWriter().stringField(MODEL_INPUT_FIELDS.name, name).packedUint32Field(MODEL_INPUT_FIELDS.shape, shape));
      return w.finish();
    };
    const two: [string, number[]][] = [['a', [1, 2, 4, 4]], ['b', [1, 2, 4, 4]]];
    expect(decodeModel(withInputs(two, { src: -2 })).inputs.map((x) => x.name)).to.deep.equal(['a', 'b']);
    expectBadModel(() => decodeModel(withInputs(two, { src: -3 })), /input -3 is not a model input \(-1 to -2\) nor an earlier layer/);
    expectBadModel(() => decodeModel(withInputs(two, { inputShape: [1, 2, 4, 5] })), /input_shape \[1, 2, 4, 5\] is not the first input's shape \[1, 2, 4, 4\]/);
    expectBadModel(() => decodeModel(withInputs([['a', [1, 2, 4, 4]], ['a', [1, 2, 4, 4]]])), /names two inputs "a"/);
    expectBadModel(() => decodeModel(withInputs([['a', [1, 2, 4, 4]], ['b', [1, 0, 4, 4]]])), /input 1 "b" shape/);
  });
});
