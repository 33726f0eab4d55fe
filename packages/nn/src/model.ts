import { randomUUID } from 'node:crypto';
import {
  TesseraError, fmtShape, getOp, isTesseraError, sizeOf, checkShape, weightShapes,
  type OpSpec, type Shape, type Tensor, type Weights,
} from '@tessera/tensor';

/** Node id of the model input (the first, when there are several) in `Layer.inputs`. */
export const INPUT = -1;

/** Node id of model input `k` in `Layer.inputs`: INPUT (-1) is the first, -2 the second, and so on. */
export function inputNode(k: number): number {
  return -1 - k;
}

/** A named model input and the shape the model was built for. */
export interface ModelInput {
  readonly name: string;
  readonly shape: Shape;
}

/** The name of the input of a model built with one input shape. */
export const DEFAULT_INPUT_NAME = 'input';

/** Input shapes of a run: one shape for a one-input model, else one per input in the model's input order. */
export type InputShapes = Shape | readonly Shape[];

export interface Layer {
  /** Position in topological order; layers only read the model input or earlier layers. */
  readonly index: number;
  readonly name: string;
  readonly spec: OpSpec;
  /** Producers of this layer's inputs: a model input (INPUT, or inputNode(k)) or an earlier layer index. */
  readonly inputs: readonly number[];
  /** Shared per output channel: one kernel and one bias per output channel (the seed's shared weights). */
  readonly weights: Weights;
  /** Names of the layers fuseLayers merged into this one (its epilogue), in order; the layer keeps the first one's name. */
  readonly merged?: readonly string[];
}

/** Feature-map bytes held while one layer runs: its output and every map still to be read (PeakMemory). */
export interface MemoryStep {
  readonly layer: number;
  readonly bytes: number;
}

/** What a run layer by layer (LocalExecutor) holds in feature maps; the model input is the caller's and not counted. */
export interface PeakMemory {
  /** Most bytes of feature maps live at once. */
  readonly bytes: number;
  /** The layer whose output is allocated at the peak. */
  readonly layer: number;
  /** Bytes live while each layer runs, in layer order. */
  readonly steps: readonly MemoryStep[];
}

/** A named model output: the layer whose feature map the caller gets back under `name`. */
export interface ModelOutput {
  readonly name: string;
  readonly layer: number;
}

/** The name of the output of a model built with a layer index (one output). */
export const DEFAULT_OUTPUT_NAME = 'output';

export interface LayerInfo {
  readonly layer: Layer;
  readonly outputShape: Shape;
  readonly params: number;
  readonly flops: number;
}

/**
 * A CNN as a DAG of layers in topological order with one input and one or
 * more named outputs (a detector's boxes and scores). Shapes are inferred per
 * input shape, so one model runs on any image size and batch its ops accept.
 */
export class Model {
  readonly id: string;
  readonly name: string;
  readonly layers: readonly Layer[];
  /** Every output, in the order executors' runAll records list them. */
  readonly outputs: readonly ModelOutput[];
  /** The first output's layer: the one output of a one-output model (what `run` returns). */
  readonly output: number;
  /** Every input, in the order runAll takes them; one-input models have one named 'input'. */
  readonly inputs: readonly ModelInput[];
  /** The (first) input's shape the model was built for (used when no other is given). */
  readonly inputShape: Shape;
  private readonly shapeCache = new Map<string, readonly Shape[]>();
  private readonly peakCache = new Map<string, PeakMemory>();
  private readonly outputLayers: ReadonlySet<number>;

  /**
   * `inputs`: one shape (an input named 'input'), or named inputs; `outputs`:
   * one layer index (an output named 'output'), or named outputs.
   */
  constructor(name: string, inputs: Shape | readonly ModelInput[], layers: readonly Layer[], outputs: number | readonly ModelOutput[] = layers.length - 1, id: string = randomUUID()) {
    this.inputs = checkInputs(name, inputs);
    if (layers.length === 0) throw new TesseraError('BAD_MODEL', `model '${name}' has no layers`);
    layers.forEach((l, i) => {
      if (l.index !== i) throw new TesseraError('BAD_MODEL', `layer '${l.name}' has index ${l.index}, expected ${i}`);
      getOp(l.spec.op);
      for (const src of l.inputs) {
        if (!(Number.isInteger(src) && src >= -this.inputs.length && src < i)) {
          throw new TesseraError('BAD_MODEL', `layer ${i} '${l.name}' reads input ${src}, which is not a model input (-1 to -${this.inputs.length}) or an earlier layer`, { layer: l.name, input: src });
        }
      }
    });
    this.outputs = checkOutputs(name, layers.length, typeof outputs === 'number' ? [{ name: DEFAULT_OUTPUT_NAME, layer: outputs }] : outputs);
    this.outputLayers = new Set(this.outputs.map((o) => o.layer));
    this.id = id;
    this.name = name;
    this.layers = Object.freeze([...layers]);
    this.output = this.outputs[0]!.layer;
    this.inputShape = this.inputs[0]!.shape;
    this.shapes(this.inputs.map((x) => x.shape));
  }

  /** The shape of every input of a run, in input order, from one shape (one-input models) or one per input. */
  inputShapes(inputShape: InputShapes = this.inputs.map((x) => x.shape)): readonly Shape[] {
    const list = Array.isArray(inputShape) && Array.isArray(inputShape[0]) ? inputShape as readonly Shape[] : [inputShape as Shape];
    if (list.length !== this.inputs.length) {
      throw new TesseraError('SHAPE_MISMATCH', `model '${this.name}' has ${this.inputs.length} inputs (${this.inputs.map((x) => `'${x.name}'`).join(', ')}), got ${list.length} input shape(s)`, { inputs: this.inputs.length });
    }
    return list;
  }

  /** Output shape of every layer for an input of `inputShape` (one per input for several); errors name the layer. */
  shapes(inputShape?: InputShapes): readonly Shape[] {
    const given = this.inputShapes(inputShape);
    const key = given.map((s) => s.join(',')).join(';');
    const hit = this.shapeCache.get(key);
    if (hit) return hit;
    given.forEach((s, k) => checkShape(s, this.inputs.length > 1 ? `input '${this.inputs[k]!.name}' of model '${this.name}'` : `input of model '${this.name}'`));
    const shapes: Shape[] = [];
    for (const l of this.layers) {
      const ins = l.inputs.map((i) => (i < 0 ? given[-1 - i]! : shapes[i]!));
      shapes.push(this.withLayer(l, () => getOp(l.spec.op).outputShape(l.spec, ins, weightShapes(l.weights))));
    }
    const frozen = Object.freeze(shapes);
    if (this.shapeCache.size > 64) this.shapeCache.clear();
    this.shapeCache.set(key, frozen);
    return frozen;
  }

  /** Whether layer `index`'s feature map is one of the model's outputs (kept to the end of a run, handed to the caller). */
  isOutput(index: number): boolean {
    return this.outputLayers.has(index);
  }

  /** The output named `name`; without a name, the one output of a one-output model. */
  outputNamed(name?: string): ModelOutput {
    if (name === undefined) {
      if (this.outputs.length === 1) return this.outputs[0]!;
      throw new TesseraError('BAD_ARGUMENT', `model '${this.name}' has ${this.outputs.length} outputs (${this.outputNames()}): name one`, { outputs: this.outputs.map((o) => o.name) });
    }
    const o = this.outputs.find((x) => x.name === name);
    if (!o) throw new TesseraError('BAD_ARGUMENT', `model '${this.name}' has no output ${JSON.stringify(name)}; its outputs are ${this.outputNames()}`, { output: name });
    return o;
  }

  /**
   * Shape of the output named `name` (or of the one output of a one-output
   * model) for an input of `inputShape`: `outputShape()`, `outputShape('boxes')`,
   * `outputShape([1, 3, 64, 64])`, `outputShape('boxes', [1, 3, 64, 64])`.
   */
  outputShape(nameOrInput?: string | InputShapes, inputShape?: InputShapes): Shape {
    const named = typeof nameOrInput === 'string';
    const o = this.outputNamed(named ? nameOrInput : undefined);
    return this.shapes(named || nameOrInput === undefined ? inputShape : nameOrInput)[o.layer]!;
  }

  /** Every output's shape by name, for an input of `inputShape`. */
  outputShapes(inputShape?: InputShapes): Record<string, Shape> {
    const shapes = this.shapes(inputShape);
    return Object.fromEntries(this.outputs.map((o) => [o.name, shapes[o.layer]!]));
  }

  private outputNames(): string {
    return this.outputs.map((o) => `'${o.name}'`).join(', ');
  }

  /**
   * Feature-map memory of a run layer by layer, as LocalExecutor (and the GPU
   * executor, and every data-parallel share) does it: a layer's output is
   * allocated while its inputs are held, and each map is released after its
   * last reader ran; every output, and any map nobody reads, stays to the end.
   * Pure arithmetic on shapes (nothing is allocated), cached per input shape,
   * so executors check it before every run.
   */
  peakMemory(inputShape?: InputShapes): PeakMemory {
    const key = this.inputShapes(inputShape).map((s) => s.join(',')).join(';');
    const hit = this.peakCache.get(key);
    if (hit) return hit;
    const shapes = this.shapes(inputShape);
    const reads = this.layers.map(() => 0);
    for (const l of this.layers) for (const src of l.inputs) if (src >= 0) reads[src]!++;
    const steps: MemoryStep[] = [];
    let live = 0, peak: MemoryStep = { layer: 0, bytes: 0 };
    for (const l of this.layers) {
      live += sizeOf(shapes[l.index]!) * 4;
      const step = { layer: l.index, bytes: live };
      steps.push(step);
      if (live > peak.bytes) peak = step;
      for (const src of l.inputs) {
        if (src >= 0 && --reads[src]! === 0 && !this.isOutput(src)) live -= sizeOf(shapes[src]!) * 4;
      }
    }
    const result = Object.freeze({ bytes: peak.bytes, layer: peak.layer, steps: Object.freeze(steps) });
    if (this.peakCache.size > 64) this.peakCache.clear();
    this.peakCache.set(key, result);
    return result;
  }

  /** Input shapes of layer `index` for a model input of `inputShape`. */
  layerInputShapes(index: number, inputShape?: InputShapes): Shape[] {
    const shapes = this.shapes(inputShape), given = this.inputShapes(inputShape);
    return this.layers[index]!.inputs.map((i) => (i < 0 ? given[-1 - i]! : shapes[i]!));
  }

  /** Which layers read the output of each layer (model inputs' consumers under keys -1, -2, …). */
  consumers(): Map<number, number[]> {
    const m = new Map<number, number[]>();
    for (const l of this.layers) for (const i of l.inputs) m.set(i, [...(m.get(i) ?? []), l.index]);
    return m;
  }

  info(inputShape?: InputShapes): LayerInfo[] {
    const shapes = this.shapes(inputShape);
    return this.layers.map((l) => ({
      layer: l,
      outputShape: shapes[l.index]!,
      params: layerParams(l),
      flops: getOp(l.spec.op).flops(l.spec, this.layerInputShapes(l.index, inputShape), shapes[l.index]!),
    }));
  }

  paramCount(): number {
    return this.layers.reduce((s, l) => s + layerParams(l), 0);
  }

  flops(inputShape?: InputShapes): number {
    return this.info(inputShape).reduce((s, i) => s + i.flops, 0);
  }

  /** A printable table: layer, op, output shape, parameters, MFLOPs. */
  summary(inputShape?: InputShapes): string {
    const rows = this.info(inputShape).map((i) => [
      `${i.layer.index}`, i.layer.name, i.layer.spec.op,
      i.layer.inputs.map((x) => (x < 0 ? this.inputs[-1 - x]!.name : `${x}`)).join('+'),
      fmtShape(i.outputShape), `${i.params}`, (i.flops / 1e6).toFixed(2),
    ]);
    const head = ['#', 'name', 'op', 'from', 'output', 'params', 'MFLOP'];
    const all = [head, ...rows];
    const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
    const lines = all.map((r) => r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
    const shapes = (i: number): Shape => this.shapes(inputShape)[i]!;
    lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
    if (this.outputs.length > 1) lines.push(`outputs: ${this.outputs.map((o) => `${o.name} = #${o.layer} ${fmtShape(shapes(o.layer))}`).join(', ')}`);
    const ins = this.inputShapes(inputShape).map((s, k) => (this.inputs.length > 1 ? `${this.inputs[k]!.name} ${fmtShape(s)}` : fmtShape(s))).join(', ');
    lines.push(`model '${this.name}': input${this.inputs.length > 1 ? 's' : ''} ${ins}, ${this.layers.length} layers, ${this.paramCount()} parameters, ${(this.flops(inputShape) / 1e9).toFixed(3)} GFLOP`);
    return lines.join('\n');
  }

  /** Runs `f`, re-throwing any TesseraError with the layer named (shape errors at build and run time). */
  withLayer<T>(l: Layer, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (isTesseraError(e)) {
        const with_ = l.merged?.length ? ` fused with ${l.merged.map((n) => `'${n}'`).join(', ')}` : '';
        throw new TesseraError(e.code, `layer ${l.index} '${l.name}' (${l.spec.op}${with_}): ${e.message}`, { ...e.details, layer: l.name, layerIndex: l.index }, { cause: e });
      }
      throw e;
    }
  }
}

/** Inputs checked and frozen: at least one, names non-empty and distinct, shapes valid. */
function checkInputs(model: string, inputs: Shape | readonly ModelInput[]): readonly ModelInput[] {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new TesseraError('BAD_MODEL', `model '${model}' needs an input shape or at least one input, got ${JSON.stringify(inputs)}`);
  if (typeof inputs[0] === 'number') {
    checkShape(inputs as Shape, 'model input shape');
    return Object.freeze([Object.freeze({ name: DEFAULT_INPUT_NAME, shape: Object.freeze([...(inputs as Shape)]) })]);
  }
  const names = new Set<string>();
  return Object.freeze((inputs as readonly ModelInput[]).map((x: unknown) => {
    const { name, shape } = (x ?? {}) as Partial<ModelInput>;
    if (typeof name !== 'string' || name === '') throw new TesseraError('BAD_MODEL', `model '${model}': an input name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (names.has(name)) throw new TesseraError('BAD_MODEL', `model '${model}' names two inputs ${JSON.stringify(name)}`, { input: name });
    names.add(name);
    checkShape(shape as Shape, `model '${model}' input '${name}' shape`);
    return Object.freeze({ name, shape: Object.freeze([...shape!]) });
  }));
}

/** Outputs checked and frozen: at least one, names non-empty and distinct, each a distinct layer index. */
function checkOutputs(model: string, layerCount: number, outputs: readonly ModelOutput[]): readonly ModelOutput[] {
  if (!Array.isArray(outputs) || outputs.length === 0) throw new TesseraError('BAD_MODEL', `model '${model}' needs at least one output, got ${String(outputs)}`);
  const names = new Set<string>(), layers = new Map<number, string>();
  return Object.freeze(outputs.map((o: unknown) => {
    const { name, layer } = (o ?? {}) as Partial<ModelOutput>;
    if (typeof name !== 'string' || name === '') throw new TesseraError('BAD_MODEL', `model '${model}': an output name must be a non-empty string, got ${JSON.stringify(name)}`);
    if (names.has(name)) throw new TesseraError('BAD_MODEL', `model '${model}' names two outputs ${JSON.stringify(name)}`, { output: name });
    if (typeof layer !== 'number' || !Number.isInteger(layer) || layer < 0 || layer >= layerCount) {
      throw new TesseraError('BAD_MODEL', `model '${model}' output ${JSON.stringify(name)} is layer ${String(layer)}, not a layer index in [0, ${layerCount})`, { output: name, layer });
    }
    const other = layers.get(layer);
    if (other !== undefined) throw new TesseraError('BAD_MODEL', `model '${model}' outputs ${JSON.stringify(other)} and ${JSON.stringify(name)} are both layer ${layer}`, { output: name, layer });
    names.add(name);
    layers.set(layer, name);
    return Object.freeze({ name, layer });
  }));
}

export function layerParams(l: Layer): number {
  let n = 0;
  for (const w of Object.values(l.weights)) if (w) n += sizeOf(w.shape);
  return n;
}

export type { Tensor };
