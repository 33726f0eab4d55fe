import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import {
  Tensor, TesseraError, checkEngineOptions, MAX_ENGINE_THREADS, checkEnum, checkFinite, checkInt, checkKeys, checkRegion, engineModule, engineOptionsOf, fmtRegion, regionVolume, resolveEngine, sizeOf,
  type EngineInfo, type EngineOptions, type Region, type Shape,
} from '@tessera/tensor';
import {
  LocalExecutor, RUN_ALL_OPTION_KEYS, RUN_OPTION_KEYS, checkMemoryBudget, resolveMemoryBudget, STREAM_OPTION_KEYS, checkOneOutput, checkOut, checkRunOptions,
  fuseLayers, inOrder, outputRecord, checkOneInput, inputTensors, throwIfAborted, type Executor, type InputShapes, type Model, type ModelInputs, type RunAllOptions, type RunOptions,
} from '@tessera/nn';
import { assignBuffers } from './buffers.js';
import { planMemory, shareMemory, tileMemory } from './memory.js';
import { plan } from './plan/plan.js';
import { taskDependencies } from './plan/dependencies.js';
import type { StageWork, Strategy, Task, TilePlan } from './plan/types.js';
import { checkRegionsPerLayer } from './plan/walk-back.js';
import { sharedModel } from './shared-model.js';
import {
  CONTROL, TASK_CLAIMED, TASK_DONE, modelChannelName, planSlots,
  type BarrierProbeMessage, type Fault, type ModelChannelMessage, type PlanLayout, type PlanLayoutSpec, type PlanMessage, type PlanReply, type SharedMap, type StageMessage, type StageReply, type WholeMessage, type WholeReply,
} from './worker/messages.js';

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
  /** Testing aid: inject `fault` into the first `times` tasks that compute layer `layer` (an index into the fused model, fuseLayers). */
  faults?: { layer: number; fault: Fault; times: number };
  /**
   * Most bytes of feature maps a run may hold at once, over all threads
   * (planMemory, shareMemory, tileMemory); a run over it is refused with
   * RESOURCE_EXHAUSTED before anything is allocated. Default: half of
   * os.totalmem(); Infinity turns the check off.
   */
  maxMemoryBytes?: number;
  /**
   * The kernel engine and numeric mode of every thread of the pool
   * (`{ kind: 'native' | 'wasm', mode: 'exact' | 'fma' }`, as LocalExecutor's).
   */
  engine?: EngineOptions;
}

export interface PoolRunOptions extends RunOptions {
  strategy?: Strategy;
}

export interface PoolRunAllOptions extends RunAllOptions {
  strategy?: Strategy;
}

export interface PoolStreamOptions extends RunOptions {
  /** Inputs being computed at once (default: two per worker thread). */
  maxInFlight?: number;
}

/*
 * Options are strict (checkKeys): a misspelt `thread` or `stratgy` would
 * otherwise run with the default, without a word.
 */
const OPTION_KEYS = ['threads', 'strategy', 'tasksPerWorker', 'maxRetries', 'resourceLimits', 'faults', 'maxMemoryBytes', 'engine'];
const RESOURCE_LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb'];
const FAULT_KEYS = ['layer', 'fault', 'times'];
const STRATEGIES: readonly Strategy[] = ['layer-wise', 'fused', 'auto'];
const RUN_KEYS: readonly string[] = [...RUN_OPTION_KEYS, 'strategy'];
const RUN_ALL_KEYS: readonly string[] = [...RUN_ALL_OPTION_KEYS, 'strategy'];

function checkPoolOptions(opts: PoolExecutorOptions): void {
  checkKeys('PoolExecutor options', opts, OPTION_KEYS);
  checkEnum('PoolExecutor strategy', opts.strategy, STRATEGIES);
  if (opts.tasksPerWorker !== undefined) checkInt('PoolExecutor tasksPerWorker', opts.tasksPerWorker, 1);
  if (opts.resourceLimits !== undefined) {
    checkKeys('PoolExecutor resourceLimits', opts.resourceLimits, RESOURCE_LIMIT_KEYS);
    for (const k of RESOURCE_LIMIT_KEYS) {
      const v = (opts.resourceLimits as Record<string, unknown>)[k];
      if (v !== undefined && checkFinite(`PoolExecutor resourceLimits.${k}`, v) <= 0) {
        throw new TesseraError('BAD_ARGUMENT', `PoolExecutor resourceLimits.${k} must be > 0, got ${String(v)}`, { [k]: v });
      }
    }
  }
  if (opts.faults !== undefined) {
    checkKeys('PoolExecutor faults', opts.faults, FAULT_KEYS);
    checkInt('PoolExecutor faults.layer', opts.faults.layer, 0);
    checkEnum('PoolExecutor faults.fault', opts.faults.fault, ['exit', 'throw'] as const);
    checkInt('PoolExecutor faults.times', opts.faults.times, 0);
  }
}

/** A feature-map region held in memory: `data` is exactly `region` of a tensor of `shape` (row-major NCHW). */
export interface RegionData {
  readonly shape: Shape;
  readonly region: Region;
  readonly data: Float32Array;
}

export interface PoolStats {
  runs: number;
  /** Tasks completed. */
  tasks: number;
  /** Tasks re-run after their worker died. */
  retries: number;
  /** Times a model was broadcast to the workers (once per model, again only for threads started later). */
  modelSends: number;
  /** Stage messages sent to workers and not yet settled, over all runs. */
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
  /** The engine every thread of this pool runs its kernels on (resolved once). */
  readonly engine: EngineInfo;
  readonly stats: PoolStats = { runs: 0, tasks: 0, retries: 0, modelSends: 0, inFlight: 0 };
  private readonly pool: Piscina;
  private readonly opts: PoolExecutorOptions;
  private readonly plans = new Map<string, TilePlan>();
  /** Feature-map buffers of finished runs, by plan, for the next run of that plan (takeBuffers). */
  private readonly spare = new WeakMap<TilePlan, Map<number, SharedArrayBuffer>>();
  /** Models workers may ask for, most recently run last. */
  private readonly known = new Map<string, Model>();
  private readonly channel: BroadcastChannel;
  private overheadUs: Promise<number> | undefined;
  /** Aborted when every worker died with tasks still queued (see the pool's 'error' handler). */
  private starved = starvedController();
  private lastDeath: string | undefined;
  private closed = false;
  private faultsLeft: number;
  /** Runs that are fastest on the calling thread (see run). */
  private readonly local: LocalExecutor;
  /** The calling thread on the native engine's intra-op threads, as many as the pool's (auto's 'engine-threads' path); absent on wasm. */
  private readonly intra: LocalExecutor | undefined;
  /** The memory budget of one run, in bytes (maxMemoryBytes). */
  readonly maxMemoryBytes: number;
  /** Auto: measured ms of each path's first run, by fused model id and input shape. */
  private readonly timings = new Map<string, { times: Map<AutoPath, number[]>; paths: AutoPath[]; settled: number }>();

  constructor(opts: PoolExecutorOptions = {}) {
    checkPoolOptions(opts);
    this.opts = opts;
    this.threads = checkInt('PoolExecutor threads', opts.threads ?? availableParallelism(), 1);
    checkInt('PoolExecutor maxRetries', opts.maxRetries ?? 2, 0);
    this.maxMemoryBytes = resolveMemoryBudget('PoolExecutor maxMemoryBytes', opts.maxMemoryBytes);
    this.engine = resolveEngine(checkEngineOptions('PoolExecutor engine', opts.engine));
    this.local = new LocalExecutor({ maxMemoryBytes: this.maxMemoryBytes, engine: engineOptionsOf(this.engine) });
    // Not when the workers' engine has intra-op threads of its own (the caller chose them).
    this.intra = this.threads > 1 && this.engine.kind === 'native' && this.engine.threads === undefined
      ? new LocalExecutor({ maxMemoryBytes: this.maxMemoryBytes, engine: { ...engineOptionsOf(this.engine), threads: Math.min(this.threads, MAX_ENGINE_THREADS) } })
      : undefined;
    this.faultsLeft = opts.faults?.times ?? 0;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const poolId = randomUUID();
    this.channel = new BroadcastChannel(modelChannelName(poolId));
    this.channel.unref();
    this.channel.onmessage = (ev: unknown): void => this.answerModelRequest((ev as { data: ModelChannelMessage }).data);
    this.pool = new Piscina({
      // The kernel engine is compiled once per process: workers get the compiled module (and its optimised code).
      workerData: { poolId, engineModule: engineModule(), engine: this.engine },
      filename: new URL(`./worker/tile.worker${ext}`, import.meta.url).href,
      minThreads: this.threads,
      maxThreads: this.threads,
      idleTimeout: Infinity,
      resourceLimits: opts.resourceLimits,
    });
    // A worker that dies with no task in hand (out of memory while starting, say) is reported by piscina as an
    // 'error' event; unhandled, it would end the host process. Once no worker is left, piscina starts no more
    // for the tasks already queued: fail those (each is retried, up to maxRetries, then WORKER_LOST).
    this.pool.on('error', (e: unknown) => {
      if (this.pool.threads.length > 0) return;
      const starved = this.starved;
      this.starved = starvedController();
      this.lastDeath = `worker threads die before they take a task: ${e instanceof Error ? e.message : String(e)}`;
      starved.abort(new Error(this.lastDeath));
    });
  }

  /**
   * What one stage costs on this machine in µs, measured once, for the
   * planner's cost model: the barrier the workers meet at (a tiled run is one
   * message per worker, PlanMessage), from a walk of stages of one short
   * task per worker, less the tasks' time and a round trip of an empty message.
   */
  async stageOverheadUs(): Promise<number> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor is closed');
    this.overheadUs ??= this.measureStageOverhead().catch((e: unknown) => {
      this.overheadUs = undefined; // measured again by the next run
      throw this.closed ? new TesseraError('UNAVAILABLE', 'PoolExecutor was closed while it measured its workers')
        : new TesseraError('WORKER_LOST', `the pool's worker threads did not answer: ${this.deathReason(e)}`, {}, { cause: e });
    });
    return this.overheadUs;
  }

  private async measureStageOverhead(): Promise<number> {
    const STAGES = 32, SPIN_US = 50;
    const all = (make: () => object): Promise<unknown[]> => Promise.all(Array.from({ length: this.threads }, () => this.pool.run(make(), { signal: this.starved.signal })));
    const probe = (): BarrierProbeMessage => ({ kind: 'barriers', stages: STAGES, tasks: this.threads, spinUs: SPIN_US, control: new SharedArrayBuffer(4 * planSlots(new Array<number>(STAGES).fill(this.threads)).size) });
    // The fastest of several: what the machine can do, not what a busy moment made of it (one measurement serves the pool's life).
    const fastest = async (make: () => object): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 9; i++) {
        const msg = make() as { control?: SharedArrayBuffer };
        const t0 = performance.now();
        // A worker that dies mid-probe leaves its task unfinished: raise the abort flag so the others stop waiting for it.
        await all(() => msg).catch((e: unknown) => {
          if (msg.control) Atomics.store(new Int32Array(msg.control), 0, 1);
          throw e;
        });
        times.push((performance.now() - t0) * 1e3);
      }
      return Math.min(...times);
    };
    await all(() => ({ kind: 'ping' }));
    const ping = await fastest(() => ({ kind: 'ping' }));
    return Math.max(2, (await fastest(probe) - ping) / STAGES - SPIN_US);
  }

  /** The plan this executor would use (of the fused model, fuseLayers; cached per model, input shape and strategy). */
  async plan(original: Model, inputShape?: InputShapes, strategy: Strategy = this.opts.strategy ?? 'auto'): Promise<TilePlan> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor is closed');
    const model = fuseLayers(original);
    const inputShapes = original.inputShapes(inputShape);
    const key = `${model.id}|${shapesKey(inputShapes)}|${strategy}`;
    let p = this.plans.get(key);
    if (!p) {
      p = plan(model, inputShapes, {
        workers: this.threads, strategy, tasksPerWorker: this.opts.tasksPerWorker, stageOverheadUs: await this.stageOverheadUs(),
        // What a thread's conv kernels sustain on this engine (3×3 convs, one thread: wasm ~40, native ~75 GFLOP/s), so
        // the cost model weighs a task's fixed costs against its work as they are.
        gflopsPerWorker: this.engine.kind === 'native' ? 60 : 30,
      });
      if (this.plans.size > 256) this.plans.clear();
      this.plans.set(key, p);
    }
    return p;
  }

  /**
   * Runs one input. With strategy `auto` the run is spread the cheapest way
   * (all give LocalExecutor's bits):
   * - one worker thread: on the calling thread (LocalExecutor), which pays no
   *   copy into shared memory and no message, so `auto` never loses to it;
   * - a batch of at least as many samples as threads: data parallel as the
   *   plan says (its 'data' stage), a contiguous share of samples per worker,
   *   each run whole (no halo, no barrier, intermediates in that worker's
   *   kernel engine);
   * - otherwise the calling thread (alone, or on the native engine's intra-op
   *   threads, as many as the pool's: each large kernel call split with no
   *   copy and no message), the planner's cut (plan.ts), layer-wise or fused
   *   tiles, whichever measured fastest (see `measured`).
   */
  async run(original: Model, input: Tensor, opts: PoolRunOptions = {}): Promise<Tensor> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor is closed');
    checkRunOptions('PoolExecutor.run', opts, RUN_KEYS);
    checkOneOutput(original, 'PoolExecutor.run');
    checkOneInput(original, 'PoolExecutor.run');
    return (await this.runOutputs(original, [input], opts, opts.out))[0]!;
  }

  /** Every output of the model by name, from one run, on the same paths as run (all give LocalExecutor's bits). */
  async runAll(original: Model, input: ModelInputs, opts: PoolRunAllOptions = {}): Promise<Record<string, Tensor>> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor is closed');
    checkRunOptions('PoolExecutor.runAll', opts, RUN_ALL_KEYS);
    return outputRecord(original, await this.runOutputs(original, inputTensors(original, input, 'PoolExecutor.runAll'), opts, undefined));
  }

  /** run and runAll: the outputs in the model's output order; `out` (one-output models) receives the output. */
  private async runOutputs(original: Model, inputs: readonly Tensor[], opts: PoolRunAllOptions, out: Tensor | undefined): Promise<Tensor[]> {
    const what = `run of model '${original.name}'`;
    checkEnum('PoolExecutor.run strategy', opts.strategy, STRATEGIES);
    throwIfAborted(opts.signal, what);
    const inShapes = inputs.map((x) => x.shape);
    const shapes = original.shapes(inShapes); // validates the inputs against every layer, naming the layer
    if (out) checkOut(out, shapes[original.output]!, inputs[0]!, what);
    const strategy = opts.strategy ?? this.opts.strategy ?? 'auto';
    if (strategy === 'auto' && this.threads === 1 && !this.opts.faults) {
      this.stats.runs++;
      return this.runLocal(original, inputs, opts.signal, out);
    }
    // The planner picks data parallel (a batch of at least as many samples as threads); its shares run whole on the workers.
    const data = strategy === 'auto' && this.threads > 1 ? (await this.plan(original, inShapes, 'auto')).stages[0] : undefined;
    if (data?.kind === 'data') {
      this.stats.runs++;
      const [outs] = await this.dataParallel(original, [inputs], data.tasks.length, opts.signal, what);
      return intoAll(outs!, out);
    }
    if (strategy === 'auto') return this.measured(original, inputs, opts, out);
    return this.planned(original, inputs, { ...opts, strategy }, out, what);
  }

  /** The calling thread's run (LocalExecutor takes no strategy), on `local` or on the intra-op engine threads. */
  private async runLocal(model: Model, inputs: readonly Tensor[], signal: AbortSignal | undefined, out: Tensor | undefined, local = this.local): Promise<Tensor[]> {
    if (model.outputs.length === 1 && inputs.length === 1) return [await local.run(model, inputs[0]!, { signal, out })];
    const all = await local.runAll(model, Object.fromEntries(model.inputs.map((x, k) => [x.name, inputs[k]!])), { signal });
    return model.outputs.map((o) => all[o.name]!);
  }

  /**
   * Auto for one input of fewer samples than threads: the calling thread
   * (alone or on intra-op engine threads), the planner's cut, layer-wise or
   * fused tiles, whichever was fastest. The cost
   * model cannot see every cost of a tiled run (copies into shared memory,
   * halos, kernels on SharedArrayBuffers instead of engine memory), so the
   * first runs of a model and input shape try the paths in turn (the calling
   * thread's first), timed, and later runs take the fastest. All give the same bits. Trying costs runs on
   * slow paths, so it is bounded: the planner's cut is not tried apart when it
   * is the same plan as layer-wise or fused, and a path whose first run took
   * over DROP_AFTER times the fastest so far is not tried again (a tiled run
   * of a small model can take twice the calling thread's time). Each path is
   * judged by its last AUTO_ROUNDS times, the chosen one's included, and the
   * runner-up runs again one run in RECHECK_EVERY.
   */
  private async measured(original: Model, inputs: readonly Tensor[], opts: PoolRunAllOptions, out: Tensor | undefined): Promise<Tensor[]> {
    const key = `${fuseLayers(original).id}|${shapesKey(inputs.map((x) => x.shape))}`;
    let trial = this.timings.get(key);
    if (!trial) {
      trial = { times: new Map(), paths: await this.distinctPaths(original, inputs.map((x) => x.shape)), settled: 0 };
      this.timings.set(key, trial);
      if (this.timings.size > 256) this.timings.delete(this.timings.keys().next().value!);
    }
    const { times, paths } = trial;
    const timed = async (path: AutoPath): Promise<Tensor[]> => {
      const t0 = performance.now();
      const outs = await run(path);
      // The last AUTO_ROUNDS times of each path: a busy moment long past stops counting for or against it.
      times.set(path, [...(times.get(path) ?? []), performance.now() - t0].slice(-AUTO_ROUNDS));
      return outs;
    };
    const run = (path: AutoPath): Promise<Tensor[]> => {
      if (onCallingThread(path)) {
        this.stats.runs++;
        return this.runLocal(original, inputs, opts.signal, out, path === 'local' ? this.local : this.intra);
      }
      return this.planned(original, inputs, { ...opts, strategy: path === 'plan' ? 'auto' : path }, out, `run of model '${original.name}'`);
    };
    const fastest = (p: AutoPath): number => Math.min(...(times.get(p) ?? [Infinity]));
    const best = (): AutoPath => paths.reduce((a, b) => (fastest(b) < fastest(a) ? b : a));
    // Each live path up to AUTO_ROUNDS times, round-robin, the fastest kept: a path's first run also pays what
    // happens once (the model reaching the workers, weights packed per thread), and rounds spread over time
    // keep one busy moment from condemning a path.
    const count = (p: AutoPath): number => times.get(p)?.length ?? 0;
    // The calling thread, alone or on engine threads, is never dropped: its first run also packs every weight (two to
    // twenty times a later run's time) or starts the helper threads, and a tiled path that beat that once must still
    // meet its later runs; neither costs a copy or a message when it loses.
    const live = paths.filter((p) => onCallingThread(p) || count(p) === 0 || fastest(p) <= DROP_AFTER * fastest(best()));
    // The calling thread's paths finish their rounds before any tiled one starts: right after a tiled run the
    // workers' threads can still hold a core (measured on 2 cores: the engine-threads path then looked slower
    // than the calling thread alone, three times running).
    const due = (ps: readonly AutoPath[]): AutoPath | undefined => {
      const fewest = Math.min(...ps.map(count));
      return fewest < AUTO_ROUNDS ? ps.find((p) => count(p) === fewest) : undefined;
    };
    const untried = due(live.filter(onCallingThread)) ?? due(live.filter((p) => !onCallingThread(p)));
    if (untried) return timed(untried);
    // Settled: the fastest, timed too; every RECHECK_EVERY runs the runner-up once more, so a choice made in a
    // busy moment (or before the machine got busy) is revisited.
    const chosen = best();
    const runnerUp = live.filter((p) => p !== chosen).reduce<AutoPath | undefined>((a, b) => (a === undefined || fastest(b) < fastest(a) ? b : a), undefined);
    return timed(++trial.settled % RECHECK_EVERY === 0 && runnerUp ? runnerUp : chosen);
  }

  /** The auto paths worth timing for a model and input shape: the planner's cut only when it differs from both layer-wise and fused. */
  private async distinctPaths(original: Model, shapes: readonly Shape[]): Promise<AutoPath[]> {
    const signature = async (strategy: Strategy): Promise<string> =>
      JSON.stringify((await this.plan(original, shapes, strategy)).stages.map((st) => [st.layers, st.tasks.map((t) => t.regions)]));
    const cut = await signature('auto');
    const same = cut === await signature('layer-wise') || cut === await signature('fused');
    return AUTO_PATHS.filter((p) => (p !== 'plan' || !same) && (p !== 'engine-threads' || this.intra !== undefined));
  }

  private async planned(original: Model, inputs: readonly Tensor[], opts: PoolRunAllOptions, out: Tensor | undefined, what: string): Promise<Tensor[]> {
    // Plans, workers and buffers all see the fused model (same bits, fewer stages and passes).
    const model = fuseLayers(original);
    const p = await this.plan(model, inputs.map((x) => x.shape), opts.strategy);
    checkMemoryBudget(model, p.inputShapes, planMemory(model, p, this.threads).steps, this.maxMemoryBytes, what);
    this.stats.runs++;
    this.remember(model);

    const inputMaps = inputs.map(sharedView);
    // A shared `out` (say, in the kernel engine's memory) is written in place: no buffer for it, no copy after.
    const outMap = out?.isShared ? sharedView(out) : undefined;
    const buffers = this.takeBuffers(model, p, outMap !== undefined);
    // Model input k is producer -1 - k.
    const mapOf = (layer: number): SharedMap =>
      layer < 0 ? inputMaps[-1 - layer]!
        : outMap && layer === model.output ? outMap
          : { buffer: buffers.get(layer)!, shape: p.shapes[layer]! };

    const stageMaps = p.stages.map((stage) => {
      const inside = new Set(stage.layers);
      const maps: Record<number, SharedMap> = {};
      for (const l of stage.layers) {
        for (const src of model.layers[l]!.inputs) if (src < 0 || !inside.has(src)) maps[src] = mapOf(src);
      }
      const last = stage.layers[stage.layers.length - 1]!;
      maps[last] = mapOf(last);
      return maps;
    });
    await this.runStages(model, p, stageMaps, opts.signal, what);
    throwIfAborted(opts.signal, what);
    if (outMap) {
      this.spare.set(p, buffers);
      return [out!];
    }
    // Every output is a stage's last layer (closedRunTest), so each was written to its own buffer.
    const results = model.outputs.map((o) => Tensor.wrap(buffers.get(o.layer)!, p.shapes[o.layer]!));
    if (!out) {
      for (const o of model.outputs) buffers.delete(o.layer); // handed to the caller
      this.spare.set(p, buffers);
      return results;
    }
    into(results[0]!, out);
    this.spare.set(p, buffers);
    return [out];
  }

  /**
   * The feature-map buffers of a run of plan `p`: those the last finished run
   * of the same plan left (no allocation, pages already mapped), else new
   * ones. A failed run's buffers are dropped (nothing is left writing into
   * them, but they are not worth the bookkeeping).
   */
  private takeBuffers(model: Model, p: TilePlan, intoOut: boolean): Map<number, SharedArrayBuffer> {
    const set = this.spare.get(p) ?? assignBuffers(model, p);
    this.spare.delete(p);
    if (!intoOut) for (const o of model.outputs) if (!set.has(o.layer)) set.set(o.layer, new SharedArrayBuffer(sizeOf(p.shapes[o.layer]!) * 4));
    return set;
  }

  /**
   * Runs each input whole on a worker (data parallel), results in input
   * order. Inputs may differ in shape; each equals LocalExecutor's result bit
   * for bit. A worker that dies takes no input with it: its share runs again
   * elsewhere (maxRetries).
   */
  async runBatch(original: Model, inputs: readonly Tensor[], opts: RunOptions = {}): Promise<Tensor[]> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor is closed');
    if (!Array.isArray(inputs)) throw new TesseraError('BAD_ARGUMENT', `runBatch takes an array of input tensors, got ${String(inputs)}`);
    const what = `batch run of model '${original.name}'`;
    checkRunOptions('PoolExecutor.runBatch', opts);
    checkOneOutput(original, 'PoolExecutor.runBatch');
    checkOneInput(original, 'PoolExecutor.runBatch');
    throwIfAborted(opts.signal, what);
    inputs.forEach((x) => original.shapes(x.shape));
    this.stats.runs += inputs.length;
    return (await this.dataParallel(original, inputs.map((x) => [x]), 1, opts.signal, what)).map((outs) => outs[0]!);
  }

  /**
   * Streams inputs through the model, whole inputs per worker, at most
   * `maxInFlight` at once; yields the outputs in input order. Stopping early
   * (break, abort) waits for what is in flight and leaves the pool usable.
   */
  async *runStream(original: Model, inputs: AsyncIterable<Tensor> | Iterable<Tensor>, opts: PoolStreamOptions = {}): AsyncGenerator<Tensor> {
    checkRunOptions('PoolExecutor.runStream', opts, STREAM_OPTION_KEYS);
    checkOneOutput(original, 'PoolExecutor.runStream');
    checkOneInput(original, 'PoolExecutor.runStream');
    yield* inOrder(inputs, async (x) => (await this.runBatch(original, [x], { signal: opts.signal }))[0]!, opts.maxInFlight ?? 2 * this.threads, opts.signal,
      `stream of model '${original.name}'`);
  }


  /**
   * Inputs cut into shares of samples: each input into `parts` contiguous
   * ranges of its batch (at most one per sample), each share one message.
   * Per input, every output in the model's output order.
   */
  private async dataParallel(original: Model, runs: readonly (readonly Tensor[])[], parts: number, signal: AbortSignal | undefined, what: string): Promise<Tensor[][]> {
    const model = fuseLayers(original);
    const need = shareMemory(model, runs.map((xs) => xs.map((x) => x.shape)), parts, this.threads);
    checkMemoryBudget(model, need.inputShape, need.steps, this.maxMemoryBytes, what);
    this.remember(model);
    const outs = runs.map((xs) => {
      const shapes = model.shapes(xs.map((x) => x.shape));
      return {
        inputs: xs.map(sharedView),
        outputs: model.outputs.map((o): SharedMap => ({ buffer: new SharedArrayBuffer(sizeOf(shapes[o.layer]!) * 4), shape: shapes[o.layer]! })),
      };
    });
    const shares: WholeMessage[] = [];
    outs.forEach((o, i) => {
      const n = runs[i]![0]!.shape[0]!, k = Math.min(parts, n);
      for (let j = 0; j < k; j++) {
        const n0 = Math.floor((n * j) / k), n1 = Math.floor((n * (j + 1)) / k);
        shares.push({ kind: 'whole', modelId: model.id, inputs: o.inputs, outputs: o.outputs, n0, n1, fault: this.takeWholeFault() });
      }
    });
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort);
    try {
      const results = await Promise.allSettled(shares.map((m) => this.runShare(m, controller.signal, model, what)));
      throwIfAborted(signal, what);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (failed) throw failed.reason;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return outs.map((o) => o.outputs.map((m) => Tensor.wrap(m.buffer, m.shape)));
  }

  /** One share on some worker, again on another if its worker dies (maxRetries). */
  private async runShare(msg: WholeMessage, signal: AbortSignal, model: Model, what: string): Promise<void> {
    const maxRetries = this.opts.maxRetries ?? 2;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throwIfAborted(signal, what);
      this.stats.inFlight++;
      let reply: WholeReply;
      try {
        reply = (await this.pool.run(attempt === 0 ? msg : { ...msg, fault: undefined }, { signal: AbortSignal.any([signal, this.starved.signal]) })) as WholeReply;
      } catch (e) {
        if (signal.aborted) throwIfAborted(signal, what);
        if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor was closed during the run');
        if (attempt >= maxRetries) {
          throw new TesseraError('WORKER_LOST', `worker lost ${attempt + 1} time(s) running samples [${msg.n0}, ${msg.n1}) of model '${model.name}': ${this.deathReason(e)}`);
        }
        this.stats.retries++;
        continue;
      } finally {
        this.stats.inFlight--;
      }
      if (!reply.ok) throw new TesseraError(reply.error.code, `${reply.error.message} (model '${model.name}', samples [${msg.n0}, ${msg.n1}))`);
      this.stats.tasks++;
      return;
    }
  }

  private takeWholeFault(): Fault | undefined {
    const f = this.opts.faults;
    if (!f || this.faultsLeft <= 0) return undefined;
    this.faultsLeft--;
    return f.fault;
  }

  /**
   * Runs ONE task of a plan on the pool's threads: computes `regions[i]` of
   * layer `layers[i]` in order, reading every map from outside `layers` from
   * `inputs` (by producer, -1, -2, … = the model inputs; each holds at least the
   * region the task reads), and returns the last layer's region as a
   * partial tensor. The cluster worker's entry point: a remote tile arrives
   * with just its input rectangles. The caller validates layers and regions
   * against the model; kernels check every region they are given. `model`
   * runs as given (not fused): its layer indices are the caller's.
   */
  async runTile(
    model: Model, inputShape: InputShapes, layers: readonly number[], regions: readonly Region[],
    inputs: ReadonlyMap<number, RegionData>, opts: RunOptions = {},
  ): Promise<Tensor> {
    return (await this.runTileKeeping(model, inputShape, layers, regions, inputs, [], opts))[0]!;
  }

  /**
   * runTile that also returns the regions of `keep` — layers of the task
   * before its last, in task order (model outputs a whole-input cluster task
   * computes on its way): [the last layer's region, ...keep's regions], each
   * a partial tensor, written in place by the kernels like the last one.
   */
  async runTileKeeping(
    model: Model, inputShape: InputShapes, layers: readonly number[], regions: readonly Region[],
    inputs: ReadonlyMap<number, RegionData>, keep: readonly number[], opts: RunOptions = {},
  ): Promise<Tensor[]> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor is closed');
    const what = `tile of model '${model.name}'`;
    checkRunOptions('PoolExecutor.runTile', opts);
    throwIfAborted(opts.signal, what);
    const shapes = model.shapes(inputShape);
    checkRegionsPerLayer(layers, regions);
    const last = layers[layers.length - 1]!;
    const outRegion = regions[regions.length - 1]!;
    checkRegion(outRegion, shapes[last]!, `output region of layer ${last}`);
    const kept = keep.map((l, i) => {
      const at = layers.indexOf(l);
      if (at < 0 || at === layers.length - 1 || keep.indexOf(l) !== i || inputs.has(l)) {
        throw new TesseraError('BAD_ARGUMENT', `${what}: kept layer ${String(l)} must be a layer of the task before its last, once, and not an input slice`, { layer: l });
      }
      checkRegion(regions[at]!, shapes[l]!, `region of kept layer ${l}`);
      return { layer: l, region: regions[at]! };
    });
    let sliceBytes = 0;
    for (const slice of inputs.values()) sliceBytes += slice.data.length * 4;
    checkMemoryBudget(model, inputShape, tileMemory(inputShape, layers, regions, sliceBytes).steps, this.maxMemoryBytes, what);
    this.remember(model);
    const maps: Record<number, SharedMap> = {};
    for (const [src, slice] of inputs) {
      const n = regionVolume(slice.region);
      if (slice.data.length !== n) {
        throw new TesseraError('SHAPE_MISMATCH', `input slice of ${src < 0 ? `model input ${-1 - src}` : `layer ${src}`} holds ${slice.data.length} values, its region ${fmtRegion(slice.region)} has ${n}`);
      }
      const buffer = new SharedArrayBuffer(n * 4);
      new Float32Array(buffer).set(slice.data);
      maps[src] = { buffer, shape: slice.shape, region: slice.region };
    }
    const out = new SharedArrayBuffer(regionVolume(outRegion) * 4);
    maps[last] = { buffer: out, shape: shapes[last]!, region: outRegion };
    for (const k of kept) maps[k.layer] = { buffer: new SharedArrayBuffer(regionVolume(k.region) * 4), shape: shapes[k.layer]!, region: k.region };
    const names = model.layers.map((l) => l.name);
    await this.runStage(model, { inputShapes: model.inputShapes(inputShape), layerNames: names }, { layers, tasks: [{ id: 0, regions }] }, maps, opts.signal, what);
    return [{ layer: last, region: outRegion }, ...kept].map((k) => Tensor.partial(shapes[k.layer]!, k.region, new Float32Array(maps[k.layer]!.buffer)));
  }

  /** Closes the pool; afterwards no worker thread is left. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.local.close();
    await this.intra?.close();
    this.channel.close();
    await this.pool.destroy();
  }

  /** Live worker threads (for leak checks). */
  get threadCount(): number {
    return this.pool.threads.length;
  }

  /**
   * Runs a stage: one message per worker, tasks claimed through a shared
   * counter. Tasks a dead worker had claimed (or that no live worker got to)
   * run again in another round, each at most `maxRetries` more times. Every
   * message has settled before this returns or throws, so nothing writes into
   * the run's buffers afterwards.
   */
  private async runStage(
    model: Model, p: PlanNames, stage: StageWork, maps: Readonly<Record<number, SharedMap>>, signal: AbortSignal | undefined, what: string,
    resume?: { order: number[]; attempts: number[] },
  ): Promise<void> {
    const maxRetries = this.opts.maxRetries ?? 2;
    const tasks = stage.tasks.map((t) => t.regions);
    const attempts = resume?.attempts ?? new Array<number>(tasks.length).fill(0);
    let order = resume?.order ?? stage.tasks.map((t) => t.id);
    for (let stalls = 0; ; ) {
      const control = new SharedArrayBuffer(4 * (CONTROL.states + tasks.length));
      const ctl = new Int32Array(control);
      const onAbort = (): void => { Atomics.store(ctl, CONTROL.abort, 1); };
      signal?.addEventListener('abort', onAbort);
      if (signal?.aborted) onAbort();
      const msg: StageMessage = {
        kind: 'stage', modelId: model.id, inputShape: p.inputShapes, layers: stage.layers, tasks, order, control, maps,
        faults: this.takeFault(stage, order),
      };
      let results: { reply?: StageReply; died?: unknown }[];
      try {
        results = await Promise.all(Array.from({ length: Math.min(this.threads, order.length) }, () => this.send<StageReply>(msg)));
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
      if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor was closed during the run');
      for (const r of results) {
        if (r.reply?.ok) this.stats.tasks += r.reply.done;
        if (r.reply && !r.reply.ok && 'error' in r.reply) {
          const e = r.reply.error;
          throw new TesseraError(e.code, `${e.message} (model '${model.name}')`, { layer: e.layer, region: e.region });
        }
      }
      throwIfAborted(signal, what);
      const left = order.filter((id) => Atomics.load(ctl, CONTROL.states + id) !== TASK_DONE);
      if (left.length === 0) return;
      const died = results.find((r) => r.died !== undefined)?.died;
      const reason = died === undefined ? 'no worker finished the stage' : this.deathReason(died);
      const lost = left.filter((id) => Atomics.load(ctl, CONTROL.states + id) === TASK_CLAIMED);
      // Every worker died before claiming anything: count the round against the stage.
      stalls = lost.length === 0 ? stalls + 1 : 0;
      for (const id of lost) {
        if (++attempts[id]! > maxRetries) {
          throw new TesseraError('WORKER_LOST', `worker lost ${attempts[id]} time(s) running ${describe(p, stage, stage.tasks[id]!)}: ${reason}`,
            { layers: stage.layers, region: tasks[id]![tasks[id]!.length - 1] });
        }
        this.stats.retries++;
      }
      if (stalls > maxRetries) {
        throw new TesseraError('WORKER_LOST', `workers died ${stalls} time(s) before running any task of ${describe(p, stage, stage.tasks[left[0]!]!)}: ${reason}`,
          { layers: stage.layers });
      }
      order = left;
    }
  }

  /**
   * Every stage of a plan with one message per worker (PlanMessage), run as
   * a dataflow: a task starts once the tasks it depends on are done
   * (taskDependencies), so no worker idles at a stage's end while work it
   * could do is ready, and nothing waits for a round trip to this thread. If
   * a worker dies, the others stop, and the run goes on stage by stage
   * (runStage) with the tasks not done, retrying what the dead worker took.
   * Every message has settled before this returns or throws.
   */
  private async runStages(model: Model, p: TilePlan, maps: readonly Record<number, SharedMap>[], signal: AbortSignal | undefined, what: string): Promise<void> {
    throwIfAborted(signal, what);
    const counts = p.stages.map((st) => st.tasks.length);
    const { offsets, deps, table } = taskDependencies(model, p);
    const slots = planSlots(counts);
    const ctl = new Int32Array(new SharedArrayBuffer(4 * slots.size));
    const stop = (): void => { Atomics.store(ctl, slots.abort, 1); };
    const layout = planLayout(p, maps);
    const slotMaps = layout.slots.map((producer, i) => maps[layout.stageOf[i]!]![producer]!);
    const faults = p.stages.map((st) => this.takeFault(st, st.tasks.map((t) => t.id)));
    const msg: PlanMessage = {
      kind: 'plan', modelId: model.id, inputShape: p.inputShapes, control: ctl.buffer as SharedArrayBuffer, deps: table,
      layout: layout.shared, buffers: slotMaps.map((m) => m.buffer), byteOffsets: slotMaps.map((m) => m.byteOffset ?? 0),
      ...(faults.some((f) => f !== undefined) ? { faults } : {}),
    };
    signal?.addEventListener('abort', stop);
    if (signal?.aborted) stop();
    let results: { reply?: StageReply | PlanReply; died?: unknown }[];
    try {
      results = await Promise.all(Array.from({ length: Math.min(this.threads, deps.length) }, async () => {
        const r = await this.send<PlanReply>(msg);
        if (r.died !== undefined) stop(); // its claimed task never finishes: the others must not wait for it
        return r;
      }));
    } finally {
      signal?.removeEventListener('abort', stop);
    }
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'PoolExecutor was closed during the run');
    for (const r of results) {
      if (r.reply?.ok) this.stats.tasks += r.reply.done;
      if (r.reply && !r.reply.ok) {
        const e = r.reply.error;
        throw new TesseraError(e.code, `${e.message} (model '${model.name}')`, { layer: e.layer, region: e.region });
      }
    }
    throwIfAborted(signal, what);
    // A worker died: the rest stage by stage. Only tasks not done run again: a done task's inputs may
    // already be overwritten by a later stage (buffer reuse waits only for the readers it had).
    const first = counts.findIndex((n, s) => Atomics.load(ctl, slots.done(s)) < n);
    if (first < 0) return;
    for (let s = first; s < p.stages.length; s++) {
      throwIfAborted(signal, what);
      const stage = p.stages[s]!;
      const state = (t: number): number => Atomics.load(ctl, slots.state(offsets[s]! + t));
      const order = stage.tasks.map((t) => t.id).filter((t) => state(t) !== TASK_DONE);
      if (order.length === 0) continue;
      // Those the dead worker claimed lost one attempt each.
      const attempts = stage.tasks.map((t) => (state(t.id) === TASK_CLAIMED ? 1 : 0));
      const lost = order.filter((t) => attempts[t] === 1);
      this.stats.retries += lost.length;
      if (lost.length && (this.opts.maxRetries ?? 2) < 1) {
        throw new TesseraError('WORKER_LOST', `worker lost running ${describe(p, stage, stage.tasks[lost[0]!]!)}`, { layers: stage.layers });
      }
      await this.runStage(model, p, stage, maps[s]!, signal, what, { order, attempts });
    }
  }

  /** Why a task's worker went: piscina's error, or for a task failed because no worker could start, why they cannot. */
  private deathReason(e: unknown): string {
    if (e instanceof Error && e.name === 'AbortError' && this.lastDeath) return this.lastDeath;
    return e instanceof Error ? e.message : String(e);
  }

  /** Makes `model` available to worker threads that ask for it (most recently used last, bounded). */
  private remember(model: Model): void {
    this.known.delete(model.id);
    this.known.set(model.id, model);
    if (this.known.size > 64) this.known.delete(this.known.keys().next().value!);
  }

  /** A worker lacks a model: broadcast it (weights are shared memory, so nothing is copied). */
  private answerModelRequest(msg: ModelChannelMessage): void {
    if (msg.kind !== 'need') return;
    const model = this.known.get(msg.modelId);
    if (!model) {
      this.channel.postMessage({ kind: 'unknown', modelId: msg.modelId } satisfies ModelChannelMessage);
      return;
    }
    this.stats.modelSends++;
    this.channel.postMessage({ kind: 'model', payload: sharedModel(model) } satisfies ModelChannelMessage);
  }

  /** One stage message to one worker. Never rejects: a dead worker is reported as `died`. */
  private async send<R extends StageReply | PlanReply>(msg: StageMessage | PlanMessage): Promise<{ reply?: R; died?: unknown }> {
    this.stats.inFlight++;
    try {
      return { reply: (await this.pool.run(msg, { signal: this.starved.signal })) as R };
    } catch (e) {
      // The worker died (exit, crash, out of memory); piscina replaces it.
      return { died: e };
    } finally {
      this.stats.inFlight--;
    }
  }

  private takeFault(stage: StageWork, order: readonly number[]): Record<number, Fault> | undefined {
    const f = this.opts.faults;
    if (!f || this.faultsLeft <= 0 || !stage.layers.includes(f.layer)) return undefined;
    this.faultsLeft--;
    return { [order[0]!]: f.fault };
  }
}

/** The ways auto may run one input: the calling thread (alone or on intra-op engine threads), the planner's cut, or one strategy throughout. */
type AutoPath = 'local' | 'engine-threads' | 'plan' | 'layer-wise' | 'fused';
const AUTO_PATHS: readonly AutoPath[] = ['local', 'engine-threads', 'plan', 'layer-wise', 'fused'];
/** Whether an auto path runs on the calling thread (no worker, no copy). */
function onCallingThread(p: AutoPath): p is 'local' | 'engine-threads' {
  return p === 'local' || p === 'engine-threads';
}
/** Timed runs of each path before auto settles. */
const AUTO_ROUNDS = 3;
/** A path whose fastest run took over this many times the fastest path's is not timed again (its rounds would cost the caller more than noise could hide). */
const DROP_AFTER = 1.25;
/** Once settled, one run in this many takes the runner-up path instead, timed. */
const RECHECK_EVERY = 16;

/** What runStage needs of a plan: a whole TilePlan, or just the names for a single tile. */
type PlanNames = Pick<TilePlan, 'inputShapes' | 'layerNames'>;

function describe(p: PlanNames, stage: StageWork, task: Task): string {
  const l = stage.layers[stage.layers.length - 1]!;
  return `layer ${l} '${p.layerNames[l]}' region ${fmtRegion(task.regions[task.regions.length - 1]!)}`;
}

/** Every queued task listens to it: no listener limit. */
function starvedController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/** A result computed elsewhere, delivered into the caller's `out` when one was given. */
function into(result: Tensor, out: Tensor | undefined): Tensor {
  if (!out) return result;
  out.data.set(result.toFloat32Array(), out.offset);
  return out;
}

/** A one-output run's result delivered into `out` when one was given; several outputs as they are. */
function intoAll(results: Tensor[], out: Tensor | undefined): Tensor[] {
  return out ? [into(results[0]!, out)] : results;
}

/** A plan's layout as sent, its slots' producers, and for each slot a stage whose maps hold it. */
interface SentLayout { shared: PlanLayout; slots: readonly number[]; stageOf: readonly number[] }
const layouts = new WeakMap<TilePlan, SentLayout>();

/**
 * A plan's layout for its workers (PlanLayoutSpec), made once per plan: the
 * stages, and a slot per feature map its stages read or write — every run
 * of the plan maps the same producers, only the buffers differ.
 */
function planLayout(p: TilePlan, maps: readonly Readonly<Record<number, SharedMap>>[]): SentLayout {
  const hit = layouts.get(p);
  if (hit) return hit;
  const slots = [...new Set(maps.flatMap((m) => Object.keys(m).map(Number)))];
  const stageOf = slots.map((producer) => maps.findIndex((m) => m[producer] !== undefined));
  const slotOf = new Map(slots.map((producer, i) => [producer, i]));
  const spec: PlanLayoutSpec = {
    stages: p.stages.map((st, s) => ({
      layers: st.layers, tasks: st.tasks.map((t) => t.regions),
      maps: Object.fromEntries(Object.keys(maps[s]!).map((producer) => [producer, slotOf.get(Number(producer))!])),
    })),
    slots,
  };
  const bytes = new TextEncoder().encode(JSON.stringify(spec));
  const json = new SharedArrayBuffer(bytes.length);
  new Uint8Array(json).set(bytes);
  const made = { shared: { key: randomUUID(), json }, slots, stageOf };
  layouts.set(p, made);
  return made;
}

/** A cache key for the shapes of a run's inputs. */
function shapesKey(shapes: readonly Shape[]): string {
  return shapes.map((s) => s.join(',')).join(';');
}

/**
 * A tensor as a SharedMap: in place when it already lives in shared memory
 * (the kernel engine's memory is a shared WebAssembly.Memory, so an input
 * or `out` LocalExecutor-style code keeps there costs no copy), copied once
 * otherwise.
 */
function sharedView(t: Tensor): SharedMap {
  if (t.isShared && t.isContiguous) return { buffer: t.data.buffer as SharedArrayBuffer, byteOffset: t.data.byteOffset + t.offset * 4, shape: t.shape };
  const buffer = new SharedArrayBuffer(t.size * 4);
  new Float32Array(buffer).set(t.toFloat32Array());
  return { buffer, shape: t.shape };
}
