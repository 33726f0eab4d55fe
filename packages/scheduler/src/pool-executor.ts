import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { Tensor, TesseraError, checkInt, fmtRegion, type Shape } from '@tessera/tensor';
import { INPUT, throwIfAborted, type Executor, type Model, type RunOptions } from '@tessera/nn';
import { assignBuffers } from './buffers.js';
import { plan } from './plan/plan.js';
import type { Stage, Strategy, Task, TilePlan } from './plan/types.js';
import { sharedModel } from './shared-model.js';
import type { Fault, SharedMap, TaskMessage, TaskReply } from './worker/messages.js';

export interface PoolExecutorOptions {
  /** Worker threads (default: os.availableParallelism()). */
  threads?: number;
  /** Default strategy for runs (default 'auto'). */
  strategy?: Strategy;
  /** Layer-wise: regions per worker (default 3). */
  tasksPerWorker?: number;
  /** Times a task is retried on another worker after its worker died (default 2). */
  maxRetries?: number;
  /** Per-worker memory limits; a worker that exceeds them dies and its task is retried. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number };
  /** Testing aid: inject `fault` into the first `times` tasks that compute layer `layer`. */
  faults?: { layer: number; fault: Fault; times: number };
}

export interface PoolRunOptions extends RunOptions {
  strategy?: Strategy;
}

export interface PoolStats {
  runs: number;
  tasks: number;
  /** Tasks re-run after their worker died. */
  retries: number;
  /** Times a model was sent to a worker that did not have it yet. */
  modelSends: number;
  /** Tasks submitted to workers and not yet settled, over all runs. */
  inFlight: number;
}

/**
 * Runs models on a piscina pool. Feature maps live in SharedArrayBuffers
 * allocated once per run; workers write their regions in place; a task
 * carries ids, regions and buffer handles, never feature-map data. Weights
 * reach each worker once per model. Many runs may share one pool.
 */
export class PoolExecutor implements Executor {
  readonly threads: number;
  readonly stats: PoolStats = { runs: 0, tasks: 0, retries: 0, modelSends: 0, inFlight: 0 };
  private readonly pool: Piscina;
  private readonly opts: PoolExecutorOptions;
  private readonly plans = new Map<string, TilePlan>();
  private overheadUs: number | undefined;
  private closed = false;
  private faultsLeft: number;

  constructor(opts: PoolExecutorOptions = {}) {
    this.opts = opts;
    this.threads = checkInt('PoolExecutor threads', opts.threads ?? availableParallelism(), 1);
    checkInt('PoolExecutor maxRetries', opts.maxRetries ?? 2, 0);
    this.faultsLeft = opts.faults?.times ?? 0;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    this.pool = new Piscina({
      filename: new URL(`./worker/tile.worker${ext}`, import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Infinity,
      resourceLimits: opts.resourceLimits,
    });
  }

  /** Round trip of an empty task in µs, measured once (the planner's per-task overhead). */
  async taskOverheadUs(): Promise<number> {
    if (this.overheadUs === undefined) {
      // Warm every thread, then time a burst.
      await Promise.all(Array.from({ length: this.threads * 2 }, () => this.pool.run({ kind: 'ping' })));
      const n = 64;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: n }, () => this.pool.run({ kind: 'ping' })));
      this.overheadUs = Math.max(5, ((performance.now() - t0) * 1e3 * this.threads) / n);
    }
    return this.overheadUs;
  }

  /** The plan this executor would use (cached per model, input shape and strategy). */
  async plan(model: Model, inputShape: Shape = model.inputShape, strategy: Strategy = this.opts.strategy ?? 'auto'): Promise<TilePlan> {
    const key = `${model.id}|${inputShape.join(',')}|${strategy}`;
    let p = this.plans.get(key);
    if (!p) {
      p = plan(model, inputShape, {
        workers: this.threads, strategy, tasksPerWorker: this.opts.tasksPerWorker, taskOverheadUs: await this.taskOverheadUs(),
      });
      if (this.plans.size > 256) this.plans.clear();
      this.plans.set(key, p);
    }
    return p;
  }

  async run(model: Model, input: Tensor, opts: PoolRunOptions = {}): Promise<Tensor> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor is closed');
    const what = `run of model '${model.name}'`;
    throwIfAborted(opts.signal, what);
    model.shapes(input.shape); // validates the input against every layer, naming the layer
    const p = await this.plan(model, input.shape, opts.strategy);
    this.stats.runs++;

    const inputMap: SharedMap = { buffer: toShared(input), shape: input.shape };
    const buffers = assignBuffers(model, p);
    const mapOf = (layer: number): SharedMap =>
      layer === INPUT ? inputMap : { buffer: buffers.get(layer)!, shape: p.shapes[layer]! };

    for (const stage of p.stages) {
      throwIfAborted(opts.signal, what);
      const inside = new Set(stage.layers);
      const maps: Record<number, SharedMap> = {};
      for (const l of stage.layers) {
        for (const src of model.layers[l]!.inputs) if (src === INPUT || !inside.has(src)) maps[src] = mapOf(src);
      }
      const last = stage.layers[stage.layers.length - 1]!;
      maps[last] = mapOf(last);
      await this.runStage(model, p, stage, maps, opts.signal, what);
    }
    throwIfAborted(opts.signal, what);
    return Tensor.wrap(buffers.get(model.output)!, p.shapes[model.output]!);
  }

  /** Closes the pool; afterwards no worker thread is left. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.destroy();
  }

  /** Live worker threads (for leak checks). */
  get threadCount(): number {
    return this.pool.threads.length;
  }

  /**
   * Runs a stage's tasks with at most 2 × threads in flight, so an abort drops
   * the rest; waits for every started task before returning or throwing, so
   * nothing writes into the run's buffers after the promise settles.
   */
  private async runStage(model: Model, p: TilePlan, stage: Stage, maps: Record<number, SharedMap>, signal: AbortSignal | undefined, what: string): Promise<void> {
    const queue = [...stage.tasks];
    const window = this.threads * 2;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      for (;;) {
        if (failure !== undefined || signal?.aborted) return;
        const task = queue.shift();
        if (!task) return;
        try {
          await this.runTask(model, p, stage, task, maps);
        } catch (e) {
          failure ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, queue.length) }, worker));
    if (failure !== undefined) throw failure;
    throwIfAborted(signal, what);
  }

  private async runTask(model: Model, p: TilePlan, stage: Stage, task: Task, maps: Record<number, SharedMap>): Promise<void> {
    const base: TaskMessage = {
      kind: 'task', modelId: model.id, inputShape: p.inputShape, layers: stage.layers, regions: task.regions, maps,
      fault: this.takeFault(stage),
    };
    const maxRetries = this.opts.maxRetries ?? 2;
    let msg = base;
    for (let attempt = 0; ; ) {
      this.stats.tasks++;
      let reply: TaskReply;
      this.stats.inFlight++;
      try {
        reply = (await this.pool.run(msg)) as TaskReply;
      } catch (e) {
        this.stats.inFlight--;
        // The worker died (exit, crash, out of memory); piscina replaces it. Retry elsewhere, bounded.
        if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor was closed during the run', {}, { cause: e });
        if (attempt++ >= maxRetries) {
          throw new TesseraError('WORKER_LOST',
            `worker lost ${attempt} time(s) running ${describe(p, stage, task)}: ${e instanceof Error ? e.message : String(e)}`,
            { layers: stage.layers, region: task.regions[task.regions.length - 1] }, { cause: e });
        }
        this.stats.retries++;
        msg = { ...base, fault: this.takeFault(stage) };
        continue;
      }
      this.stats.inFlight--;
      if (reply.ok) return;
      if ('needModel' in reply) {
        this.stats.modelSends++;
        msg = { ...msg, model: sharedModel(model) };
        continue;
      }
      throw new TesseraError(reply.error.code, `${reply.error.message} (model '${model.name}')`,
        { layer: reply.error.layer, region: reply.error.region });
    }
  }

  private takeFault(stage: Stage): Fault | undefined {
    const f = this.opts.faults;
    if (!f || this.faultsLeft <= 0 || !stage.layers.includes(f.layer)) return undefined;
    this.faultsLeft--;
    return f.fault;
  }
}

function describe(p: TilePlan, stage: Stage, task: Task): string {
  const l = stage.layers[stage.layers.length - 1]!;
  return `layer ${l} '${p.layerNames[l]}' region ${fmtRegion(task.regions[task.regions.length - 1]!)}`;
}

/** The input in shared memory: used in place when it already is, copied once otherwise. */
function toShared(t: Tensor): SharedArrayBuffer {
  if (t.isShared && t.isContiguous && t.offset === 0 && t.data.length === t.size) return t.data.buffer as SharedArrayBuffer;
  const buf = new SharedArrayBuffer(t.size * 4);
  new Float32Array(buf).set(t.toFloat32Array());
  return buf;
}
