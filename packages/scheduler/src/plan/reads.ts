import {
  TesseraError, checkRegion, fmtRegion, fullRegion, getOp, isEmptyRegion, regionContains, unionRegions,
  type Region, type Shape,
} from '@tessera/tensor';
import { INPUT, type Model } from '@tessera/nn';

/**
 * The regions a task reads from outside its own layers, by producer (-1 = the
 * model input): the union of every read its layers make. A producer a layer
 * lists but reads nothing of (its input region is empty) still gets a
 * one-element region, so the kernel has a tensor to stand in for it.
 * This is what a remote tile must be sent (the cluster slices by it).
 */
export function taskReads(model: Model, inputShape: Shape, layers: readonly number[], regions: readonly Region[]): Map<number, Region> {
  const shapes = model.shapes(inputShape);
  const inside = new Set(layers);
  const reads = new Map<number, Region>();
  layers.forEach((l, i) => {
    const layer = model.layers[l]!;
    const ins = model.layerInputShapes(l, inputShape);
    layer.inputs.forEach((src, idx) => {
      if (src !== INPUT && inside.has(src)) return;
      const ir = getOp(layer.spec.op).inputRegion(layer.spec, regions[i]!, ins, shapes[l]!, idx);
      const prev = reads.get(src);
      if (!ir || isEmptyRegion(ir)) {
        if (!prev) reads.set(src, { ...fullRegion(ins[idx]!), n1: 1, c1: 1, y1: 1, x1: 1 });
        return;
      }
      reads.set(src, prev ? unionRegions(prev, ir) : ir);
    });
  });
  return reads;
}

/**
 * Validates a task that came from elsewhere (a cluster worker does, before
 * running anything): layers are distinct known layer indices in increasing
 * order, each region lies inside its layer's output, and every region a layer
 * the output depends on reads from an earlier layer of the same task lies
 * inside what that layer computes — so no value that reaches the output is
 * read from outside a partial tensor.
 * BAD_ARGUMENT / BAD_REGION naming the layer otherwise.
 */
export function checkTask(model: Model, inputShape: Shape, layers: readonly number[], regions: readonly Region[]): void {
  const shapes = model.shapes(inputShape);
  if (layers.length === 0 || layers.length !== regions.length) {
    throw new TesseraError('BAD_ARGUMENT', `a task needs one region per layer, got ${layers.length} layer(s) and ${regions.length} region(s)`);
  }
  const pos = new Map<number, number>();
  layers.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= model.layers.length) {
      throw new TesseraError('BAD_ARGUMENT', `task layer ${l} is not a layer of model '${model.name}' (${model.layers.length} layers)`);
    }
    if (i > 0 && l <= layers[i - 1]!) {
      throw new TesseraError('BAD_ARGUMENT', `task layers must be distinct and increasing, got ${l} after ${layers[i - 1]}`);
    }
    checkRegion(regions[i]!, shapes[l]!, `task region of layer ${l} '${model.layers[l]!.name}'`);
    pos.set(l, i);
  });
  // Walk back from the last layer: a layer matters if a layer that matters reads it. Those reads
  // must lie inside what the task computes; layers nothing depends on get placeholder regions
  // from the planner (growBack) and their values are never used.
  const live = new Set<number>([layers[layers.length - 1]!]);
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i]!;
    if (!live.has(l)) continue;
    const layer = model.layers[l]!;
    const ins = model.layerInputShapes(l, inputShape);
    layer.inputs.forEach((src, idx) => {
      const at = src === INPUT ? undefined : pos.get(src);
      if (at === undefined) return;
      const ir = getOp(layer.spec.op).inputRegion(layer.spec, regions[i]!, ins, shapes[l]!, idx);
      if (!ir || isEmptyRegion(ir)) return;
      if (!regionContains(regions[at]!, ir)) {
        throw new TesseraError('BAD_REGION',
          `layer ${l} '${layer.name}' reads ${fmtRegion(ir)} of layer ${src}, but the task computes only ${fmtRegion(regions[at]!)} of it`);
      }
      live.add(src);
    });
  }
}
