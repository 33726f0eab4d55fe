import type { ErrorCode, OpSpec, Region, Shape } from '@tessera/tensor';
import type { InputShapes } from '@tessera/nn';

/** A weight as it crosses threads: shape + shared memory (sent once per worker, never copied). */
export interface SharedWeight {
  readonly shape: Shape;
  readonly buffer: SharedArrayBuffer;
}

/** A model as it crosses threads: specs are plain data, weights live in SharedArrayBuffers. */
export interface ModelPayload {
  readonly id: string;
  readonly name: string;
  /** Model.inputs. */
  readonly inputs: readonly { readonly name: string; readonly shape: Shape }[];
  /** Model.outputs. */
  readonly outputs: readonly { readonly name: string; readonly layer: number }[];
  readonly layers: readonly {
    readonly name: string;
    readonly spec: OpSpec;
    readonly inputs: readonly number[];
    readonly weights: Readonly<Record<string, SharedWeight>>;
    /** Layer.merged: names fuseLayers merged into this layer (for error messages). */
    readonly merged?: readonly string[];
  }[];
}

/**
 * A feature map in shared memory; `shape` may use only the front of `buffer`
 * (buffers are reused across layers). With `region` set, the buffer holds just
 * that region of `shape` (a `Tensor.partial`): how a single tile arriving from
 * elsewhere (the cluster) carries only the input rectangle it reads.
 */
export interface SharedMap {
  readonly buffer: SharedArrayBuffer;
  /** Where the map starts in `buffer` (default 0): a caller's tensor in the kernel engine's shared memory is used in place. */
  readonly byteOffset?: number;
  readonly shape: Shape;
  readonly region?: Region;
}

/** Test-only fault injection: make this task kill its worker or throw inside a kernel. */
export type Fault = 'exit' | 'throw';

/** Slots of a stage's control block (an Int32Array over shared memory). */
export const CONTROL = { next: 0, abort: 1, states: 2 } as const;
/** Task states in the control block. */
export const TASK_OPEN = 0, TASK_CLAIMED = 1, TASK_DONE = 2;

/**
 * One message per worker per stage round: the worker claims task ids from
 * `order` through an atomic counter until none are left, so a stage costs one
 * round trip per worker however many tasks it has (thread wake-ups are the
 * dominant per-task cost; FACTS.md). Claim and done states live in `control`,
 * so the coordinator knows exactly which tasks a dead worker took with it.
 */
export interface StageMessage {
  readonly kind: 'stage';
  readonly modelId: string;
  /** One shape per model input. */
  readonly inputShape: InputShapes;
  readonly layers: readonly number[];
  /** Regions per task id: one per stage layer, the last is written to the output map. */
  readonly tasks: readonly (readonly Region[])[];
  /** Task ids to run this round (all of them, or the ones a dead worker lost). */
  readonly order: readonly number[];
  /** Int32Array: [next index into order, abort flag, state per task id...]. */
  readonly control: SharedArrayBuffer;
  /** Maps read from outside the stage (by producer: -1 is the model input) and the stage's output (by its last layer). */
  readonly maps: Readonly<Record<number, SharedMap>>;
  /** Testing aid: faults to trigger when a given task id is claimed. */
  readonly faults?: Readonly<Record<number, Fault>>;
}

/** One stage of a plan as a worker runs it: like a StageMessage's, with the tasks in id order. */
export interface PlanStage {
  readonly layers: readonly number[];
  readonly tasks: readonly (readonly Region[])[];
  readonly maps: Readonly<Record<number, SharedMap>>;
  readonly faults?: Readonly<Record<number, Fault>>;
}

/**
 * What every run of one plan shares: its stages (layers, task regions) and,
 * per stage, which slot of a run's buffers each map it reads or writes is
 * in. Encoded once per plan as JSON in shared memory, decoded once per
 * worker (cached by key): a plan's stages cloned into every run's message
 * cost the coordinator about a millisecond per worker on a detector's
 * plan, and each worker as much again.
 */
export interface PlanLayoutSpec {
  readonly stages: readonly {
    readonly layers: readonly number[];
    readonly tasks: readonly (readonly Region[])[];
    /** Producer (layer, or -1 - k for model input k) → slot. */
    readonly maps: Readonly<Record<number, number>>;
  }[];
  /** Per slot: the producer whose feature map it holds. */
  readonly slots: readonly number[];
}

/** A plan's layout as it crosses threads: a key and the JSON of its PlanLayoutSpec in shared memory (a handle, not a copy). */
export interface PlanLayout {
  readonly key: string;
  readonly json: SharedArrayBuffer;
}

/**
 * A whole tiled run in one message per worker, run as a dataflow: workers
 * claim tasks in one global order (stage by stage) through the control
 * block, and each task first waits (Atomics.wait) for the tasks it depends
 * on (`deps`: what it reads, and the readers of a buffer it overwrites),
 * not for its whole previous stage, and never for a round trip to the
 * coordinator. A task depends only on tasks claimed before it, and a task
 * is claimed only by a worker about to run it, so a worker busy elsewhere
 * never holds the others up: it joins late or not at all.
 */
export interface PlanMessage {
  readonly kind: 'plan';
  readonly modelId: string;
  /** One shape per model input. */
  readonly inputShape: InputShapes;
  readonly layout: PlanLayout;
  /** This run's buffer for each slot of the layout, and where the slot's map starts in it. */
  readonly buffers: readonly SharedArrayBuffer[];
  readonly byteOffsets: readonly number[];
  /** Testing aid: per stage, faults to trigger when a given task id is claimed. */
  readonly faults?: readonly (Readonly<Record<number, Fault>> | undefined)[];
  /** Per global task id (stage by stage), the global ids it waits for: an Int32Array laid out by dependencyTable. */
  readonly deps: SharedArrayBuffer;
  /** Int32Array laid out by planSlots. */
  readonly control: SharedArrayBuffer;
}

/** A worker's part of a PlanMessage: tasks it finished, or whether it stopped early (abort, a failed task, a dead worker). */
export type PlanReply =
  | { readonly ok: true; readonly done: number; readonly stopped?: true; readonly ms: number }
  | { readonly ok: false; readonly error: TaskError };

/** Slots of a PlanMessage's control block: the abort flag, the global claim counter, a done counter per stage, a state per task (global id). */
export function planSlots(taskCounts: readonly number[]): { size: number; abort: number; next: number; done(s: number): number; state(g: number): number } {
  const stages = taskCounts.length;
  const tasks = taskCounts.reduce((a, b) => a + b, 0);
  return { size: 2 + stages + tasks, abort: 0, next: 1, done: (s) => 2 + s, state: (g) => 2 + stages + g };
}

/**
 * Data parallel: samples [n0, n1) of `input` through the whole model on one
 * worker (the same samples of each of `inputs`, one per model input), into the same samples of each of `outputs` (one per model output, in
 * the model's output order). The worker runs them with its
 * LocalExecutor, so intermediates live in its kernel engine's memory and no
 * halo, barrier or per-layer message is paid.
 */
export interface WholeMessage {
  readonly kind: 'whole';
  readonly modelId: string;
  readonly inputs: readonly SharedMap[];
  readonly outputs: readonly SharedMap[];
  readonly n0: number;
  readonly n1: number;
  /** Testing aid. */
  readonly fault?: Fault;
}

export type WholeReply =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly error: TaskError };

export interface PingMessage {
  readonly kind: 'ping';
}

/**
 * `stages` stages of `tasks` tasks each, walked as a PlanMessage is, every
 * task a busy wait of `spinUs` (long enough that every worker takes part):
 * the cost of a stage barrier between workers.
 */
export interface BarrierProbeMessage {
  readonly kind: 'barriers';
  readonly stages: number;
  readonly tasks: number;
  readonly spinUs: number;
  readonly control: SharedArrayBuffer;
}

export interface TaskError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly layer: number;
  readonly region: Region | null;
}

export type StageReply =
  | { readonly ok: true; readonly done: number; readonly ms: number }
  | { readonly ok: false; readonly error: TaskError };

/**
 * Models travel on a BroadcastChannel private to one pool: a worker that
 * lacks a model asks once, the coordinator answers once for every thread.
 */
export type ModelChannelMessage =
  | { readonly kind: 'need'; readonly modelId: string }
  | { readonly kind: 'model'; readonly payload: ModelPayload }
  | { readonly kind: 'unknown'; readonly modelId: string };

export function modelChannelName(poolId: string): string {
  return `tessera-models-${poolId}`;
}
