import { TesseraError, type Tensor } from '@tessera/tensor';
import type { Model } from './model.js';

export interface RunOptions {
  /** Cancels the run: the promise rejects with code ABORTED and no result is written afterwards. */
  signal?: AbortSignal;
}

/** Runs whole models; local, thread-pool, GPU and cluster executors are drop-in replacements (DESIGN.md §4). */
export interface Executor {
  run(model: Model, input: Tensor, opts?: RunOptions): Promise<Tensor>;
  close(): Promise<void>;
}

/** Throws ABORTED if the signal fired; the message carries the signal's reason. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) {
    const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');
    throw new TesseraError('ABORTED', `${what} aborted: ${reason}`, {}, { cause: signal.reason });
  }
}
