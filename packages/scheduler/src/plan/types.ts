import type { Region, Shape } from '@tessera/tensor';

/**
 * - `layer-wise`: each layer's output is cut into regions, one barrier per layer.
 * - `fused`: runs of spatially local layers are cut into tiles of their last
 *   output; one task computes the whole run for its tile (DeepThings' Fused
 *   Tile Partitioning), recomputing halo overlap instead of exchanging it.
 * - `auto`: a batch of at least as many samples as workers runs data parallel
 *   (whole samples per worker); otherwise picks per segment from the cost model.
 */
export type Strategy = 'layer-wise' | 'fused' | 'auto';

/**
 * - `layer`: one layer, its output cut into regions.
 * - `fused`: a run of layers, its last output cut into tiles grown back through the run.
 * - `data`: every layer, one contiguous share of the batch's samples per worker.
 */
export type StageKind = 'layer' | 'fused' | 'data';

/** One unit of work: compute `regions[i]` of layer `layers[i]` of its stage, in order; the last is written out. */
export interface Task {
  readonly id: number;
  readonly regions: readonly Region[];
}

/**
 * What a stage computes: all an executor needs to run it. Layers other than
 * the last live only inside a task (as partial tensors of the regions the
 * task needs); the last layer's output is materialised in shared memory.
 */
export interface StageWork {
  readonly layers: readonly number[];
  readonly tasks: readonly Task[];
}

/** What the cost model expects of a stage: how the planner chose it, and what explain prints. */
export interface StageCost {
  /** How the stage's output was cut: axis names and counts, e.g. "rows×4", "tiles 2×3" or "samples 4+4". */
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

/** A group of layers run between two barriers: its work and its cost. */
export interface Stage extends StageWork {
  readonly kind: StageKind;
  readonly cost: StageCost;
}

/** Pure data: printable with `explain`, serialisable with JSON (the cluster ships it). */
export interface TilePlan {
  readonly version: 1;
  readonly modelId: string;
  readonly modelName: string;
  /** The (first) model input's shape. */
  readonly inputShape: Shape;
  /** Every model input's shape, in input order (one entry for a one-input model). */
  readonly inputShapes: readonly Shape[];
  readonly workers: number;
  readonly strategy: Strategy;
  /** Why the plan is cut as it is (data parallel, or per segment from the cost model), for explain. */
  readonly choice: string;
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
