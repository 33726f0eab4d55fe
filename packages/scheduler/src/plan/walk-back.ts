import { TesseraError, fullRegion, getOp, isEmptyRegion, unionRegions, type Region, type Shape } from '@tessera/tensor';
import type { InputShapes, Model } from '@tessera/nn';

/** One input of one layer of a task, and the part of it that layer reads. */
export interface Read {
  /** The producer: a layer index, or a model input (INPUT = -1, -2, …). */
  readonly src: number;
  /** Position of `src` in the task's layers; undefined when the task reads it from outside (a shared map, the model input). */
  readonly from: number | undefined;
  /** The region read; undefined when the layer reads nothing of this input for its region. */
  readonly region: Region | undefined;
  /** Shape of the input (to stand in a one-element region where nothing is read). */
  readonly shape: Shape;
}

/** What the backward walk learns of a task. All arrays are indexed by position in the task's layers. */
export interface TaskWalk {
  /** The region each layer computes. */
  readonly regions: readonly Region[];
  /** Whether the last layer's output depends on the layer (through reads of non-empty regions). */
  readonly live: readonly boolean[];
  /** Per layer, one Read per entry of its `inputs`, in that order. */
  readonly reads: readonly (readonly Read[])[];
}

/**
 * The backward walk over a task with every region given (a task to check, to
 * price or to send): what each layer reads, and which layers matter.
 */
export function walkTask(model: Model, inputShape: InputShapes, layers: readonly number[], regions: readonly Region[]): TaskWalk {
  checkRegionsPerLayer(layers, regions);
  return walk(model, inputShape, layers, (i) => regions[i]!);
}

/**
 * The backward walk growing a tile of the last layer back through `layers`
 * (Fused Tile Partitioning): each layer computes the union of what the live
 * layers after it read of it. A layer no tile pixel depends on still needs a
 * tensor to stand in: it gets a one-element region.
 */
export function growTask(model: Model, inputShape: InputShapes, layers: readonly number[], tile: Region): TaskWalk {
  const shapes = model.shapes(inputShape);
  return walk(model, inputShape, layers, (i, need) => (i === layers.length - 1 ? tile : need ?? onePoint(shapes[layers[i]!]!)));
}

/** The one region count check of a task: one region per layer, at least one layer. */
export function checkRegionsPerLayer(layers: readonly number[], regions: readonly Region[]): void {
  if (layers.length === 0 || layers.length !== regions.length) {
    throw new TesseraError('BAD_ARGUMENT', `a task needs one region per layer, got ${layers.length} layer(s) and ${regions.length} region(s)`);
  }
}

/** A region of one element at the origin of `shape`: what stands in for a map nothing is read of. */
export function onePoint(shape: Shape): Region {
  return { ...fullRegion(shape), n1: 1, c1: 1, y1: 1, x1: 1 };
}

/**
 * Last layer first, since a layer's region is known only once every later
 * layer has said what it reads of it (layers are in topological order).
 * `regionAt(i, need)` gives the region of position i from `need`, the union
 * of the live reads of it so far (undefined when there are none).
 */
function walk(model: Model, inputShape: InputShapes, layers: readonly number[], regionAt: (i: number, need: Region | undefined) => Region): TaskWalk {
  const shapes = model.shapes(inputShape);
  const pos = new Map(layers.map((l, i) => [l, i]));
  const n = layers.length;
  const need = new Array<Region | undefined>(n);
  const live = new Array<boolean>(n).fill(false);
  const regions = new Array<Region>(n);
  const reads = new Array<Read[]>(n);
  live[n - 1] = true;
  for (let i = n - 1; i >= 0; i--) {
    const l = layers[i]!;
    const layer = model.layers[l]!;
    const r = (regions[i] = regionAt(i, need[i]));
    const ins = model.layerInputShapes(l, inputShape);
    reads[i] = layer.inputs.map((src, idx) => {
      const from = src < 0 ? undefined : pos.get(src);
      const ir = getOp(layer.spec.op).inputRegion(layer.spec, r, ins, shapes[l]!, idx);
      const region = ir && !isEmptyRegion(ir) ? ir : undefined;
      if (live[i] && from !== undefined && region) {
        live[from] = true;
        need[from] = need[from] ? unionRegions(need[from], region) : region;
      }
      return { src, from, region, shape: ins[idx]! };
    });
  }
  return { regions, live, reads };
}
