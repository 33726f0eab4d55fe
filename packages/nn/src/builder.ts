import {
  TesseraError, WINDOW_KEYS, checkBool, checkKeys, checkInt, getOp, pair, rng, weightShapes,
  type ActivationSpec, type BinaryFn, type Conv2dSpec, type Conv2dTransposeSpec, type OpSpec, type PadSpec, type Pool2dSpec, type ResizeSpec,
  type Shape, type Tensor, type Weights, type WindowSpec,
} from '@tessera/tensor';
import { heNormal, uniform } from './init.js';
import { DEFAULT_INPUT_NAME, DEFAULT_OUTPUT_NAME, Model, inputNode, type Layer, type ModelInput } from './model.js';

/** A value flowing through the graph under construction: the model input or a layer's output. */
export interface Node {
  readonly id: number;
  readonly shape: Shape;
}

export interface BuilderOptions {
  /** Seed for weights the builder creates itself (He-normal); same seed, same model. */
  seed?: number;
  /** Name of the (first) input, default 'input'; addInput adds more. */
  inputName?: string;
}

export interface Conv2dTransposeOptions extends Omit<Conv2dTransposeSpec, 'op'> {
  outChannels: number;
  /** Add a bias per output channel (default true). */
  bias?: boolean;
  name?: string;
}

export interface Conv2dOptions extends WindowSpec {
  outChannels: number;
  groups?: number;
  flip?: boolean;
  /** Add a bias per output channel (default true). */
  bias?: boolean;
  name?: string;
}

/*
 * The builder copies the fields it knows out of its option objects, so a
 * misspelt one would vanish without a word: each is checked (checkKeys).
 */
const BUILDER_KEYS = ['seed', 'inputName'];
const DEPTHWISE_KEYS: readonly string[] = [...WINDOW_KEYS, 'flip', 'bias', 'name'];
const CONV2D_KEYS: readonly string[] = [...DEPTHWISE_KEYS, 'outChannels', 'groups'];
const CONV2D_TRANSPOSE_KEYS: readonly string[] = ['kernel', 'stride', 'dilation', 'padding', 'outputPadding', 'groups', 'bias', 'name', 'outChannels'];
const BUILD_KEYS = ['id'];
const WEIGHT_BIAS = ['weight', 'bias'];
const SCALE_SHIFT = ['scale', 'shift'];

/**
 * Builds a Model layer by layer, checking shapes as it goes. Weights are passed
 * in (loaders) or drawn from the seeded initialiser (code-built models).
 *
 *   const b = new ModelBuilder('seed', [1, 3, 128, 128]);
 *   let x = b.conv2d(b.input, { outChannels: 16, kernel: 3, padding: 'same' });
 *   x = b.relu(x);
 *   const model = b.build(x);
 */
export class ModelBuilder {
  /** The first model input. */
  readonly input: Node;
  private readonly inputs: ModelInput[] = [];
  private readonly layers: Layer[] = [];
  private readonly shapes: Shape[] = [];
  private readonly rand: () => number;

  constructor(readonly name: string, inputShape: Shape, opts: BuilderOptions = {}) {
    checkKeys('ModelBuilder options', opts, BUILDER_KEYS);
    this.input = this.addInput(opts.inputName ?? DEFAULT_INPUT_NAME, inputShape);
    this.rand = rng(opts.seed ?? 1);
  }

  /** Another model input (a second image, a mask): runAll then takes one tensor per input name. */
  addInput(name: string, shape: Shape): Node {
    if (typeof name !== 'string' || name === '' || this.inputs.some((x) => x.name === name)) {
      throw new TesseraError('BAD_ARGUMENT', `model '${this.name}': input name ${JSON.stringify(name)} must be a non-empty string not used by another input`);
    }
    this.inputs.push({ name, shape: [...shape] }); // the Model checks the shape
    return { id: inputNode(this.inputs.length - 1), shape: [...shape] };
  }

  /** Number of layers added so far. */
  get size(): number {
    return this.layers.length;
  }

  /** Adds any op with explicit weights; the typed helpers below all end here. */
  layer(spec: OpSpec, inputs: readonly Node[], weights: Weights = {}, name?: string): Node {
    const index = this.layers.length;
    const layerName = name ?? `${spec.op}_${index}`;
    const def = getOp(spec.op);
    const l: Layer = { index, name: layerName, spec: Object.freeze({ ...spec }) as OpSpec, inputs: inputs.map((n) => n.id), weights: Object.freeze({ ...weights }) };
    let shape: Shape;
    try {
      shape = def.outputShape(spec, inputs.map((n) => n.shape), weightShapes(weights));
    } catch (e) {
      if (e instanceof TesseraError) throw new TesseraError(e.code, `layer ${index} '${layerName}' (${spec.op}): ${e.message}`, e.details, { cause: e });
      throw e;
    }
    this.layers.push(l);
    this.shapes.push(shape);
    return { id: index, shape };
  }

  conv2d(x: Node, o: Conv2dOptions, weights?: { weight: Tensor; bias?: Tensor | undefined }): Node {
    checkKeys('ModelBuilder.conv2d options', o, CONV2D_KEYS);
    checkBool('ModelBuilder.conv2d bias', o.bias);
    if (weights !== undefined) checkKeys('ModelBuilder.conv2d weights', weights, WEIGHT_BIAS);
    const cin = channels(x);
    const groups = o.groups ?? 1;
    checkInt('conv2d outChannels', o.outChannels, 1);
    const [kh, kw] = pair('conv2d kernel', o.kernel, 1, 1);
    const spec: Conv2dSpec = { op: 'conv2d', kernel: o.kernel, stride: o.stride, dilation: o.dilation, padding: o.padding ?? 'valid', groups, flip: o.flip };
    const w = weights ?? {
      weight: heNormal([o.outChannels, Math.max(1, Math.floor(cin / groups)), kh, kw], (cin / groups) * kh * kw, this.rand),
      bias: o.bias === false ? undefined : uniform([o.outChannels], 0.1, this.rand),
    };
    return this.layer(stripUndefined(spec), [x], { weight: w.weight, bias: w.bias }, o.name);
  }

  /** Transposed convolution (upsampling, ONNX ConvTranspose): weight [Cin, Cout/groups, kh, kw]. */
  conv2dTranspose(x: Node, o: Conv2dTransposeOptions, weights?: { weight: Tensor; bias?: Tensor | undefined }): Node {
    checkKeys('ModelBuilder.conv2dTranspose options', o, CONV2D_TRANSPOSE_KEYS);
    checkBool('ModelBuilder.conv2dTranspose bias', o.bias);
    if (weights !== undefined) checkKeys('ModelBuilder.conv2dTranspose weights', weights, WEIGHT_BIAS);
    const cin = channels(x);
    const groups = o.groups ?? 1;
    checkInt('conv2dTranspose outChannels', o.outChannels, 1);
    const [kh, kw] = pair('conv2dTranspose kernel', o.kernel, 1, 1);
    const { outChannels, bias, name, ...rest } = o;
    const spec: Conv2dTransposeSpec = { op: 'conv2dTranspose', ...rest };
    const w = weights ?? {
      weight: heNormal([cin, Math.max(1, Math.floor(outChannels / groups)), kh, kw], (cin / groups) * kh * kw, this.rand),
      bias: bias === false ? undefined : uniform([outChannels], 0.1, this.rand),
    };
    return this.layer(stripUndefined(spec), [x], { weight: w.weight, bias: w.bias }, name);
  }

  /** Depthwise 3×3-style conv: one filter per input channel. */
  depthwiseConv2d(x: Node, o: Omit<Conv2dOptions, 'outChannels' | 'groups'>, weights?: { weight: Tensor; bias?: Tensor | undefined }): Node {
    checkKeys('ModelBuilder.depthwiseConv2d options', o, DEPTHWISE_KEYS);
    const c = channels(x);
    return this.conv2d(x, { ...o, outChannels: c, groups: c }, weights);
  }

  maxPool(x: Node, o: WindowSpec, name?: string): Node { return this.pool('maxPool', x, o, name); }
  avgPool(x: Node, o: WindowSpec, name?: string): Node { return this.pool('avgPool', x, o, name); }
  l2Pool(x: Node, o: WindowSpec, name?: string): Node { return this.pool('l2Pool', x, o, name); }
  globalAvgPool(x: Node, name?: string): Node { return this.layer({ op: 'globalAvgPool' }, [x], {}, name); }
  globalMaxPool(x: Node, name?: string): Node { return this.layer({ op: 'globalMaxPool' }, [x], {}, name); }

  relu(x: Node, name?: string): Node { return this.activation({ op: 'relu' }, x, name); }
  relu6(x: Node, name?: string): Node { return this.activation({ op: 'relu6' }, x, name); }
  leakyRelu(x: Node, alpha: number, name?: string): Node { return this.activation({ op: 'leakyRelu', alpha }, x, name); }
  sigmoid(x: Node, name?: string): Node { return this.activation({ op: 'sigmoid' }, x, name); }
  tanh(x: Node, name?: string): Node { return this.activation({ op: 'tanh' }, x, name); }
  hardSigmoid(x: Node, alpha: number, beta: number, name?: string): Node { return this.activation({ op: 'hardSigmoid', alpha, beta }, x, name); }
  hardSwish(x: Node, name?: string): Node { return this.activation({ op: 'hardSwish' }, x, name); }
  /** x ≥ 0: x, below: slope·x; `slope` [C] or [1] (random around 0.25 when not given). */
  prelu(x: Node, slope?: Tensor, name?: string): Node {
    return this.layer({ op: 'prelu' }, [x], { slope: slope ?? shifted(uniform([channels(x)], 0.05, this.rand), 0.25) }, name);
  }
  activation(spec: ActivationSpec, x: Node, name?: string): Node { return this.layer(spec, [x], {}, name); }

  /** Per-channel x·scale + shift (folded batch-norm); random around 1 and 0 when not given. */
  scaleShift(x: Node, weights?: { scale: Tensor; shift?: Tensor | undefined }, name?: string): Node {
    if (weights !== undefined) checkKeys('ModelBuilder.scaleShift weights', weights, SCALE_SHIFT);
    const c = channels(x);
    const w = weights ?? { scale: shifted(uniform([c], 0.25, this.rand), 1), shift: uniform([c], 0.1, this.rand) };
    return this.layer({ op: 'scaleShift' }, [x], { scale: w.scale, shift: w.shift }, name);
  }

  add(a: Node, b: Node, name?: string): Node { return this.layer({ op: 'add' }, [a, b], {}, name); }
  /** a ∘ b (add, sub, mul, div) broadcasting along axes of size 1 (per-channel [N, C, 1, 1], scalar [1, 1, 1, 1]). */
  binary(fn: BinaryFn, a: Node, b: Node, name?: string): Node { return this.layer({ op: 'binary', fn }, [a, b], {}, name); }
  concat(xs: readonly Node[], name?: string): Node { return this.layer({ op: 'concat' }, xs, {}, name); }
  pad(x: Node, spec: Omit<PadSpec, 'op'>, name?: string): Node { return this.layer({ op: 'pad', ...spec }, [x], {}, name); }
  resize(x: Node, spec: Omit<ResizeSpec, 'op'>, name?: string): Node { return this.layer({ op: 'resize', ...spec }, [x], {}, name); }
  softmax(x: Node, name?: string): Node { return this.layer({ op: 'softmax' }, [x], {}, name); }

  /** Fully connected layer: x (flattened) · weight [K, units] + bias. */
  dense(x: Node, units: number, weights?: { weight: Tensor; bias?: Tensor | undefined }, name?: string): Node {
    checkInt('dense units', units, 1);
    if (weights !== undefined) checkKeys('ModelBuilder.dense weights', weights, WEIGHT_BIAS);
    const k = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const w = weights ?? { weight: heNormal([k, units], k, this.rand), bias: uniform([units], 0.1, this.rand) };
    return this.layer({ op: 'dense' }, [x], { weight: w.weight, bias: w.bias }, name);
  }

  /** The model with one output (`output`, default the last layer) or named outputs (`{ boxes: b, scores: s }`, in that order). */
  build(output?: Node | Readonly<Record<string, Node>>, opts: { id?: string } = {}): Model {
    checkKeys('ModelBuilder.build options', opts, BUILD_KEYS);
    if (this.layers.length === 0) throw new TesseraError('BAD_MODEL', `model '${this.name}' has no layers`);
    const named = output !== undefined && !isNode(output) ? Object.entries(output) : undefined;
    const outs = named ?? [[DEFAULT_OUTPUT_NAME, (output as Node | undefined) ?? { id: this.layers.length - 1, shape: this.shapes[this.shapes.length - 1]! }] as const];
    for (const [name, n] of outs) {
      if (!isNode(n)) throw new TesseraError('BAD_MODEL', `model '${this.name}': output ${JSON.stringify(name)} must be a node of this builder, got ${String(n)}`);
      if (n.id < 0) throw new TesseraError('BAD_MODEL', `model '${this.name}': the output must be a layer, not the input`);
    }
    return new Model(this.name, this.inputs, this.layers, named ? named.map(([name, n]) => ({ name, layer: n.id })) : outs[0]![1].id, opts.id);
  }

  private pool(op: Pool2dSpec['op'], x: Node, o: WindowSpec, name?: string): Node {
    checkKeys(`ModelBuilder.${op} options`, o, WINDOW_KEYS);
    return this.layer(stripUndefined({ op, kernel: o.kernel, stride: o.stride, dilation: o.dilation, padding: o.padding ?? 'valid' }) as Pool2dSpec, [x], {}, name);
  }
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && typeof (x as Node).id === 'number' && Array.isArray((x as Node).shape);
}

function channels(x: Node): number {
  if (x.shape.length < 2) throw new TesseraError('SHAPE_MISMATCH', `expected a feature map [N, C, ...], got shape [${x.shape.join(', ')}]`);
  return x.shape[1]!;
}

function shifted(t: Tensor, by: number): Tensor {
  for (let i = 0; i < t.data.length; i++) t.data[i] = t.data[i]! + by;
  return t;
}

/** Specs are plain data (printed, hashed, serialised): no `undefined` fields. */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
