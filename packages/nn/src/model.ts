import { randomUUID } from 'node:crypto';
import {
  TesseraError, fmtShape, getOp, isTesseraError, sizeOf, checkShape, weightShapes,
  type OpSpec, type Shape, type Tensor, type Weights,
} from '@tessera/tensor';

/** Node id of the model input in `Layer.inputs`. */
export const INPUT = -1;

export interface Layer {
  /** Position in topological order; layers only read the model input or earlier layers. */
  readonly index: number;
  readonly name: string;
  readonly spec: OpSpec;
  /** Producers of this layer's inputs: `INPUT` or an earlier layer index. */
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

export interface LayerInfo {
  readonly layer: Layer;
  readonly outputShape: Shape;
  readonly params: number;
  readonly flops: number;
}

/**
 * A CNN as a DAG of layers in topological order with one input and one output.
 * Shapes are inferred per input shape, so one model runs on any image size
 * and batch its ops accept.
 */
export class Model {
  readonly id: string;
  readonly name: string;
  readonly layers: readonly Layer[];
  readonly output: number;
  /** The input shape the model was built for (used when no other is given). */
  readonly inputShape: Shape;
  private readonly shapeCache = new Map<string, readonly Shape[]>();
  private readonly peakCache = new Map<string, PeakMemory>();

  constructor(name: string, inputShape: Shape, layers: readonly Layer[], output = layers.length - 1, id: string = randomUUID()) {
    checkShape(inputShape, 'model input shape');
    if (layers.length === 0) throw new TesseraError('BAD_MODEL', `model '${name}' has no layers`);
    layers.forEach((l, i) => {
      if (l.index !== i) throw new TesseraError('BAD_MODEL', `layer '${l.name}' has index ${l.index}, expected ${i}`);
      getOp(l.spec.op);
      for (const src of l.inputs) {
        if (src !== INPUT && !(Number.isInteger(src) && src >= 0 && src < i)) {
          throw new TesseraError('BAD_MODEL', `layer ${i} '${l.name}' reads input ${src}, which is not the model input or an earlier layer`, { layer: l.name, input: src });
        }
      }
    });
    if (!Number.isInteger(output) || output < 0 || output >= layers.length) {
      throw new TesseraError('BAD_MODEL', `model '${name}' output ${output} is not a layer index in [0, ${layers.length})`);
    }
    this.id = id;
    this.name = name;
    this.layers = Object.freeze([...layers]);
    this.output = output;
    this.inputShape = Object.freeze([...inputShape]);
    this.shapes(inputShape);
  }

  /** Output shape of every layer for an input of `inputShape`; errors name the layer. */
  shapes(inputShape: Shape = this.inputShape): readonly Shape[] {
    const key = inputShape.join(',');
    const hit = this.shapeCache.get(key);
    if (hit) return hit;
    checkShape(inputShape, `input of model '${this.name}'`);
    const shapes: Shape[] = [];
    for (const l of this.layers) {
      const ins = l.inputs.map((i) => (i === INPUT ? inputShape : shapes[i]!));
      shapes.push(this.withLayer(l, () => getOp(l.spec.op).outputShape(l.spec, ins, weightShapes(l.weights))));
    }
    const frozen = Object.freeze(shapes);
    if (this.shapeCache.size > 64) this.shapeCache.clear();
    this.shapeCache.set(key, frozen);
    return frozen;
  }

  outputShape(inputShape: Shape = this.inputShape): Shape {
    return this.shapes(inputShape)[this.output]!;
  }

  /**
   * Feature-map memory of a run layer by layer, as LocalExecutor (and the GPU
   * executor, and every data-parallel share) does it: a layer's output is
   * allocated while its inputs are held, and each map is released after its
   * last reader ran; the output, and any map nobody reads, stays to the end.
   * Pure arithmetic on shapes (nothing is allocated), cached per input shape,
   * so executors check it before every run.
   */
  peakMemory(inputShape: Shape = this.inputShape): PeakMemory {
    const key = inputShape.join(',');
    const hit = this.peakCache.get(key);
    if (hit) return hit;
    const shapes = this.shapes(inputShape);
    const reads = this.layers.map(() => 0);
    for (const l of this.layers) for (const src of l.inputs) if (src !== INPUT) reads[src]!++;
    const steps: MemoryStep[] = [];
    let live = 0, peak: MemoryStep = { layer: 0, bytes: 0 };
    for (const l of this.layers) {
      live += sizeOf(shapes[l.index]!) * 4;
      const step = { layer: l.index, bytes: live };
      steps.push(step);
      if (live > peak.bytes) peak = step;
      for (const src of l.inputs) {
        if (src !== INPUT && --reads[src]! === 0 && src !== this.output) live -= sizeOf(shapes[src]!) * 4;
      }
    }
    const result = Object.freeze({ bytes: peak.bytes, layer: peak.layer, steps: Object.freeze(steps) });
    if (this.peakCache.size > 64) this.peakCache.clear();
    this.peakCache.set(key, result);
    return result;
  }

  /** Input shapes of layer `index` for a model input of `inputShape`. */
  layerInputShapes(index: number, inputShape: Shape = this.inputShape): Shape[] {
    const shapes = this.shapes(inputShape);
    return this.layers[index]!.inputs.map((i) => (i === INPUT ? inputShape : shapes[i]!));
  }

  /** Which layers read the output of each layer (INPUT's consumers under key -1). */
  consumers(): Map<number, number[]> {
    const m = new Map<number, number[]>();
    for (const l of this.layers) for (const i of l.inputs) m.set(i, [...(m.get(i) ?? []), l.index]);
    return m;
  }

  info(inputShape: Shape = this.inputShape): LayerInfo[] {
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

  flops(inputShape: Shape = this.inputShape): number {
    return this.info(inputShape).reduce((s, i) => s + i.flops, 0);
  }

  /** A printable table: layer, op, output shape, parameters, MFLOPs. */
  summary(inputShape: Shape = this.inputShape): string {
    const rows = this.info(inputShape).map((i) => [
      `${i.layer.index}`, i.layer.name, i.layer.spec.op,
      i.layer.inputs.map((x) => (x === INPUT ? 'input' : `${x}`)).join('+'),
      fmtShape(i.outputShape), `${i.params}`, (i.flops / 1e6).toFixed(2),
    ]);
    const head = ['#', 'name', 'op', 'from', 'output', 'params', 'MFLOP'];
    const all = [head, ...rows];
    const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
    const lines = all.map((r) => r.map((v, c) => v.padEnd(widths[c]!)).join('  '));
    lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
    lines.push(`model '${this.name}': input ${fmtShape(inputShape)}, ${this.layers.length} layers, ${this.paramCount()} parameters, ${(this.flops(inputShape) / 1e9).toFixed(3)} GFLOP`);
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

export function layerParams(l: Layer): number {
  let n = 0;
  for (const w of Object.values(l.weights)) if (w) n += sizeOf(w.shape);
  return n;
}

export type { Tensor };
