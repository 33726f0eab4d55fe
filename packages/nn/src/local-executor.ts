import { TesseraError, Tensor, runOp, sizeOf, type Impl } from '@tessera/tensor';
import { BufferPool } from './buffer-pool.js';
import { throwIfAborted, type Executor, type RunOptions } from './executor.js';
import { fuseLayers } from './fuse.js';
import { INPUT, type Model } from './model.js';

export interface LocalExecutorOptions {
  /** 'fast' (default) or 'reference' kernels. */
  impl?: Impl;
  /**
   * Run the model with conv/dense → scaleShift → activation chains fused into
   * one layer (fuseLayers; default true). Same bits either way: the fused
   * epilogue computes what the separate layers compute.
   */
  fuse?: boolean;
}

/**
 * Runs a model on the calling thread with the fast kernels, layer by layer.
 * Intermediate feature maps are dropped as soon as their last reader ran.
 * The oracle other executors are compared against, bit for bit.
 */
export class LocalExecutor implements Executor {
  private closed = false;
  /** Buffers of dropped intermediate feature maps, reused by later layers and runs. */
  private readonly buffers = new BufferPool();
  constructor(private readonly opts: LocalExecutorOptions = {}) {}

  async run(original: Model, input: Tensor, opts: RunOptions = {}): Promise<Tensor> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'LocalExecutor is closed');
    const signal = opts.signal;
    throwIfAborted(signal, `run of model '${original.name}'`);
    const model = this.prepare(original, input);
    const values = new Array<Tensor | undefined>(model.layers.length);
    const remaining = remainingReads(model);
    const shapes = model.shapes(input.shape);
    for (const l of model.layers) {
      // Yield between layers so a long run never blocks timers and I/O, and an abort lands promptly.
      if (l.index > 0) await new Promise<void>((r) => setImmediate(r));
      throwIfAborted(signal, `run of model '${model.name}' at layer ${l.index} '${l.name}'`);
      values[l.index] = this.runLayer(model, l.index, input, values, shapes);
      for (const src of l.inputs) {
        if (src !== INPUT && --remaining[src]! === 0 && src !== model.output) {
          this.buffers.give(values[src]!.data);
          values[src] = undefined;
        }
      }
    }
    return values[model.output]!;
  }

  /** The same computation without yielding; for callers that want a plain function. */
  runSync(original: Model, input: Tensor): Tensor {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'LocalExecutor is closed');
    const model = this.prepare(original, input);
    const values = new Array<Tensor | undefined>(model.layers.length);
    const shapes = model.shapes(input.shape);
    for (const l of model.layers) values[l.index] = this.runLayer(model, l.index, input, values, shapes);
    return values[model.output]!;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.buffers.clear();
  }

  /** The model to run: shapes checked on the original first, so a bad input names the layer the user built. */
  private prepare(model: Model, input: Tensor): Model {
    model.shapes(input.shape);
    return this.opts.fuse === false ? model : fuseLayers(model);
  }

  private runLayer(model: Model, index: number, input: Tensor, values: (Tensor | undefined)[], shapes: readonly (readonly number[])[]): Tensor {
    const l = model.layers[index]!;
    const ins = l.inputs.map((s) => (s === INPUT ? input : values[s]!));
    const shape = shapes[index]!;
    // The model output is handed to the caller: never a pooled buffer another run could reuse.
    const out = index === model.output ? Tensor.zeros(shape) : new Tensor(this.buffers.take(sizeOf(shape)), shape);
    model.withLayer(l, () => runOp(l.spec, ins, l.weights, out, undefined, this.opts.impl ?? 'fast'));
    return out;
  }
}

/** How many reads of each layer's output the model makes (a layer reading it twice counts twice). */
export function remainingReads(model: Model): number[] {
  const consumers = model.consumers();
  return model.layers.map((l) => consumers.get(l.index)?.length ?? 0);
}
