import {
  TesseraError, Tensor, checkBool, checkEngineOptions, checkEnum, checkKeys, engineLabel, engineTensor, getOp, releaseEngineTensor, resolveEngine, runOp, useEngine,
  type EngineInfo, type EngineOptions, type Impl,
} from '@tessera/tensor';
import {
  RUN_ALL_OPTION_KEYS, checkOneInput, checkOneOutput, checkOut, checkRunOptions, inputTensors, outputRecord, throwIfAborted,
  type Executor, type ModelInputs, type RunAllOptions, type RunOptions,
} from './executor.js';
import { fuseLayers } from './fuse.js';
import { checkMemoryBudget, resolveMemoryBudget } from './memory-budget.js';
import type { Model } from './model.js';

/**
 * TESSERA_TRACE=1: every layer LocalExecutor runs is printed to stderr with
 * its op, output shape, time and GFLOP/s — the first thing to look at when a
 * model is slow.
 */
const TRACE = /^(1|true|yes)$/i.test(process.env.TESSERA_TRACE ?? '');

/** Most milliseconds a run without an abort signal computes before it yields to the event loop. */
const YIELD_MS = 2;

export interface LocalExecutorOptions {
  /** 'fast' (default) or 'reference' kernels. */
  impl?: Impl;
  /**
   * Run the model with conv/dense → scaleShift → activation chains fused into
   * one layer (fuseLayers; default true). Same bits either way: the fused
   * epilogue computes what the separate layers compute.
   */
  fuse?: boolean;
  /**
   * Most bytes of feature maps a run may hold at once (model.peakMemory of
   * the model as run, fused or not); a run over it is refused with
   * RESOURCE_EXHAUSTED before anything is allocated. Default: half of
   * os.totalmem(); Infinity turns the check off.
   */
  maxMemoryBytes?: number;
  /**
   * The kernel engine and numeric mode (@tessera/tensor's EngineOptions):
   * `{ kind: 'native' | 'wasm', mode: 'exact' | 'fma' }`. Default: native
   * exact when the addon loads (TESSERA_ENGINE overrides), else wasm.
   */
  engine?: EngineOptions;
}

/**
 * Runs a model on the calling thread with the fast kernels, layer by layer.
 * Intermediate feature maps live in the kernel engine's memory (kernels read
 * and write them in place, no copies) and are released as soon as their last
 * reader ran, or when the run fails; the output is an ordinary tensor.
 * The oracle other executors are compared against, bit for bit.
 */
const OPTION_KEYS = ['impl', 'fuse', 'maxMemoryBytes', 'engine'];
const IMPLS: readonly Impl[] = ['fast', 'reference'];
const SYNC_RUN_KEYS = ['out'];
const SYNC_RUN_ALL_KEYS = ['outs'];

export class LocalExecutor implements Executor {
  private closed = false;
  /** The memory budget of one run, in bytes (maxMemoryBytes). */
  readonly maxMemoryBytes: number;
  /** The engine this executor's kernels run on (resolved once; recorded in results and benchmarks). */
  readonly engine: EngineInfo;
  constructor(private readonly opts: LocalExecutorOptions = {}) {
    checkKeys('LocalExecutor options', opts, OPTION_KEYS);
    checkEnum('LocalExecutor impl', opts.impl, IMPLS);
    checkBool('LocalExecutor fuse', opts.fuse);
    this.maxMemoryBytes = resolveMemoryBudget('LocalExecutor maxMemoryBytes', opts.maxMemoryBytes);
    this.engine = resolveEngine(checkEngineOptions('LocalExecutor engine', opts.engine));
  }

  async run(original: Model, input: Tensor, opts: RunOptions = {}): Promise<Tensor> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'LocalExecutor is closed');
    checkRunOptions('LocalExecutor.run', opts);
    checkOneOutput(original, 'LocalExecutor.run');
    checkOneInput(original, 'LocalExecutor.run');
    return (await this.runOutputs(original, [input], opts.signal, opts.out))[0]!;
  }

  /** Every output of the model by name, from one run; a tensor per input name for a model with several inputs. */
  async runAll(original: Model, input: ModelInputs, opts: RunAllOptions = {}): Promise<Record<string, Tensor>> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'LocalExecutor is closed');
    checkRunOptions('LocalExecutor.runAll', opts, RUN_ALL_OPTION_KEYS);
    return outputRecord(original, await this.runOutputs(original, inputTensors(original, input, 'LocalExecutor.runAll'), opts.signal));
  }

  /** The outputs in the model's output order from the inputs in its input order; `outs[i]`, when given, receives output i. */
  private async runOutputs(original: Model, inputs: readonly Tensor[], signal: AbortSignal | undefined, ...outs: (Tensor | undefined)[]): Promise<Tensor[]> {
    throwIfAborted(signal, `run of model '${original.name}'`);
    const model = this.prepare(original, inputs);
    const targets = this.outputTargets(original, model, inputs, outs);
    const values = new Array<Tensor | undefined>(model.layers.length);
    const remaining = remainingReads(model);
    const shapes = model.shapes(inputs.map((x) => x.shape));
    let lastYield = performance.now();
    try {
      for (const l of model.layers) {
        // Yield between layers so a long run never blocks timers and I/O, and an abort lands promptly:
        // before every layer when the caller can abort, else once YIELD_MS of work has passed (a turn of
        // the event loop per layer cost a small model a third of its time).
        if (l.index > 0 && (signal !== undefined || performance.now() - lastYield >= YIELD_MS)) {
          await new Promise<void>((r) => setImmediate(r));
          lastYield = performance.now();
        }
        throwIfAborted(signal, `run of model '${model.name}' at layer ${l.index} '${l.name}'`);
        values[l.index] = this.runLayer(model, l.index, inputs, values, shapes, targets.get(l.index));
        for (const src of l.inputs) {
          if (src >= 0 && --remaining[src]! === 0 && !model.isOutput(src)) {
            releaseEngineTensor(values[src]!);
            values[src] = undefined;
          }
        }
      }
      return model.outputs.map((o) => values[o.layer]!);
    } finally {
      // Whatever is still held (a failed or aborted run) goes back; the outputs are not engine tensors.
      values.forEach((v, i) => { if (v && !model.isOutput(i)) releaseEngineTensor(v); });
    }
  }

  /** The same computation without yielding (nor abort); for callers that want a plain function. */
  runSync(original: Model, input: Tensor, opts: Pick<RunOptions, 'out'> = {}): Tensor {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'LocalExecutor is closed');
    checkKeys('LocalExecutor.runSync options', opts, SYNC_RUN_KEYS);
    checkOneOutput(original, 'LocalExecutor.runSync');
    checkOneInput(original, 'LocalExecutor.runSync');
    return this.runOutputsSync(original, [input], [opts.out])[0]!;
  }

  /**
   * runAll without yielding (nor abort). `outs` (by output name, each
   * optional) receive those outputs in place, as `out` does for runSync.
   */
  runAllSync(original: Model, input: ModelInputs, opts: { outs?: Readonly<Record<string, Tensor>> } = {}): Record<string, Tensor> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'LocalExecutor is closed');
    checkKeys('LocalExecutor.runAllSync options', opts, SYNC_RUN_ALL_KEYS);
    if (opts.outs !== undefined) checkKeys(`LocalExecutor.runAllSync outs of model '${original.name}'`, opts.outs, original.outputs.map((o) => o.name));
    const inputs = inputTensors(original, input, 'LocalExecutor.runAllSync');
    return outputRecord(original, this.runOutputsSync(original, inputs, original.outputs.map((o) => opts.outs?.[o.name])));
  }

  private runOutputsSync(original: Model, inputs: readonly Tensor[], outs: readonly (Tensor | undefined)[]): Tensor[] {
    const model = this.prepare(original, inputs);
    const targets = this.outputTargets(original, model, inputs, outs);
    const values = new Array<Tensor | undefined>(model.layers.length);
    const shapes = model.shapes(inputs.map((x) => x.shape));
    try {
      for (const l of model.layers) values[l.index] = this.runLayer(model, l.index, inputs, values, shapes, targets.get(l.index));
      return model.outputs.map((o) => values[o.layer]!);
    } finally {
      values.forEach((v, i) => { if (v && !model.isOutput(i)) releaseEngineTensor(v); });
    }
  }

  /** The caller's output tensors by layer of the model as run, each checked against its output's shape. */
  private outputTargets(original: Model, model: Model, inputs: readonly Tensor[], outs: readonly (Tensor | undefined)[]): Map<number, Tensor> {
    const targets = new Map<number, Tensor>();
    const shapes = model.shapes(inputs.map((x) => x.shape));
    outs.forEach((out, i) => {
      if (!out) return;
      const o = model.outputs[i]!;
      for (const input of inputs) checkOut(out, shapes[o.layer]!, input, `run of model '${original.name}'${model.outputs.length > 1 ? ` output '${o.name}'` : ''}`);
      targets.set(o.layer, out);
    });
    return targets;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /**
   * The model to run: shapes checked on the original first, so a bad input
   * names the layer the user built; then the memory budget, on the model as run.
   */
  private prepare(model: Model, inputs: readonly Tensor[]): Model {
    const shapes = inputs.map((x) => x.shape);
    model.shapes(shapes);
    const run = this.opts.fuse === false ? model : fuseLayers(model);
    checkMemoryBudget(run, shapes, run.peakMemory(shapes).steps, this.maxMemoryBytes, `run of model '${model.name}'`);
    return run;
  }

  private runLayer(model: Model, index: number, inputs: readonly Tensor[], values: (Tensor | undefined)[], shapes: readonly (readonly number[])[], out?: Tensor): Tensor {
    const l = model.layers[index]!;
    const ins = l.inputs.map((s) => (s < 0 ? inputs[-1 - s]! : values[s]!));
    const shape = shapes[index]!;
    // A model output is handed to the caller: the caller's `out`, else ordinary memory, never the engine's.
    const isOutput = model.isOutput(index);
    const target = !isOutput ? engineTensor(shape) : out ?? Tensor.zeros(shape);
    try {
      const t0 = TRACE ? performance.now() : 0;
      // Per layer: another executor on this thread may have switched the engine while this run yielded.
      useEngine(this.engine);
      model.withLayer(l, () => runOp(l.spec, ins, l.weights, target, undefined, this.opts.impl ?? 'fast'));
      if (TRACE) trace(model, index, ins, shape, performance.now() - t0, this.engine);
    } catch (e) {
      if (!isOutput) releaseEngineTensor(target);
      throw e;
    }
    return target;
  }
}

/** How many reads of each layer's output the model makes (a layer reading it twice counts twice). */
export function remainingReads(model: Model): number[] {
  const consumers = model.consumers();
  return model.layers.map((l) => consumers.get(l.index)?.length ?? 0);
}

function trace(model: Model, index: number, ins: readonly Tensor[], shape: readonly number[], ms: number, engine: EngineInfo): void {
  const l = model.layers[index]!;
  const flops = getOp(l.spec.op).flops(l.spec, ins.map((t) => t.shape), shape);
  const name = [l.name, ...(l.merged ?? [])].join('+');
  process.stderr.write(`[tessera] ${model.name} #${index} ${name} ${l.spec.op} → [${shape.join(', ')}] ${ms.toFixed(3)} ms ${(flops / ms / 1e6).toFixed(2)} GFLOP/s ${engineLabel(engine)}\n`);
}
