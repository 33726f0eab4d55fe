import { DEFAULT_INPUT_NAME, DEFAULT_OUTPUT_NAME, Model, type Layer, type ModelInput, type ModelOutput } from '@tessera/nn';
import { TesseraError, getOp, isOpType, isTesseraError, type Tensor } from '@tessera/tensor';
import { checkShape } from './field-checks.js';
import { resolveLimits, type WireLimits } from './limits.js';
import { ProtoReader, ProtoWriter, WireFormatError, WireType } from './proto-io.js';
import { LAYER_FIELDS as L, MODEL_FIELDS as M, MODEL_FORMAT_VERSIONS, MODEL_INPUT_FIELDS as MI, MODEL_OUTPUT_FIELDS as MO, NAMED_TENSOR_FIELDS as NT } from './schema.js';
import { decodeSpec, encodeSpecParams } from './spec-json.js';
import { readTensor, writeTensor } from './tensor-codec.js';

/**
 * A Model message as bytes: id, name, inputs, outputs, layers with specs
 * and weights. A one-input, one-output model with the default names is
 * written as format version 1 (the bytes it always had); any other as
 * version 2, with every input and output named.
 */
export function encodeModel(model: Model): Uint8Array {
  if (!(model instanceof Model)) throw new TesseraError('BAD_ARGUMENT', `encodeModel needs a Model, got ${Object.prototype.toString.call(model)}`);
  const namedIn = model.inputs.length > 1 || model.inputs[0]!.name !== DEFAULT_INPUT_NAME;
  const named = namedIn || model.outputs.length > 1 || model.outputs[0]!.name !== DEFAULT_OUTPUT_NAME;
  const w = new ProtoWriter()
    .uint32Field(M.format_version, named ? 2 : 1)
    .stringField(M.id, model.id)
    .stringField(M.name, model.name)
    .packedUint32Field(M.input_shape, model.inputShape)
    .uint32Field(M.output, model.output);
  for (const l of model.layers) {
    const lw = new ProtoWriter()
      .stringField(L.name, l.name)
      .stringField(L.op, l.spec.op)
      .stringField(L.spec_json, encodeSpecParams(l.spec))
      .packedSint32Field(L.inputs, l.inputs);
    for (const [name, t] of Object.entries(l.weights)) {
      if (t === undefined) continue;
      lw.messageField(L.weights, new ProtoWriter().stringField(NT.name, name).messageField(NT.tensor, writeTensor(t)));
    }
    w.messageField(M.layers, lw);
  }
  if (named) for (const o of model.outputs) w.messageField(M.outputs, new ProtoWriter().stringField(MO.name, o.name).uint32Field(MO.layer, o.layer));
  if (namedIn) for (const x of model.inputs) w.messageField(M.inputs, new ProtoWriter().stringField(MI.name, x.name).packedUint32Field(MI.shape, x.shape));
  return w.finish();
}

/**
 * The Model in a Model message, rebuilt through the Model constructor so every
 * layer's op, inputs and shapes are validated. Anything wrong — malformed
 * bytes, an unknown format version or op, a tensor beyond `limits`, a layer
 * reading a later layer, shapes that do not fit — is TesseraError BAD_MODEL
 * naming the layer; sizes are checked before anything is allocated.
 */
export function decodeModel(bytes: Uint8Array, limits: Partial<WireLimits> = {}): Model {
  const lim = resolveLimits(limits);
  if (!(bytes instanceof Uint8Array)) throw new TesseraError('BAD_MODEL', `decodeModel needs a Uint8Array, got ${Object.prototype.toString.call(bytes)}`);
  if (bytes.length > lim.maxModelBytes) {
    throw new TesseraError('BAD_MODEL', `model message of ${bytes.length} bytes exceeds maxModelBytes ${lim.maxModelBytes}`, { bytes: bytes.length });
  }
  let name = '<unnamed>';
  try {
    const msg = readModelMessage(bytes, lim);
    name = msg.name;
    if (!MODEL_FORMAT_VERSIONS.includes(msg.version)) {
      throw new WireFormatError(`format version ${msg.version} is not supported (this build reads versions ${MODEL_FORMAT_VERSIONS.join(' and ')})`);
    }
    if (msg.id === '') throw new WireFormatError('model id is empty');
    checkShape(msg.inputShape, 'input shape', lim);
    if (msg.layers.length === 0) throw new WireFormatError('model has no layers');
    const outputs = readOutputs(msg, lim);
    const inputs = readInputs(msg, lim);
    const layers = msg.layers.map((b, i) => readLayer(b, i, inputs.length, lim));
    return new Model(msg.name, inputs, layers, outputs, msg.id);
  } catch (e) {
    if (e instanceof WireFormatError || isTesseraError(e)) {
      throw new TesseraError('BAD_MODEL', `bad model '${name}': ${e.message}`, isTesseraError(e) ? { ...e.details } : {}, { cause: e });
    }
    throw e;
  }
}

interface ModelMessage {
  version: number;
  id: string;
  name: string;
  inputShape: number[];
  output: number;
  layers: Uint8Array[];
  outputs: Uint8Array[];
  inputs: Uint8Array[];
}

function readModelMessage(bytes: Uint8Array, lim: WireLimits): ModelMessage {
  const m: ModelMessage = { version: 0, id: '', name: '', inputShape: [], output: 0, layers: [], outputs: [], inputs: [] };
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    switch (field) {
      case M.format_version: r.expect(wireType, WireType.VARINT, 'format_version'); m.version = r.uint32('format_version'); break;
      case M.id: r.expect(wireType, WireType.LEN, 'id'); m.id = r.string('id'); break;
      case M.name: r.expect(wireType, WireType.LEN, 'name'); m.name = r.string('name'); break;
      case M.input_shape: r.repeated(wireType, m.inputShape, lim.maxRank, 'input_shape'); break;
      case M.output: r.expect(wireType, WireType.VARINT, 'output'); m.output = r.uint32('output'); break;
      case M.layers:
        r.expect(wireType, WireType.LEN, 'layers');
        if (m.layers.length >= lim.maxLayers) throw new WireFormatError(`model has more than maxLayers ${lim.maxLayers} layers`);
        m.layers.push(r.lengthDelimited('layer'));
        break;
      case M.outputs:
        r.expect(wireType, WireType.LEN, 'outputs');
        // An output per layer at most (the Model refuses two on one layer).
        if (m.outputs.length >= lim.maxLayers) throw new WireFormatError(`model has more than maxLayers ${lim.maxLayers} outputs`);
        m.outputs.push(r.lengthDelimited('output'));
        break;
      case M.inputs:
        r.expect(wireType, WireType.LEN, 'inputs');
        // Each input is read by a layer: no more inputs than layers.
        if (m.inputs.length >= lim.maxLayers) throw new WireFormatError(`model has more than maxLayers ${lim.maxLayers} inputs`);
        m.inputs.push(r.lengthDelimited('input'));
        break;
      default: r.skip(wireType);
    }
  }
  return m;
}

/**
 * Version 1: the one layer in `output`, named 'output' (an `outputs` field is
 * refused, not dropped). Version 2: every entry of `outputs`, at least one;
 * `output` must repeat the first one's layer. Names and layers are checked
 * again by the Model (distinct, non-empty).
 */
function readOutputs(msg: ModelMessage, lim: WireLimits): ModelOutput[] {
  const inRange = (layer: number, what: string): number => {
    if (layer >= msg.layers.length) throw new WireFormatError(`${what} ${layer} is not a layer index in [0, ${msg.layers.length})`);
    return layer;
  };
  if (msg.version === 1) {
    if (msg.outputs.length > 0) throw new WireFormatError('format version 1 has one output; named outputs need version 2');
    return [{ name: DEFAULT_OUTPUT_NAME, layer: inRange(msg.output, 'output') }];
  }
  if (msg.outputs.length === 0) throw new WireFormatError('format version 2 lists no outputs');
  const outputs = msg.outputs.map((bytes, i) => {
    let name = '', layer = 0;
    const r = new ProtoReader(bytes);
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === MO.name) {
        r.expect(wireType, WireType.LEN, 'output name');
        name = r.string('output name');
        if (name.length > lim.maxSpecBytes) throw new WireFormatError(`output ${i} name of ${name.length} characters exceeds maxSpecBytes ${lim.maxSpecBytes}`);
      } else if (field === MO.layer) { r.expect(wireType, WireType.VARINT, 'output layer'); layer = r.uint32('output layer'); }
      else r.skip(wireType);
    }
    return { name, layer: inRange(layer, `output ${i} ${JSON.stringify(name)} is layer`) };
  });
  if (msg.output !== outputs[0]!.layer) throw new WireFormatError(`output ${msg.output} is not the first output's layer ${outputs[0]!.layer}`);
  return outputs;
}

/**
 * Version 1, or no `inputs`: one input named 'input' of `input_shape`.
 * Version 2 with `inputs`: each, checked; `input_shape` must repeat the
 * first one's shape. Names are checked again by the Model.
 */
function readInputs(msg: ModelMessage, lim: WireLimits): ModelInput[] {
  if (msg.inputs.length === 0) return [{ name: DEFAULT_INPUT_NAME, shape: msg.inputShape }];
  if (msg.version === 1) throw new WireFormatError('format version 1 has one input; named inputs need version 2');
  const inputs = msg.inputs.map((bytes, i) => {
    let name = '';
    const shape: number[] = [];
    const r = new ProtoReader(bytes);
    while (!r.done) {
      const { field, wireType } = r.tag();
      if (field === MI.name) {
        r.expect(wireType, WireType.LEN, 'input name');
        name = r.string('input name');
        if (name.length > lim.maxSpecBytes) throw new WireFormatError(`input ${i} name of ${name.length} characters exceeds maxSpecBytes ${lim.maxSpecBytes}`);
      } else if (field === MI.shape) r.repeated(wireType, shape, lim.maxRank, `input ${i} shape`);
      else r.skip(wireType);
    }
    checkShape(shape, `input ${i} ${JSON.stringify(name)} shape`, lim);
    return { name, shape };
  });
  const first = inputs[0]!.shape;
  if (first.length !== msg.inputShape.length || first.some((d, i) => d !== msg.inputShape[i])) {
    throw new WireFormatError(`input_shape [${msg.inputShape.join(', ')}] is not the first input's shape [${first.join(', ')}]`);
  }
  return inputs;
}

function readLayer(bytes: Uint8Array, index: number, inputCount: number, lim: WireLimits): Layer {
  let name = '', op = '', specJson = '';
  const inputs: number[] = [];
  const weightMsgs: Uint8Array[] = [];
  const r = new ProtoReader(bytes);
  const at = () => `layer ${index}${name ? ` '${name}'` : ''}`;
  try {
    while (!r.done) {
      const { field, wireType } = r.tag();
      switch (field) {
        case L.name: r.expect(wireType, WireType.LEN, 'name'); name = r.string('name'); break;
        case L.op: r.expect(wireType, WireType.LEN, 'op'); op = r.string('op'); break;
        case L.spec_json:
          r.expect(wireType, WireType.LEN, 'spec_json');
          specJson = r.string('spec_json');
          break;
        case L.inputs: r.repeated(wireType, inputs, bytes.length, 'inputs', true); break;
        case L.weights: r.expect(wireType, WireType.LEN, 'weights'); weightMsgs.push(r.lengthDelimited('weights')); break;
        default: r.skip(wireType);
      }
    }
    if (!isOpType(op)) getOp(op as never); // BAD_MODEL naming the known ops
    for (const src of inputs) {
      if (!(src >= -inputCount && src < index)) {
        throw new WireFormatError(`input ${src} is not ${inputCount > 1 ? `a model input (-1 to -${inputCount})` : 'the model input (-1)'} nor an earlier layer`);
      }
    }
    const spec = decodeSpec(op, specJson, lim.maxSpecBytes);
    const allowed = getOp(spec.op).weightNames;
    const weights: Record<string, Tensor> = {};
    for (const wb of weightMsgs) {
      const [wname, tensorBytes] = readNamedTensor(wb);
      if (!allowed.includes(wname)) {
        throw new WireFormatError(`weight '${wname}' is not a weight of op ${op} (it takes ${allowed.length ? allowed.join(', ') : 'no weights'})`);
      }
      if (Object.prototype.hasOwnProperty.call(weights, wname)) throw new WireFormatError(`weight '${wname}' appears twice`);
      try {
        weights[wname] = readTensor(tensorBytes, lim, 'always');
      } catch (e) {
        if (e instanceof WireFormatError) throw new WireFormatError(`weight '${wname}': ${e.message}`);
        throw e;
      }
    }
    return { index, name, spec, inputs, weights: Object.freeze(weights) };
  } catch (e) {
    if (e instanceof WireFormatError) throw new WireFormatError(`${at()}: ${e.message}`);
    if (isTesseraError(e)) throw new TesseraError(e.code, `${at()}: ${e.message}`, e.details, { cause: e });
    throw e;
  }
}

function readNamedTensor(bytes: Uint8Array): [string, Uint8Array] {
  let name = '', tensor: Uint8Array = new Uint8Array(0);
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === NT.name) { r.expect(wireType, WireType.LEN, 'weight name'); name = r.string('weight name'); }
    else if (field === NT.tensor) { r.expect(wireType, WireType.LEN, 'weight tensor'); tensor = r.lengthDelimited('weight tensor'); }
    else r.skip(wireType);
  }
  return [name, tensor];
}
