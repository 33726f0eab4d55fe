import type { InputShapes, MemoryStep, Model } from '@tessera/nn';
import { regionVolume, sizeOf, type Region } from '@tessera/tensor';
import { layoutBuffers } from './buffers.js';
import type { TilePlan } from './plan/types.js';

/*
 * What each way PoolExecutor runs a model holds in feature maps, worked out
 * from shapes and regions before anything is allocated, for the memory
 * budget (nn's checkMemoryBudget, issue 14). The input, which the caller
 * already holds, is not counted.
 */

/** Feature-map bytes by step of a run of a model on an input of `inputShape` (one shape per input for several). */
export interface MemoryNeed {
  readonly inputShape: InputShapes;
  readonly steps: readonly MemoryStep[];
}

const planCache = new WeakMap<TilePlan, Map<number, MemoryNeed>>();

/**
 * A planned run (layer-wise or fused tiles), by stage: the shared buffers
 * allocated so far (assignBuffers) plus the partial tensors tasks hold in
 * their workers' engines, the stage's largest task on each busy worker.
 */
export function planMemory(model: Model, p: TilePlan, threads: number): MemoryNeed {
  const byThreads = planCache.get(p) ?? new Map<number, MemoryNeed>();
  planCache.set(p, byThreads);
  const hit = byThreads.get(threads);
  if (hit) return hit;
  const { allocated } = layoutBuffers(model, p);
  const steps = p.stages.map((st, i) => {
    let task = 0;
    for (const t of st.tasks) task = Math.max(task, regionBytes(t.regions.slice(0, -1)));
    return { layer: st.layers[st.layers.length - 1]!, bytes: allocated[i]! + Math.min(threads, st.tasks.length) * task };
  });
  const need = { inputShape: p.inputShapes, steps };
  byThreads.set(threads, need);
  return need;
}

/**
 * Data-parallel shares: every input's output buffers, plus, on each busy
 * worker, a run of the largest share layer by layer (model.peakMemory).
 * Shares are `parts` contiguous ranges of each input's samples.
 */
export function shareMemory(model: Model, inputShapes: readonly InputShapes[], parts: number, threads: number): MemoryNeed {
  if (inputShapes.length === 0) return { inputShape: model.inputs.map((x) => x.shape), steps: [] };
  let outputs = 0, shares = 0;
  const shareShapes = inputShapes.map((run) => {
    const shapes = model.shapes(run);
    for (const o of model.outputs) outputs += sizeOf(shapes[o.layer]!) * 4;
    const ins = model.inputShapes(run);
    const n = ins[0]![0]!, k = Math.min(parts, n);
    shares += k;
    return ins.map((s) => [Math.ceil(n / k), ...s.slice(1)]);
  });
  const largest = shareShapes.reduce((a, b) => (model.peakMemory(b).bytes > model.peakMemory(a).bytes ? b : a));
  const busy = Math.min(threads, shares);
  const steps = model.peakMemory(largest).steps.map((s) => ({ layer: s.layer, bytes: outputs + busy * s.bytes }));
  return { inputShape: largest, steps };
}

/**
 * One tile (runTile, the cluster worker's entry point): the copies of its
 * input slices, then each layer's region as it is computed (a task holds
 * them all until it ends).
 */
export function tileMemory(inputShape: InputShapes, layers: readonly number[], regions: readonly Region[], sliceBytes: number): MemoryNeed {
  let bytes = sliceBytes;
  const steps = layers.map((layer, i) => ({ layer, bytes: (bytes += regionVolume(regions[i]!) * 4) }));
  return { inputShape, steps };
}

function regionBytes(regions: readonly Region[]): number {
  let b = 0;
  for (const r of regions) b += regionVolume(r) * 4;
  return b;
}
