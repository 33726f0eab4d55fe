import type { Shape } from '@tessera/tensor';
import type { Model } from '@tessera/nn';

/** Ops whose output at a pixel depends on a bounded input window: they can be tiled spatially. */
export function isSpatiallyLocal(model: Model, layer: number, shapes: readonly Shape[]): boolean {
  const l = model.layers[layer]!;
  if (shapes[layer]!.length !== 4) return false;
  const op = l.spec.op;
  return op !== 'globalAvgPool' && op !== 'globalMaxPool' && op !== 'dense';
}

/**
 * Cuts the layer list into runs that may be fused: consecutive spatially local
 * layers [i..j] where every layer but the last is read only inside the run
 * (so intermediates never need to exist outside a task). Greedy, longest
 * closed run first; other layers form runs of one.
 */
export function fusableRuns(model: Model, shapes: readonly Shape[], maxLayers: number): number[][] {
  const n = model.layers.length;
  const closed = closedRunTest(model);
  const runs: number[][] = [];
  let i = 0;
  while (i < n) {
    if (!isSpatiallyLocal(model, i, shapes)) {
      runs.push([i]);
      i++;
      continue;
    }
    let best = i;
    for (let j = i + 1; j < n && j - i < maxLayers && isSpatiallyLocal(model, j, shapes); j++) {
      if (closed(i, j)) best = j;
    }
    runs.push(Array.from({ length: best - i + 1 }, (_, k) => i + k));
    i = best + 1;
  }
  return runs;
}

/** A test of whether layers [i..j] may form one fused stage: no layer but j is read after j (or is a model output). */
export function closedRunTest(model: Model): (i: number, j: number) => boolean {
  const consumers = model.consumers();
  return (i, j) => {
    for (let k = i; k < j; k++) {
      if (model.isOutput(k)) return false;
      if ((consumers.get(k) ?? []).some((c) => c > j)) return false;
    }
    return true;
  };
}
