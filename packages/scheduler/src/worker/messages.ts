import type { ErrorCode, OpSpec, Region, Shape } from '@tessera/tensor';

/** A weight as it crosses threads: shape + shared memory (sent once per worker, never copied). */
export interface SharedWeight {
  readonly shape: Shape;
  readonly buffer: SharedArrayBuffer;
}

/** A model as it crosses threads: specs are plain data, weights live in SharedArrayBuffers. */
export interface ModelPayload {
  readonly id: string;
  readonly name: string;
  readonly inputShape: Shape;
  readonly output: number;
  readonly layers: readonly {
    readonly name: string;
    readonly spec: OpSpec;
    readonly inputs: readonly number[];
    readonly weights: Readonly<Record<string, SharedWeight>>;
  }[];
}

/** A feature map in shared memory; `shape` may use only the front of `buffer` (buffers are reused across layers). */
export interface SharedMap {
  readonly buffer: SharedArrayBuffer;
  readonly shape: Shape;
}

/** Test-only fault injection: make this task kill its worker or throw inside a kernel. */
export type Fault = 'exit' | 'throw';

export interface TaskMessage {
  readonly kind: 'task';
  readonly modelId: string;
  /** Attached only after a worker replied that it lacks the model. */
  readonly model?: ModelPayload;
  readonly inputShape: Shape;
  readonly layers: readonly number[];
  readonly regions: readonly Region[];
  /** Maps read from outside the stage (by producer: -1 is the model input) and the stage's output (by its last layer). */
  readonly maps: Readonly<Record<number, SharedMap>>;
  readonly fault?: Fault;
}

export interface PingMessage {
  readonly kind: 'ping';
}

export type TaskReply =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly needModel: true }
  | { readonly ok: false; readonly error: { readonly code: ErrorCode; readonly message: string; readonly layer: number; readonly region: Region | null } };
