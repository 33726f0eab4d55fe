import { Tensor, TesseraError, checkKeys, fmtShape, shapesEqual, type Shape } from '@tessera/tensor';
import type { Model } from './model.js';

export interface RunOptions {
  /** Cancels the run: the promise rejects with code ABORTED and no result is written afterwards. */
  signal?: AbortSignal;
  /**
   * Write the output into this tensor and return it (its shape must be the
   * model's output shape): a caller running a model many times reuses one
   * output. An engine tensor (engineTensor()) is written in place by the last
   * kernel, with no copy out of the kernel engine.
   */
  out?: Tensor;
}

/** What runAll reads: one tensor for a one-input model, else one tensor per input name. */
export type ModelInputs = Tensor | Readonly<Record<string, Tensor>>;

/** Options of runAll: a model with several outputs writes each into a tensor of its own, so there is no `out`. */
export interface RunAllOptions {
  /** Cancels the run: the promise rejects with code ABORTED and no result is written afterwards. */
  signal?: AbortSignal;
}

export interface StreamOptions extends RunOptions {
  /** Inputs being computed at once (default 2). */
  maxInFlight?: number;
}

/** The keys of RunOptions and StreamOptions; an executor with more adds its own (checkRunOptions). */
export const RUN_OPTION_KEYS: readonly string[] = ['signal', 'out'];
export const RUN_ALL_OPTION_KEYS: readonly string[] = ['signal'];
export const STREAM_OPTION_KEYS: readonly string[] = [...RUN_OPTION_KEYS, 'maxInFlight'];

/**
 * Throws BAD_ARGUMENT for an unknown key of a run's options (a misspelt
 * `signl` would run with no way to abort) or a signal that is not an
 * AbortSignal. `out` is checked against the output shape by checkOut.
 */
export function checkRunOptions(what: string, opts: unknown, keys: readonly string[] = RUN_OPTION_KEYS): void {
  checkKeys(`${what} options`, opts, keys);
  const signal = (opts as RunOptions).signal as unknown;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} options: signal must be an AbortSignal, got ${Object.prototype.toString.call(signal)}`, { signal });
  }
}

/** Runs whole models; local, thread-pool, GPU and cluster executors are drop-in replacements (DESIGN.md §4). */
export interface Executor {
  /** The output of a one-output model; a model with several outputs is refused (BAD_ARGUMENT): use runAll. */
  run(model: Model, input: Tensor, opts?: RunOptions): Promise<Tensor>;
  /**
   * Every output of the model, by output name, in the model's output order
   * (one run computes them all); `input` is a tensor, or a tensor per input
   * name for a model with several inputs.
   */
  runAll(model: Model, input: ModelInputs, opts?: RunAllOptions): Promise<Record<string, Tensor>>;
  close(): Promise<void>;
  /** Many inputs at once, results in input order (an executor that can spread them, e.g. whole inputs per worker). */
  runBatch?(model: Model, inputs: readonly Tensor[], opts?: RunOptions): Promise<Tensor[]>;
  /** Inputs as they come, results in input order, a bounded number in flight. */
  runStream?(model: Model, inputs: AsyncIterable<Tensor> | Iterable<Tensor>, opts?: StreamOptions): AsyncGenerator<Tensor>;
}

/**
 * Throws BAD_ARGUMENT when `model` has more than one output: `run` and the
 * batch and stream forms return one tensor, and picking one output silently
 * would hide the others.
 */
export function checkOneOutput(model: Model, what: string): void {
  if (model.outputs.length > 1) {
    throw new TesseraError('BAD_ARGUMENT', `${what}: model '${model.name}' has ${model.outputs.length} outputs (${model.outputs.map((o) => `'${o.name}'`).join(', ')}); run returns one tensor — use runAll(model, input), which returns them by name`, { outputs: model.outputs.map((o) => o.name) });
  }
}

/**
 * The tensors of a run in the model's input order: `input` itself for a
 * one-input model, else `input[name]` per input. BAD_ARGUMENT names an
 * unknown, missing or non-tensor input.
 */
export function inputTensors(model: Model, input: ModelInputs, what: string): Tensor[] {
  const names = model.inputs.map((x) => x.name);
  if (input instanceof Tensor) {
    if (names.length === 1) return [input];
    throw new TesseraError('BAD_ARGUMENT', `${what}: model '${model.name}' has ${names.length} inputs (${names.map((n) => `'${n}'`).join(', ')}); pass a tensor per input name`, { inputs: names });
  }
  if (input === null || typeof input !== 'object') throw new TesseraError('BAD_ARGUMENT', `${what}: input must be a Tensor or a record of tensors by input name, got ${String(input)}`);
  checkKeys(`${what} inputs`, input, names);
  return names.map((n) => {
    const t = (input as Record<string, unknown>)[n];
    if (!(t instanceof Tensor)) throw new TesseraError('BAD_ARGUMENT', `${what}: input '${n}' must be a Tensor, got ${t === undefined ? 'nothing' : Object.prototype.toString.call(t)}`, { input: n });
    return t;
  });
}

/** Throws BAD_ARGUMENT when `model` has several inputs: `run` and the batch and stream forms take one tensor. */
export function checkOneInput(model: Model, what: string): void {
  if (model.inputs.length > 1) {
    throw new TesseraError('BAD_ARGUMENT', `${what}: model '${model.name}' has ${model.inputs.length} inputs (${model.inputs.map((x) => `'${x.name}'`).join(', ')}); use runAll(model, { name: tensor, … })`, { inputs: model.inputs.map((x) => x.name) });
  }
}

/** The record runAll returns: `tensors[i]` is the value of `model.outputs[i]`. */
export function outputRecord(model: Model, tensors: readonly Tensor[]): Record<string, Tensor> {
  if (tensors.length !== model.outputs.length) {
    throw new TesseraError('KERNEL_FAILED', `model '${model.name}' has ${model.outputs.length} outputs, the run gave ${tensors.length} tensors`);
  }
  return Object.fromEntries(model.outputs.map((o, i) => [o.name, tensors[i]!]));
}

/** Any executor's batch form: its own runBatch, else the inputs one after another. */
export async function runBatch(ex: Executor, model: Model, inputs: readonly Tensor[], opts: RunOptions = {}): Promise<Tensor[]> {
  if (ex.runBatch) return ex.runBatch(model, inputs, opts);
  const out: Tensor[] = [];
  for (const x of inputs) out.push(await ex.run(model, x, opts));
  return out;
}

/**
 * Any executor's stream form: its own runStream, else `run` with at most
 * `maxInFlight` inputs started and not yet yielded; outputs in input order.
 * Stopping early waits for what was started.
 */
export async function* runStream(ex: Executor, model: Model, inputs: AsyncIterable<Tensor> | Iterable<Tensor>, opts: StreamOptions = {}): AsyncGenerator<Tensor> {
  if (ex.runStream) {
    yield* ex.runStream(model, inputs, opts);
    return;
  }
  const { maxInFlight, ...runOpts } = opts; // run() takes no maxInFlight
  yield* inOrder(inputs, (x) => ex.run(model, x, runOpts), maxInFlight ?? 2, opts.signal, `stream of model '${model.name}'`);
}

/**
 * The stream loop executors share: `start` each input, at most `limit`
 * started and not yet yielded, outputs yielded in input order. Stopping early
 * (break, an error, abort) waits for what was started.
 */
export async function* inOrder(
  inputs: AsyncIterable<Tensor> | Iterable<Tensor>, start: (x: Tensor) => Promise<Tensor>, limit: number, signal: AbortSignal | undefined, what: string,
): AsyncGenerator<Tensor> {
  if (!Number.isInteger(limit) || limit < 1) throw new TesseraError('BAD_ARGUMENT', `runStream maxInFlight must be an integer ≥ 1, got ${String(limit)}`);
  const pending: Promise<Tensor>[] = [];
  try {
    for await (const x of inputs) {
      throwIfAborted(signal, what);
      const p = start(x);
      p.catch(() => undefined); // awaited in order below
      pending.push(p);
      if (pending.length >= limit) yield await pending.shift()!;
    }
    while (pending.length) yield await pending.shift()!;
  } finally {
    await Promise.allSettled(pending);
  }
}

/**
 * Checks a caller's output tensor: a full (not partial), contiguous tensor of
 * the model's output shape that does not overlap the input.
 */
export function checkOut(out: Tensor, shape: Shape, input: Tensor, what: string): void {
  if (!(out instanceof Tensor)) throw new TesseraError('BAD_ARGUMENT', `${what}: out must be a Tensor, got ${Object.prototype.toString.call(out)}`);
  if (!shapesEqual(out.shape, shape)) {
    throw new TesseraError('SHAPE_MISMATCH', `${what}: out ${fmtShape(out.shape)} must have the output shape ${fmtShape(shape)}`, { out: out.shape, expected: shape });
  }
  if (out.partial || !out.isContiguous) throw new TesseraError('BAD_ARGUMENT', `${what}: out must be a full contiguous tensor`);
  const a = out.data, b = input.data;
  if (a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength) {
    throw new TesseraError('BAD_ARGUMENT', `${what}: out overlaps the input; kernels would read values they already overwrote`);
  }
}

/** Throws ABORTED if the signal fired; the message carries the signal's reason. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
    throw new TesseraError('ABORTED', `${what} aborted: ${reason}`, {}, { cause: signal.reason });
  }
}
