import type { Region, Shape } from '@tessera/tensor';

/**
 * - `layer-wise`: each layer's output is cut into regions, one barrier per layer.
 * - `fused`: runs of spatially local layers are cut into tiles of their last
 *   output; one task computes the whole run for its tile (DeepThings' Fused
 *   Tile Partitioning), recomputing halo overlap instead of exchanging it.
 * - `auto`: picks per segment from the cost model.
 */
export type Strategy = 'layer-wise' | 'fused' | 'auto';

/** One unit of work: compute `regions[i]` of layer `stage.layers[i]`, in order; the last is written out. */
export interface Task {
  readonly id: number;
  readonly regions: readonly Region[];
}

/**
 * A group of layers run between two barriers. Layers other than the last live
 * only inside a task (as partial tensors of the regions the task needs); the
 * last layer's output is materialised in shared memory.
 */
export interface Stage {
  readonly kind: 'layer' | 'fused';
  readonly layers: readonly number[];
  readonly tasks: readonly Task[];
  /** How the stage's output was cut: axis names and counts, e.g. "rows×4" or "tiles 2×3". */
  readonly cut: string;
  /** FLOPs of the stage if every layer were computed once. */
  readonly flops: number;
  /** FLOPs the tasks really do (halo recomputation included). */
  readonly taskFlops: number;
  /** Bytes the tasks read and write (inputs they read, every region they compute). */
  readonly bytes: number;
  /** Expected balance: FLOPs of the busiest worker over the mean, with tasks dealt in order. */
  readonly balance: number;
  /** What the cost model expects the stage to take, in milliseconds. */
  readonly estimatedMs: number;
}

/** Pure data: printable with `explain`, serialisable with JSON (the cluster ships it). */
export interface TilePlan {
  readonly version: 1;
  readonly modelId: string;
  readonly modelName: string;
  readonly inputShape: Shape;
  readonly workers: number;
  readonly strategy: Strategy;
  /** Output shape and name of every layer. */
  readonly shapes: readonly Shape[];
  readonly layerNames: readonly string[];
  readonly stages: readonly Stage[];
  /** Per-task and per-stage overheads the plan assumed, in microseconds. */
  readonly taskOverheadUs: number;
  readonly stageOverheadUs: number;
}

export interface PlanOptions {
  workers: number;
  strategy?: Strategy;
  /** Layer-wise: aim for this many regions per worker, for load balance (default 3). */
  tasksPerWorker?: number;
  /** Cost of one task inside a stage: claiming it and allocating its partial tensors (default 20 µs). */
  taskOverheadUs?: number;
  /** Cost of one stage: a round trip to every worker and the barrier (default 300 µs); the pool measures it. */
  stageOverheadUs?: number;
  /** Compute speed the cost model assumes per worker, in GFLOP/s (default 30: the kernel engine's convolutions run at 20–40 on one core). */
  gflopsPerWorker?: number;
  /** Fused runs longer than this are cut (default 12 layers). */
  maxFusedLayers?: number;
}
