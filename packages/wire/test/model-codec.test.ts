import { expect } from 'chai';
import { ModelBuilder, fuseLayers, seedDilatedStack, vggBlockStack, type Model } from '@tessera/nn';
import { Tensor } from '@tessera/tensor';
import { isTesseraError } from '@tessera/tensor';
import { LAYER_FIELDS, MODEL_FIELDS, ProtoWriter, decodeModel, encodeModel, encodeTensor } from '../src/index.js';
import { decodeSpec, encodeSpecParams } from '../src/spec-json.js';
import { dagModel, randomInput, run, sameBits } from './helpers.js';

function expectBadModel(f: () => unknown, text?: RegExp): Error {
  try {
    f();
  } catch (e) {
    expect(isTesseraError(e, 'BAD_MODEL'), String(e)).to.equal(true);
    if (text) expect((e as Error).message).to.match(text);
    return e as Error;
  }
  return expect.fail('expected BAD_MODEL');
}

function expectSameModel(a: Model, b: Model): void {
  expect(b.id).to.equal(a.id);
  expect(b.name).to.equal(a.name);
  expect(b.inputShape).to.deep.equal(a.inputShape);
  expect(b.output).to.equal(a.output);
  expect(b.layers.map((l) => l.name)).to.deep.equal(a.layers.map((l) => l.name));
  expect(b.layers.map((l) => l.inputs)).to.deep.equal(a.layers.map((l) => l.inputs));
  expect(b.layers.map((l) => l.spec)).to.deep.equal(a.layers.map((l) => l.spec));
  expect(b.shapes()).to.deep.equal(a.shapes());
  expect(b.paramCount()).to.equal(a.paramCount());
}

/** A hand-made Model message with one layer (fields overridable) for negative tests. */
function modelMessage(o: { version?: number; id?: string; inputShape?: number[]; output?: number; layers?: ProtoWriter[] } = {}): Uint8Array {
  const w = new ProtoWriter()
    .uint32Field(MODEL_FIELDS.format_version, o.version ?? 1)
    .stringField(MODEL_FIELDS.id, o.id ?? 'id-1')
    .stringField(MODEL_FIELDS.name, 'hand')
    .packedUint32Field(MODEL_FIELDS.input_shape, o.inputShape ?? [1, 2, 4, 4])
    .uint32Field(MODEL_FIELDS.output, o.output ?? 0);
  for (const l of o.layers ?? [layerMessage()]) w.messageField(MODEL_FIELDS.layers, l);
  return w.finish();
}

function layerMessage(o: { op?: string; spec?: string; inputs?: number[]; weights?: [string, Uint8Array][] } = {}): ProtoWriter {
  const w = new ProtoWriter()
    .stringField(LAYER_FIELDS.name, 'l')
    .stringField(LAYER_FIELDS.op, o.op ?? 'relu')
    .stringField(LAYER_FIELDS.spec_json, o.spec ?? '{}')
    .packedSint32Field(LAYER_FIELDS.inputs, o.inputs ?? [-1]);
  for (const [name, t] of o.weights ?? []) {
    w.messageField(LAYER_FIELDS.weights, new ProtoWriter().stringField(1, name).bytesField(2, t));
  }
  return w;
}

/** fuseLayers' output: conv and dense layers with activation, alpha, scale and shift (the cluster ships these). */
function fusedModel(): Model {
  const b = new ModelBuilder('chains', [1, 3, 9, 8], { seed: 4 });
  let x = b.relu(b.scaleShift(b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same' })));
  x = b.leakyRelu(b.scaleShift(b.conv2d(x, { outChannels: 5, kernel: 1 }), { scale: Tensor.from([1, -2, 3, -0.5, 0.25], [5]) }), 0.1);
  const m = fuseLayers(b.build(b.relu6(b.scaleShift(b.dense(x, 6)))));
  expect(m.layers.every((l) => l.spec.op !== 'scaleShift')).to.equal(true);
  return m;
}

describe('model codec', () => {
  const cases: [string, () => Model][] = [
    ['seedDilatedStack', () => seedDilatedStack({ size: 24, channels: 8 })],
    ['vggBlockStack', () => vggBlockStack({ size: 16, widths: [4, 8] })],
    ['DAG of every op', dagModel],
    ['a fused model (epilogue specs, scale/shift weights, a −0 shift)', fusedModel],
  ];
  for (const [label, make] of cases) {
    it(`round-trips ${label}: same id, names, specs, and bit-identical LocalExecutor output`, () => {
      const m = make();
      const back = decodeModel(encodeModel(m));
      expectSameModel(m, back);
      const x = randomInput(m.inputShape);
      expect(sameBits(run(back, x), run(m, x))).to.equal(true);
      for (const l of m.layers) {
        for (const [k, t] of Object.entries(l.weights)) if (t) expect(sameBits(back.layers[l.index]!.weights[k]!, t), `${l.name}.${k}`).to.equal(true);
      }
    });
  }

  it('is deterministic: the same model encodes to the same bytes', () => {
    const m = dagModel();
    expect(Buffer.from(encodeModel(m)).equals(Buffer.from(encodeModel(decodeModel(encodeModel(m)))))).to.equal(true);
  });

  it('round-trips a full-size seed stack', () => {
    const m = seedDilatedStack();
    const back = decodeModel(encodeModel(m));
    expectSameModel(m, back);
  });

  it('keeps -0, -Infinity and NaN in specs exactly', () => {
    const json = encodeSpecParams({ op: 'pad', top: 1, bottom: 0, left: 0, right: 0, value: -Infinity });
    expect(json).to.contain('$number');
    expect(decodeSpec('pad', json, 1000)).to.deep.equal({ op: 'pad', top: 1, bottom: 0, left: 0, right: 0, value: -Infinity });
    const z = decodeSpec('pad', encodeSpecParams({ op: 'pad', top: 0, bottom: 0, left: 0, right: 0, value: -0 }), 1000) as { value: number };
    expect(Object.is(z.value, -0)).to.equal(true);
    const n = decodeSpec('leakyRelu', encodeSpecParams({ op: 'leakyRelu', alpha: NaN }), 1000) as { alpha: number };
    expect(Number.isNaN(n.alpha)).to.equal(true);
  });

  it('rejects unknown versions, empty ids, missing layers and bad outputs', () => {
    expectBadModel(() => decodeModel(modelMessage({ version: 3 })), /format version 3 is not supported \(this build reads versions 1 and 2\)/);
    expectBadModel(() => decodeModel(modelMessage({ version: 0 })), /format version 0/);
    expectBadModel(() => decodeModel(modelMessage({ id: '' })), /id is empty/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [] })), /no layers/);
    expectBadModel(() => decodeModel(modelMessage({ output: 1 })), /output 1/);
    expectBadModel(() => decodeModel(new Uint8Array(0)), /format version 0/);
  });

  it('rejects unknown ops, forward references, bad specs and bad weights, naming the layer', () => {
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ op: 'warp' })] })), /layer 0 'l'.*unknown op 'warp'/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ inputs: [0] })] })), /input 0 is not/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ inputs: [-2] })] })), /input -2/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ spec: '[1]' })] })), /must be an object/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ spec: '{"op":"relu"}' })] })), /must not repeat/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ spec: '{' })] })), /does not parse/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ spec: '{"__proto__":{"x":1}}' })] })), /__proto__/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ spec: '{"a":{"$number":"1"}}' })] })), /\$number/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ op: 'maxPool', spec: '{"kernel":"x"}' })] })), /kernel/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ op: 'maxPool', spec: '{"kernel":9}' })] })), /larger than the padded input/);
    const w = encodeTensor(randomInput([3, 2, 1, 1]));
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ op: 'conv2d', spec: '{"kernel":1}', weights: [['weight', w], ['weight', w]] })] })), /appears twice/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ op: 'conv2d', spec: '{"kernel":1}', weights: [['__proto__', w]] })] })), /not a weight of op conv2d/);
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ op: 'conv2d', spec: '{"kernel":1}' })] })), /needs a weight/);
    const wrong = encodeTensor(randomInput([3, 5, 1, 1]));
    expectBadModel(() => decodeModel(modelMessage({ layers: [layerMessage({ op: 'conv2d', spec: '{"kernel":1}', weights: [['weight', wrong]] })] })), /layer 0 'l'.*input channels/);
    const ok = decodeModel(modelMessage({ layers: [layerMessage({ op: 'conv2d', spec: '{"kernel":1}', weights: [['weight', w]] })] }));
    expect(ok.outputShape()).to.deep.equal([1, 3, 4, 4]);
  });

  it('enforces maxLayers, maxRank, maxModelBytes, maxSpecBytes and the input size limit', () => {
    const m = seedDilatedStack({ size: 8, channels: 2 });
    const bytes = encodeModel(m);
    expectBadModel(() => decodeModel(bytes, { maxLayers: m.layers.length - 1 }), /maxLayers/);
    expect(decodeModel(bytes, { maxLayers: m.layers.length }).layers).to.have.length(m.layers.length);
    expectBadModel(() => decodeModel(bytes, { maxRank: 3 }), /input_shape has more than 3/);
    expectBadModel(() => decodeModel(bytes, { maxModelBytes: bytes.length - 1 }), /maxModelBytes/);
    expectBadModel(() => decodeModel(bytes, { maxSpecBytes: 5 }), /maxSpecBytes/);
    expectBadModel(() => decodeModel(modelMessage({ inputShape: [1 << 16, 1 << 16] })), /input shape .* exceeds maxTensorBytes/);
    expectBadModel(() => decodeModel(modelMessage({ inputShape: [] })), /input shape is empty/);
  });

  it('decodes a model whose builder-made weights include undefined entries', () => {
    const b = new ModelBuilder('nobias', [1, 2, 5, 5]);
    b.conv2d(b.input, { outChannels: 3, kernel: 3, bias: false });
    const m = b.build();
    const back = decodeModel(encodeModel(m));
    expect(Object.keys(back.layers[0]!.weights)).to.deep.equal(['weight']);
  });
});
