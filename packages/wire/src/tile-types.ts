import type { Region, Shape } from '@tessera/tensor';

/**
 * The cluster's messages as plain data (DESIGN.md §5). The coordinator sends
 * one TileTask per task of a TilePlan stage into the work queue; a worker
 * answers with one TileResult. Encoded by tile-task-codec.ts, tile-result-codec.ts
 * and tile-slice-codec.ts (proto/tessera_wire.proto).
 */

/** Tile protocol version; a decoder rejects any other. */
export const TILE_PROTOCOL_VERSION = 1;

/**
 * A slice of a feature map a task reads: `data` holds exactly `region` of the
 * tensor of logical shape `shape` (row-major NCHW over the region, float32),
 * i.e. the storage of `Tensor.partial(shape, region)`.
 */
export interface TileSlice {
  /** Layer index whose output this is; -1 - k = model input k. */
  readonly source: number;
  readonly shape: Shape;
  readonly region: Region;
  readonly data: Float32Array;
}

export interface TileTask {
  readonly version: number;
  /** Unique per run (a UUID); results of other runs are ignored. */
  readonly runId: string;
  /** Unique within the run; results are assembled and de-duplicated by it. */
  readonly tileId: number;
  /** Index of the plan stage the task belongs to. */
  readonly stage: number;
  /** The model, by id and content version (hex digest of its encoded bytes); never the weights. */
  readonly modelId: string;
  readonly modelVersion: string;
  /** Model input shape the plan was made for. */
  readonly inputShape: Shape;
  /** Layers computed in order (a fused run, or one layer), and the region of each. */
  readonly layers: readonly number[];
  readonly regions: readonly Region[];
  /** Every feature-map region the task reads from outside its own layers. */
  readonly inputs: readonly TileSlice[];
  /**
   * Set when the inputs were too big for one message: `inputs` is then empty
   * and the encoded slices (encodeTileSlices) are in the cluster's object
   * store under this name.
   */
  readonly inputsRef?: string;
  /** 1 on first send; the coordinator increments it when it re-sends. */
  readonly attempt: number;
  /**
   * Layers of the task, besides the last, whose regions the result carries
   * too, in task order (model outputs a whole-input task computes on its way).
   */
  readonly extraOutputs?: readonly number[];
  /** The run's numeric mode ('exact' when absent): a worker in another mode refuses the task (ENGINE_MISMATCH). */
  readonly engineMode?: 'exact' | 'fma';
  /** The shapes of the model's inputs after the first (inputShape), for a model with several inputs; slices of input k have source -1 - k. */
  readonly moreInputShapes?: readonly Shape[];
}

export interface TileTimings {
  /** Time between the worker receiving the message and starting compute. */
  readonly queueMs: number;
  readonly computeMs: number;
  /** Decode + encode on the worker. */
  readonly codecMs: number;
}

export interface TileError {
  /** A TesseraError code (e.g. BAD_MODEL, KERNEL_FAILED, BAD_ARGUMENT). */
  readonly code: string;
  readonly message: string;
}

/** Exactly one of `output`, `outputRef` and `error` is set. */
export interface TileResult {
  readonly version: number;
  readonly runId: string;
  readonly tileId: number;
  readonly workerId: string;
  readonly attempt: number;
  /** The last layer's region (= task.regions[last]) of its output. */
  readonly output?: TileSlice;
  /** Set instead of `output` when it was too big for one message: the encoded slice list is in the object store under this name. */
  readonly outputRef?: string;
  readonly error?: TileError;
  readonly timings: TileTimings;
  /** With `output`: the regions of the task's extraOutputs, in that order (with `outputRef` they follow the output in the stored slices). */
  readonly extraOutputs?: readonly TileSlice[];
  /** The engine that computed the tile (e.g. 'native avx512 exact'); absent from older workers. */
  readonly engine?: string;
}
