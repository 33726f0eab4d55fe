import { TesseraError, isTesseraError, type Shape, type Tensor } from '@tessera/tensor';
import {
  RUN_ALL_OPTION_KEYS, checkOneOutput, checkOut, checkRunOptions, fuseLayers, inOrder, outputRecord, checkOneInput, inputTensors, throwIfAborted,
  type Executor, type InputShapes, type Model, type ModelInputs, type RunAllOptions, type RunOptions, type StreamOptions,
} from '@tessera/nn';
import type { TilePlan } from '@tessera/scheduler';
import { clusterPlan } from './cluster-plan.js';
import { Connection, type ClusterConnection } from './connection.js';
import { ModelUploads } from './model-store.js';
import { resolveNames, type ClusterNames } from './names.js';
import { resolveEngineMode, resolveLimits, type ClusterExecutorOptions, type Limits } from './options.js';
import { RoundTripMeter } from './round-trip.js';
import { runInput } from './run-input.js';
import { RunSession, type SessionHost } from './run-session.js';
import { newStats, type ClusterStats } from './stats.js';
import { within } from './within.js';

/** A batch or a stream has no single output tensor to write into: `out` is refused, not ignored. */
const BATCH_KEYS: readonly string[] = ['signal'];
const STREAM_KEYS: readonly string[] = ['signal', 'maxInFlight'];

/**
 * Runs models on `tessera-worker` processes through NATS JetStream
 * (DESIGN.md §4). An input goes whole as one task (no halo, one round trip;
 * a batch or a stream spreads its inputs over the workers, several in flight
 * per worker) or, for one large input, as fused tiles (a tile needs no data
 * from its neighbours between layers; halos are recomputed) — see
 * ClusterSplit. Tasks go as TileTasks into a work-queue stream carrying
 * exactly the input rectangles they read; a run (one input, a batch, or a
 * whole stream) is one RunSession: one result subscription, first result
 * per tile wins. The model is uploaded once (object store) and tasks name it.
 * Output is bit-identical to LocalExecutor.
 */
export class ClusterExecutor implements Executor {
  readonly stats: ClusterStats = newStats();
  readonly names: ClusterNames;
  private readonly opts: ClusterExecutorOptions;
  private readonly limits: Limits;
  private readonly connection: Connection;
  private readonly uploads = new ModelUploads();
  private readonly plans = new Map<string, TilePlan>();
  private readonly sessions = new Set<RunSession>();
  private readonly host: SessionHost;
  /** Until measured, a task's protocol round trip is taken as 5 ms (1–6 ms on loopback, FACTS.md). */
  private readonly roundTrip = new RoundTripMeter(5);
  private closed = false;

  constructor(opts: ClusterExecutorOptions) {
    this.opts = opts;
    this.names = resolveNames(opts.names);
    this.limits = resolveLimits(opts);
    this.connection = new Connection(opts, this.names, this.limits);
    this.host = {
      names: this.names, limits: this.limits, stats: this.stats, servers: String(opts.servers), engineMode: resolveEngineMode(opts),
      isClosed: () => this.closed, disconnectedAt: () => this.connection.disconnectedAt, roundTrip: (ms) => this.roundTrip.add(ms),
      excluded: new Set(),
    };
  }

  /** Connects (once), creates the stream, consumer and bucket if needed. Runs call it; callers may too, to fail early. */
  connect(): Promise<ClusterConnection> {
    if (this.closed) return Promise.reject(new TesseraError('UNAVAILABLE', 'ClusterExecutor is closed'));
    return this.connection.get();
  }

  /** One input; `out` (optional) receives the output (copied in from the assembled result). */
  async run(model: Model, input: Tensor, opts: RunOptions = {}): Promise<Tensor> {
    const what = `cluster run of model '${model.name}'`;
    checkRunOptions('ClusterExecutor.run', opts);
    checkOneOutput(model, 'ClusterExecutor.run');
    checkOneInput(model, 'ClusterExecutor.run');
    if (opts.out) checkOut(opts.out, model.outputShape(input.shape), input, what);
    const y = (await this.runMany(model, [[input]], false, opts, what))[0]![0]!;
    if (!opts.out) return y;
    opts.out.data.set(y.toFloat32Array());
    return opts.out;
  }

  /**
   * Every output of the model by name, from one run: a whole-input task
   * returns the outputs it computes on its way with its result
   * (TileTask.extraOutputs); under fused tiles each output ends a stage.
   */
  async runAll(model: Model, input: ModelInputs, opts: RunAllOptions = {}): Promise<Record<string, Tensor>> {
    checkRunOptions('ClusterExecutor.runAll', opts, RUN_ALL_OPTION_KEYS);
    const xs = inputTensors(model, input, 'ClusterExecutor.runAll');
    return outputRecord(model, (await this.runMany(model, [xs], false, opts, `cluster run of model '${model.name}'`))[0]!);
  }

  /** Every input whole as one task (under split auto), all in flight at once in one run; outputs in input order. */
  async runBatch(model: Model, inputs: readonly Tensor[], opts: RunOptions = {}): Promise<Tensor[]> {
    if (!Array.isArray(inputs)) throw new TesseraError('BAD_ARGUMENT', `runBatch takes an array of input tensors, got ${String(inputs)}`);
    checkRunOptions('ClusterExecutor.runBatch', opts, BATCH_KEYS);
    checkOneOutput(model, 'ClusterExecutor.runBatch');
    checkOneInput(model, 'ClusterExecutor.runBatch');
    return (await this.runMany(model, inputs.map((x) => [x]), inputs.length > 1, opts, `cluster batch run of model '${model.name}'`)).map((outs) => outs[0]!);
  }

  /**
   * Inputs as they come, whole per task (under split auto), at most
   * `maxInFlight` in flight (default: twice the task slots the workers hold
   * open, measured at the start); outputs in input order. The stream is one
   * run on the wire. Stopping early (break, abort) waits for what is in
   * flight and leaves the executor usable.
   */
  async *runStream(original: Model, inputs: AsyncIterable<Tensor> | Iterable<Tensor>, opts: StreamOptions = {}): AsyncGenerator<Tensor> {
    const what = `cluster stream of model '${original.name}'`;
    checkRunOptions('ClusterExecutor.runStream', opts, STREAM_KEYS);
    checkOneOutput(original, 'ClusterExecutor.runStream');
    checkOneInput(original, 'ClusterExecutor.runStream');
    const { c, model, version } = await this.prepare(original, opts.signal, what);
    const limit = opts.maxInFlight ?? await this.defaultInFlight(c);
    const session = await this.openSession(c, what, opts.signal, Infinity);
    try {
      yield* inOrder(inputs, (x) => {
        original.shapes(x.shape); // validates the input against every layer, naming the layer
        this.stats.runs++;
        return runInput(session, model, this.planFused(model, [x.shape], true), version, [x]).then((outs) => outs[0]!);
      }, limit, opts.signal, what);
    } finally {
      await this.closeSession(session);
    }
  }

  /** Drains the connection (pending publishes are flushed, subscriptions closed); runs still waiting fail with UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sessions) s.fail(new TesseraError('UNAVAILABLE', `ClusterExecutor was closed during the ${s.what}`));
    await this.connection.close();
  }

  /**
   * The plan of `fuseLayers(model)` for one input of `inputShape` run alone:
   * fused tiles, or one whole-input task (see ClusterSplit; auto weighs a
   * tile's compute against the round trip measured when first planned).
   */
  plan(original: Model, inputShape?: InputShapes): TilePlan {
    return this.planFused(fuseLayers(original), original.inputShapes(inputShape), false);
  }

  private planFused(model: Model, inputShapes: readonly Shape[], many: boolean): TilePlan {
    const key = `${model.id}|${inputShapes.map((s) => s.join(',')).join(';')}|${many}`;
    let p = this.plans.get(key);
    if (!p) {
      p = clusterPlan(model, inputShapes, this.limits.tiles, this.opts.split ?? 'auto', many, this.roundTrip.ms);
      if (this.plans.size > 256) this.plans.clear();
      this.plans.set(key, p);
    }
    return p;
  }

  /** Per run (its tensor per model input), every output in the model's order. */
  private async runMany(original: Model, runs: readonly (readonly Tensor[])[], many: boolean, opts: RunAllOptions, what: string): Promise<Tensor[][]> {
    runs.forEach((xs) => original.shapes(xs.map((x) => x.shape))); // validates every input against every layer, naming the layer
    const { c, model, version } = await this.prepare(original, opts.signal, what);
    const session = await this.openSession(c, what, opts.signal, Date.now() + this.limits.runTimeoutMs);
    try {
      const outs = runs.map((xs) => {
        this.stats.runs++;
        const out = runInput(session, model, this.planFused(model, xs.map((x) => x.shape), many), version, xs);
        out.catch(() => undefined); // awaited together below
        return out;
      });
      return await Promise.all(outs);
    } finally {
      await this.closeSession(session);
    }
  }

  /** Connects and uploads the fused model (once per version): what is planned, uploaded (as `<id>+fused`) and run by the workers. */
  private async prepare(original: Model, signal: AbortSignal | undefined, what: string): Promise<{ c: ClusterConnection; model: Model; version: string }> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'ClusterExecutor is closed');
    throwIfAborted(signal, what);
    const model = fuseLayers(original);
    const c = await this.connect();
    throwIfAborted(signal, what);
    await this.connection.expectWorkers(c, what); // no worker at all: fail now, once, not after noWorkerTimeoutMs
    throwIfAborted(signal, what);
    const up = await this.uploads.upload(c.store, model).catch((e: unknown) => {
      if (isTesseraError(e)) throw e;
      throw new TesseraError('UNAVAILABLE', `cannot upload model '${model.name}' to bucket '${this.names.bucket}': ${(e as Error).message}`, {}, { cause: e });
    });
    if (up.uploaded) {
      this.stats.modelUploads++;
      this.stats.modelBytes += up.bytes;
    }
    return { c, model, version: up.version };
  }

  private async openSession(c: ClusterConnection, what: string, signal: AbortSignal | undefined, deadline: number): Promise<RunSession> {
    const s = await RunSession.open(c, this.host, what, signal, deadline);
    this.sessions.add(s);
    if (this.closed) s.fail(new TesseraError('UNAVAILABLE', `ClusterExecutor was closed during the ${what}`));
    return s;
  }

  private async closeSession(s: RunSession): Promise<void> {
    this.sessions.delete(s);
    await s.close();
  }

  /**
   * Twice the task slots the workers hold open now (their pull requests
   * waiting plus tasks held), so each worker has its next task queued while
   * it computes; 4..64, 8 when the server does not say.
   */
  private async defaultInFlight(c: ClusterConnection): Promise<number> {
    const ci = await within(c.jsm.consumers.info(this.names.stream, this.names.consumer), 1000);
    if (!ci) return 8;
    return Math.min(64, Math.max(4, 2 * (ci.num_waiting + ci.num_ack_pending)));
  }
}
