import { TesseraError, checkRegion, fmtRegion, regionContains, unionRegions, type Region, type Shape } from '@tessera/tensor';
import type { InputShapes, Model } from '@tessera/nn';
import { checkRegionsPerLayer, onePoint, walkTask } from './walk-back.js';

/**
 * The regions a task reads from outside its own layers, by producer (-1, -2,
 * … = the model inputs): the union of every read its layers make. A producer a layer
 * lists but reads nothing of (its input region is empty) still gets a
 * one-element region, so the kernel has a tensor to stand in for it.
 * This is what a remote tile must be sent (the cluster slices by it).
 */
export function taskReads(model: Model, inputShape: InputShapes, layers: readonly number[], regions: readonly Region[]): Map<number, Region> {
  const reads = new Map<number, { region: Region | undefined; shape: Shape }>();
  // Forward over the layers, so producers come in the order the task first reads them.
  for (const layerReads of walkTask(model, inputShape, layers, regions).reads) {
    for (const rd of layerReads) {
      if (rd.from !== undefined) continue;
      const prev = reads.get(rd.src)?.region;
      reads.set(rd.src, { region: prev && rd.region ? unionRegions(prev, rd.region) : prev ?? rd.region, shape: rd.shape });
    }
  }
  return new Map([...reads].map(([src, r]) => [src, r.region ?? onePoint(r.shape)]));
}

/**
 * Validates a task that came from elsewhere (a cluster worker does, before
 * running anything): layers are distinct known layer indices in increasing
 * order, each region lies inside its layer's output, and every region a layer
 * the output depends on reads from an earlier layer of the same task lies
 * inside what that layer computes — so no value that reaches the output is
 * read from outside a partial tensor. Layers nothing depends on get
 * placeholder regions from the planner and their values are never used.
 * BAD_ARGUMENT / BAD_REGION naming the layer otherwise.
 */
export function checkTask(model: Model, inputShape: InputShapes, layers: readonly number[], regions: readonly Region[]): void {
  const shapes = model.shapes(inputShape);
  checkRegionsPerLayer(layers, regions);
  layers.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= model.layers.length) {
      throw new TesseraError('BAD_ARGUMENT', `task layer ${l} is not a layer of model '${model.name}' (${model.layers.length} layers)`);
    }
    if (i > 0 && l <= layers[i - 1]!) {
      throw new TesseraError('BAD_ARGUMENT', `task layers must be distinct and increasing, got ${l} after ${layers[i - 1]}`);
    }
    checkRegion(regions[i]!, shapes[l]!, `task region of layer ${l} '${model.layers[l]!.name}'`);
  });
  const { live, reads } = walkTask(model, inputShape, layers, regions);
  for (let i = layers.length - 1; i >= 0; i--) {
    if (!live[i]) continue;
    for (const rd of reads[i]!) {
      if (rd.from === undefined || !rd.region || regionContains(regions[rd.from]!, rd.region)) continue;
      const layer = model.layers[layers[i]!]!;
      throw new TesseraError('BAD_REGION',
        `layer ${layers[i]} '${layer.name}' reads ${fmtRegion(rd.region)} of layer ${rd.src}, but the task computes only ${fmtRegion(regions[rd.from]!)} of it`);
    }
  }
}
