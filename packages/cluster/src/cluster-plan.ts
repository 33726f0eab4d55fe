import { fullRegion, sizeOf } from '@tessera/tensor';
import type { InputShapes, Model } from '@tessera/nn';
import { plan, type TilePlan } from '@tessera/scheduler';
import type { ClusterSplit } from './options.js';

/** Auto tiles one input only when each tile's estimated compute is worth at least this many protocol round trips. */
const ROUND_TRIPS_PER_TILE = 6;

/**
 * The plan of the fused `model` on `inputShape`: fused tiles for `tiles`
 * workers, or one whole-input task. `many` says the input is one of a batch
 * or stream: then auto always goes whole (the inputs themselves spread over
 * the workers, with no halo and one round trip each). For one input, auto
 * tiles only when every stage's tile still computes for ROUND_TRIPS_PER_TILE
 * times `roundTripMs` (the measured protocol round trip): coarse tiles or
 * none, never many small tasks.
 */
export function clusterPlan(model: Model, inputShape: InputShapes, tiles: number, split: ClusterSplit, many: boolean, roundTripMs: number): TilePlan {
  const tiled = plan(model, inputShape, { workers: tiles, strategy: 'fused' });
  if (split === 'tiles') return tiled;
  if (split === 'auto' && !many) {
    const tileMs = Math.min(...tiled.stages.map((st) => st.cost.estimatedMs / Math.max(1, st.tasks.length) * Math.min(st.tasks.length, tiles)));
    if (tileMs >= ROUND_TRIPS_PER_TILE * roundTripMs) return tiled;
  }
  return wholePlan(model, inputShape, tiled);
}

/** One stage, one task: every layer over its whole output (a tile plan's bookkeeping fields kept). */
function wholePlan(model: Model, inputShape: InputShapes, tiles: TilePlan): TilePlan {
  const layers = model.layers.map((l) => l.index);
  const flops = tiles.stages.reduce((a, st) => a + st.cost.flops, 0);
  return {
    ...tiles,
    choice: 'whole input per task: one round trip, no halo',
    stages: [{
      kind: 'fused', layers, tasks: [{ id: 0, regions: tiles.shapes.map((s) => fullRegion(s)) }],
      cost: {
        cut: 'whole input', flops, taskFlops: flops, bytes: 4 * (model.outputs.reduce((a, o) => a + sizeOf(tiles.shapes[o.layer]!), 0) + model.inputShapes(inputShape).reduce((a, s) => a + sizeOf(s), 0)),
        balance: 1, estimatedMs: tiles.stages.reduce((a, st) => a + st.cost.estimatedMs, 0),
      },
    }],
  };
}
