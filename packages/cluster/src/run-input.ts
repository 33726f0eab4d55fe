import { inputNode, type Model } from '@tessera/nn';
import { Tensor, copyRegion, fullRegion, regionVolume, regionsEqual, type Region, type Shape } from '@tessera/tensor';
import { taskReads, type TilePlan } from '@tessera/scheduler';
import type { TileSlice } from './codec.js';
import type { RunSession } from './run-session.js';

/**
 * Runs one input (a tensor per model input) of the fused `model` through `session`, stage by stage:
 * each task carries exactly the input rectangles it reads; the stage's
 * output is assembled from the results and the next stage's inputs are
 * sliced from it. Model outputs a stage computes before its last layer (a
 * whole-input task of a model with several outputs) come back with the
 * task's result (TileTask.extraOutputs). Returns every model output, in the
 * model's order, bit-identical to LocalExecutor: same kernels, same regions.
 */
export async function runInput(session: RunSession, model: Model, p: TilePlan, version: string, inputs: readonly Tensor[]): Promise<Tensor[]> {
  // Model input k is producer -1 - k.
  const maps = new Map<number, Tensor>(inputs.map((x, k) => [inputNode(k), x]));
  const moreInputShapes = p.inputShapes.slice(1);
  for (const [s, stage] of p.stages.entries()) {
    const last = stage.layers[stage.layers.length - 1]!;
    const extraOutputs = stage.layers.slice(0, -1).filter((l) => model.isOutput(l));
    const kept = [last, ...extraOutputs];
    const base = session.tileIds(stage.tasks.length);
    const results = stage.tasks.map((t) => {
      const slices: TileSlice[] = [...taskReads(model, p.inputShapes, stage.layers, t.regions)].map(([src, read]) => sliceOf(src, maps.get(src)!, read));
      const r = session.submit(base + t.id, {
        stage: s, modelId: model.id, modelVersion: version, inputShape: p.inputShape, layers: stage.layers, regions: t.regions, inputs: slices,
        ...(extraOutputs.length ? { extraOutputs } : {}), ...(moreInputShapes.length ? { moreInputShapes } : {}),
      }, kept.map((l) => ({ source: l, shape: p.shapes[l]!, region: t.regions[stage.layers.indexOf(l)]! })));
      r.catch(() => undefined); // awaited together below; a failure of one must not go unhandled
      return r;
    });
    const done = await Promise.all(results);
    kept.forEach((l, i) => maps.set(l, assemble(p.shapes[l]!, done.map((slices) => slices[i]!))));
    // Drop maps no later stage reads (the outputs stay).
    for (const k of [...maps.keys()]) {
      if (!model.isOutput(k) && !p.stages.slice(s + 1).some((st) => st.layers.some((l) => model.layers[l]!.inputs.includes(k)))) maps.delete(k);
    }
  }
  return model.outputs.map((o) => maps.get(o.layer)!);
}

/**
 * What a task carries of map `src`: the rectangle it reads, copied once
 * (row by row); or, when that is nearly all of a contiguous map (a VALID conv
 * skipping the last row of a whole input), the map itself, not copied — the
 * worker accepts any slice that covers what it reads.
 */
function sliceOf(src: number, map: Tensor, read: Region): TileSlice {
  const whole = fullRegion(map.shape);
  if (map.isContiguous && regionVolume(read) >= NEARLY_ALL * map.size) return { source: src, shape: map.shape, region: whole, data: map.toFloat32Array() };
  const part = Tensor.partial(map.shape, read);
  copyRegion(map, part, read);
  return { source: src, shape: map.shape, region: read, data: part.data };
}

/** A read at least this share of its map goes as the whole map (a few more bytes on the wire, no copy). */
const NEARLY_ALL = 0.9;

/** A stage's output from its tasks' slices; one slice of the whole map (a whole-input task) is used as it is, not copied. */
function assemble(shape: Shape, slices: readonly TileSlice[]): Tensor {
  const one = slices[0]!;
  if (slices.length === 1 && regionsEqual(one.region, fullRegion(shape))) return Tensor.wrap(one.data.buffer, shape, one.data.byteOffset);
  const out = Tensor.zeros(shape);
  for (const s of slices) copyRegion(Tensor.partial(shape, s.region, s.data), out, s.region);
  return out;
}
