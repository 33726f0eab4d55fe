import { hostname } from 'node:os';
import { jetstream, type Consumer, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { millis, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import {
  Tensor, TesseraError, checkInt, checkKeys, copyRegion, engineLabel, fmtRegion, fmtShape, fullRegion, isTesseraError, regionContains, regionVolume, regionsEqual,
  type EngineOptions, type Shape,
} from '@tessera/tensor';
import { INPUT, checkMemoryBudget, resolveMemoryBudget, type Model } from '@tessera/nn';
import { PoolExecutor, checkTask, shareMemory, taskReads, tileMemory, type RegionData } from '@tessera/scheduler';
import {
  TILE_PROTOCOL_VERSION, decodeTileSlices, decodeTileTask, encodeTileResult, encodeTileSlices,
  type TileError, type TileResult, type TileSlice, type TileTask,
} from './codec.js';
import { connectNats, type NatsCredentials } from './connect.js';
import { lineLogger, type LogLevel, type Logger } from './log.js';
import { fetchModel } from './model-store.js';
import { within } from './within.js';
import { RUN_ID, payloadObjectName, resolveNames, resultSubject, type ClusterNames } from './names.js';

export interface TileWorkerOptions extends NatsCredentials {
  /** Threads of the worker's PoolExecutor (default 1): a whole-input task runs on one of them, a tile on all. */
  threads?: number;
  /**
   * The worker's kernel engine and numeric mode (PoolExecutor's `engine`; default: native exact when the addon
   * loads, else wasm — TESSERA_ENGINE and TESSERA_ENGINE_MODE set it for a `tessera-worker` process). Results
   * carry it; tasks of a run in another mode are refused.
   */
  engine?: EngineOptions;
  /**
   * Tasks held at once (default 2 × threads): while one computes, the next is
   * already pulled and decoded, so the queue's round trip never idles a thread.
   */
  prefetch?: number;
  /** Worker id in results and logs (default host-pid). */
  name?: string;
  /**
   * Feature-map bytes one task may hold (default: half this machine's memory). A task over it is refused
   * before anything is allocated: an error result with code RESOURCE_EXHAUSTED, and the task terminated.
   */
  maxMemoryBytes?: number;
  /** Stream, consumer, subjects and bucket; must match the coordinator's (defaults in names.ts). */
  names?: Partial<ClusterNames>;
  /** Largest message accepted or sent (default: the server's max_payload); bigger outputs go through the object store. */
  maxMessageBytes?: number;
  logLevel?: LogLevel;
  /** Where log lines go (default stdout). */
  log?: Logger;
  /** Testing aid: hold every task this long before computing it (calling working() meanwhile). */
  testDelayMs?: number;
  /** Testing aid: ack the first N tasks without publishing their results (a result lost in transit). */
  testLoseResults?: number;
}

export interface TileWorkerStats {
  /** Tasks taken from the queue. */
  tasks: number;
  /** Results published (error results included) and acked. */
  results: number;
  /** Error results (bad model, bad task, kernel failure). */
  errors: number;
  /** Messages that were not a valid TileTask: terminated, never run. */
  rejected: number;
  /** Tasks handed back (nak) because the result could not be published or the worker was stopping. */
  released: number;
  /** Models fetched from the object store. */
  models: number;
}

/** How long one pull request waits for a task; also bounds how long stop() waits for idle pulls. */
const PULL_EXPIRES_MS = 2000;
const MAX_MODELS = 16;
/** A released copy waits this long before redelivery (longer delays left both workers idle: 200 ms gave verify: 2 about 60 % of the throughput of 2 ms). */
const COPY_RELEASE_DELAY_MS = 2;
/** Deliveries of a copy of a tile done here that are released before this worker takes it anyway. */
const COPY_RELEASES = 2;
const MAX_DONE = 4096;
const OPTION_KEYS: readonly string[] = [
  'servers', 'user', 'pass', 'threads', 'prefetch', 'name', 'maxMemoryBytes', 'names', 'maxMessageBytes', 'logLevel', 'log', 'testDelayMs', 'testLoseResults', 'engine',
];

/**
 * The `tessera-worker` process' engine: pulls at most `threads` tasks at a
 * time from the shared durable consumer, runs each on its own PoolExecutor
 * threads and publishes the TileResult — and only then acks the task, so a
 * crash at any point leaves the task to be redelivered. Untrusted input:
 * a message that does not decode is terminated and counted; a task is
 * checked against its model (decodeModel admits only known ops; layers,
 * regions and input slices are validated) before anything runs; errors go
 * back as error results. Never crashes on a message.
 */
export class TileWorker {
  readonly stats: TileWorkerStats = { tasks: 0, results: 0, errors: 0, rejected: 0, released: 0, models: 0 };
  readonly name: string;
  readonly threads: number;
  readonly prefetch: number;
  readonly names: ClusterNames;
  /** Feature-map bytes one task may hold (maxMemoryBytes). */
  readonly maxMemoryBytes: number;
  private readonly opts: TileWorkerOptions;
  private readonly log: Logger;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private store: ObjectStore | undefined;
  private pool: PoolExecutor | undefined;
  private readonly models = new Map<string, Promise<Model>>();
  private loops: Promise<void>[] = [];
  private stopping = false;
  private workingEveryMs = 1000;
  private maxMessageBytes = 1024 * 1024;
  private lost = 0;
  private presence: Subscription | undefined;
  /** Tiles in hand, as `<runId>/<tileId>`: a second copy of one (verify, or a redelivery) is left to another worker. */
  private readonly inHand = new Set<string>();
  /** Tiles done lately (bounded, oldest first): another copy of one is also left to another worker, for a while. */
  private readonly done = new Set<string>();

  constructor(opts: TileWorkerOptions) {
    checkKeys('TileWorker options', opts, OPTION_KEYS);
    this.opts = opts;
    this.maxMemoryBytes = resolveMemoryBudget('tessera-worker maxMemoryBytes', opts.maxMemoryBytes);
    this.threads = checkInt('tessera-worker threads', opts.threads ?? 1, 1);
    this.prefetch = checkInt('tessera-worker prefetch', opts.prefetch ?? 2 * this.threads, 1);
    this.name = opts.name ?? `${hostname()}-${process.pid}`;
    this.names = resolveNames(opts.names);
    this.log = opts.log ?? lineLogger(this.name, opts.logLevel ?? 'info');
    if (opts.testDelayMs !== undefined) checkInt('tessera-worker testDelayMs', opts.testDelayMs, 0);
  }

  /** Connects, waits for the task consumer to exist, starts pulling. Resolves once pulling. */
  async start(): Promise<void> {
    this.nc = await connectNats(this.opts, `tessera-worker ${this.name}`, 'worker');
    this.maxMessageBytes = Math.min(this.opts.maxMessageBytes ?? Infinity, this.nc.info?.max_payload ?? this.maxMessageBytes);
    this.js = jetstream(this.nc);
    this.pool = new PoolExecutor({ threads: this.threads, strategy: 'fused', maxMemoryBytes: this.maxMemoryBytes, ...(this.opts.engine ? { engine: this.opts.engine } : {}) });
    void this.watch(this.nc);
    // Presence: coordinators ask here before a run, so "no worker" is known at once (a no-responders answer).
    this.presence = this.nc.subscribe(this.names.presence, { callback: (_e, m) => { if (!this.stopping) m.respond(this.name); } });
    const consumer = await this.bind();
    if (!consumer) return;
    this.loops = Array.from({ length: this.prefetch }, () => this.pullLoop(consumer));
    this.log('info', `ready: ${this.threads} thread(s), ${this.prefetch} task(s) in hand, stream '${this.names.stream}' consumer '${this.names.consumer}', working() every ${this.workingEveryMs} ms`);
  }

  /**
   * Stops pulling, finishes the tasks in hand (their results are published and
   * acked), drains the connection and closes the pool. Tasks that arrive
   * after the stop are handed back (nak) at once.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.presence?.unsubscribe();
    this.log('info', 'stopping: finishing tasks in hand');
    await Promise.all(this.loops);
    if (this.nc && !this.nc.isClosed()) await within(this.nc.drain(), 5000);
    // A drain that failed (server away) leaves the connection reconnecting forever: close it.
    if (this.nc && !this.nc.isClosed()) await this.nc.close().catch(() => {});
    await this.pool?.close();
    this.log('info', `stopped: ${JSON.stringify(this.stats)}`);
  }

  /** Resolves when the connection closed for good (drained, or refused). */
  async closed(): Promise<void> {
    await this.nc?.closed();
  }

  /** Waits (retrying) until the coordinator has created the stream and consumer; reads ack_wait from it. */
  private async bind(): Promise<Consumer | undefined> {
    let warned = false;
    while (!this.stopping) {
      try {
        const c = await this.js!.consumers.get(this.names.stream, this.names.consumer);
        const info = await c.info(true);
        this.workingEveryMs = Math.max(100, Math.floor(millis(info.config.ack_wait ?? 30e9) / 3));
        this.store ??= await new Objm(this.js!).open(this.names.bucket);
        return c;
      } catch (e) {
        if (!warned) this.log('info', `waiting for stream '${this.names.stream}' consumer '${this.names.consumer}' and bucket '${this.names.bucket}': ${(e as Error).message}`);
        warned = true;
        await sleep(500);
      }
    }
    return undefined;
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.log('warn', 'disconnected from NATS; reconnecting');
      else if (s.type === 'reconnect') this.log('info', 'reconnected to NATS');
    }
  }

  /** One slot: pull one task, run it, repeat. `prefetch` slots bound the tasks in hand. */
  private async pullLoop(consumer: Consumer): Promise<void> {
    while (!this.stopping) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (e) {
        if (this.stopping) break;
        this.log('debug', `pull failed: ${(e as Error).message}`);
        await sleep(250);
        continue;
      }
      if (!msg) continue;
      if (this.stopping) {
        this.stats.released++;
        msg.nak();
        break;
      }
      try {
        await this.handle(msg);
      } catch (e) {
        // handle() answers every failure itself; this is a last line so a slot never dies.
        this.log('error', `task seq ${msg.seq} failed outside the task: ${(e as Error).message}`);
      }
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    const received = performance.now();
    this.stats.tasks++;
    let task: TileTask;
    try {
      // Slices stay views of the message (no copy): each is copied once, into the pool's shared memory, when it runs.
      task = decodeTileTask(msg.data, { maxTileBytes: this.maxMessageBytes }, { copy: 'when-needed' });
      if (!RUN_ID.test(task.runId)) throw new TesseraError('BAD_ARGUMENT', `run id ${JSON.stringify(task.runId.slice(0, 80))} is not a subject-safe token`);
    } catch (e) {
      this.stats.rejected++;
      this.log('warn', `rejected message seq ${msg.seq} on '${msg.subject}' (${msg.data.length} bytes): ${(e as Error).message} [rejected ${this.stats.rejected}]`);
      // No reason text: nats-server 2.9 does not parse "+TERM <reason>" and would redeliver the message.
      msg.term();
      return;
    }
    const key = `${task.runId}/${task.tileId}`;
    if (this.inHand.has(key) || (this.done.has(key) && msg.info.deliveryCount <= COPY_RELEASES)) {
      // Under verify the copies of a tile must reach distinct workers; this one has it already. A copy it
      // only did before (a re-send after a lost result, or this is the only worker) it takes on the third delivery.
      this.stats.released++;
      this.log('debug', `tile ${task.tileId} of run ${task.runId} attempt ${task.attempt}: a copy is in hand or done here; released`);
      msg.nak(COPY_RELEASE_DELAY_MS);
      return;
    }
    this.inHand.add(key);
    this.log('debug', `tile ${task.tileId} of run ${task.runId} received (attempt ${task.attempt}, delivery ${msg.info.deliveryCount})`);
    // Keep the task ours while it runs; ack_wait alone would hand it to another worker.
    const keepAlive = setInterval(() => msg.working(), this.workingEveryMs);
    try {
      const codecMs = performance.now() - received;
      const result = await this.compute(task, received, codecMs);
      if (result.error) this.stats.errors++;
      if (this.lost < (this.opts.testLoseResults ?? 0)) {
        this.lost++;
        this.log('warn', `test: result of tile ${task.tileId} of run ${task.runId} deliberately lost`);
      } else {
        await this.publish(task, result);
      }
      // Refused for its size: no worker with this budget should take it again; answered, so terminate it.
      if (result.error?.code === 'RESOURCE_EXHAUSTED') msg.term();
      else msg.ack();
      this.stats.results++;
      this.log('debug', `tile ${task.tileId} of run ${task.runId} stage ${task.stage} attempt ${task.attempt}: ${result.error ? `error ${result.error.code}` : 'done'} `
        + `(queue ${result.timings.queueMs.toFixed(1)} ms, compute ${result.timings.computeMs.toFixed(1)} ms)`);
    } catch (e) {
      // The result did not reach the server: hand the task back rather than lose it.
      this.stats.released++;
      this.log('warn', `tile ${task.tileId} of run ${task.runId}: result not published (${(e as Error).message}); task released`);
      try { msg.nak(); } catch { /* disconnected: it is redelivered after ack_wait */ }
    } finally {
      clearInterval(keepAlive);
      this.inHand.delete(key);
      this.done.add(key);
      if (this.done.size > MAX_DONE) this.done.delete(this.done.values().next().value!);
    }
  }

  /** Runs a decoded task; any failure becomes an error result. */
  private async compute(task: TileTask, received: number, decodeMs: number): Promise<TileResult> {
    const engine = this.pool!.engine;
    const base = { version: TILE_PROTOCOL_VERSION, runId: task.runId, tileId: task.tileId, workerId: this.name, attempt: task.attempt, engine: engineLabel(engine) };
    let started = performance.now();
    try {
      // One run, one numeric mode: a task of another mode is refused, never computed in this one.
      if ((task.engineMode ?? 'exact') !== engine.mode) {
        throw new TesseraError('UNAVAILABLE', `worker '${this.name}' runs engine '${engineLabel(engine)}'; the run asks for mode '${task.engineMode ?? 'exact'}' and never mixes numeric modes`, { engine, mode: task.engineMode ?? 'exact' });
      }
      const model = await this.model(task.modelId, task.modelVersion);
      this.checkMemory(model, task);
      const inputs = task.inputsRef ? await this.fetchInputs(task) : task.inputs;
      const slices = checkInputs(model, task, inputs);
      if (this.opts.testDelayMs) await sleep(this.opts.testDelayMs);
      started = performance.now();
      const last = task.layers[task.layers.length - 1]!;
      let output: TileSlice;
      let extraOutputs: TileSlice[] | undefined;
      if (task.extraOutputs?.length || model.inputs.length > 1) {
        // Model outputs inside the task (a whole-input task of a model with several outputs): each region comes back too.
        // Several model inputs: runBatch takes one, so a whole-input task runs as a tile of the whole output.
        const [tile, ...extra] = await this.pool!.runTileKeeping(model, inputShapesOf(task), task.layers, task.regions, slices, task.extraOutputs ?? []);
        output = { source: last, shape: tile!.shape, region: tile!.partial!, data: tile!.data };
        extraOutputs = extra.map((t, i) => ({ source: task.extraOutputs![i]!, shape: t.shape, region: t.partial!, data: t.data }));
      } else if (isWholeInput(model, task)) {
        // Data parallel: the whole input on one pool thread (no halo; the other threads take the next tasks in hand).
        // The slice holds what the model reads (a VALID conv may skip the last rows); one copy puts it in shared memory.
        const s = slices.get(INPUT)!;
        const x = Tensor.zeros(s.shape, { shared: true });
        copyRegion(Tensor.partial(s.shape, s.region, s.data), x, s.region);
        const [y] = await this.pool!.runBatch(model, [x]);
        output = { source: last, shape: y!.shape, region: fullRegion(y!.shape), data: y!.toFloat32Array() };
      } else {
        const tile = await this.pool!.runTile(model, inputShapesOf(task), task.layers, task.regions, slices);
        output = { source: last, shape: tile.shape, region: tile.partial!, data: tile.data };
      }
      const computeMs = performance.now() - started;
      return { ...base, output, ...(extraOutputs ? { extraOutputs } : {}), timings: { queueMs: started - received, computeMs, codecMs: decodeMs } };
    } catch (e) {
      const error: TileError = {
        code: isTesseraError(e) ? e.code : 'KERNEL_FAILED',
        message: (e instanceof Error ? e.message : String(e)).slice(0, 4000),
      };
      return { ...base, error, timings: { queueMs: 0, computeMs: performance.now() - started, codecMs: decodeMs } };
    }
  }

  /**
   * Refuses (RESOURCE_EXHAUSTED) a task whose feature maps would exceed the budget, from shapes
   * and regions alone — before its slices are fetched or copied and before the pool allocates:
   * a few hundred bytes of model and task can otherwise ask for gigabytes (issue 14).
   */
  private checkMemory(model: Model, task: TileTask): void {
    const inputShapes = inputShapesOf(task);
    checkTask(model, inputShapes, task.layers, task.regions);
    const what = `tile ${task.tileId} of run ${task.runId} on worker '${this.name}'`;
    let need;
    if (isWholeInput(model, task)) need = shareMemory(model, [inputShapes], 1, 1);
    else {
      let readBytes = 0;
      for (const r of taskReads(model, inputShapes, task.layers, task.regions).values()) readBytes += regionVolume(r) * 4;
      need = tileMemory(inputShapes, task.layers, task.regions, readBytes);
    }
    checkMemoryBudget(model, need.inputShape, need.steps, this.maxMemoryBytes, what);
  }

  /** Publishes the result (output through the object store when too big) and waits until the server has it. */
  private async publish(task: TileTask, result: TileResult): Promise<void> {
    let bytes = encodeTileResult(result);
    if (bytes.length > this.maxMessageBytes && result.output) {
      const name = payloadObjectName(task.runId, task.tileId, 'out', task.attempt);
      await this.store!.putBlob({ name }, encodeTileSlices([result.output, ...(result.extraOutputs ?? [])]));
      const { output: _dropped, extraOutputs: _extra, ...rest } = result;
      bytes = encodeTileResult({ ...rest, outputRef: name });
    }
    this.nc!.publish(resultSubject(this.names, task.runId), bytes);
    await this.nc!.flush();
  }

  private async fetchInputs(task: TileTask): Promise<readonly TileSlice[]> {
    const blob = await this.store!.getBlob(task.inputsRef!);
    if (!blob) throw new TesseraError('BAD_ARGUMENT', `task inputs '${task.inputsRef}' are not in the object store`);
    return decodeTileSlices(blob);
  }

  /** A model by id and version, fetched once and cached (bounded); a failed fetch is retried by the next task. */
  private model(id: string, version: string): Promise<Model> {
    const key = `${id}/${version}`;
    let m = this.models.get(key);
    if (!m) {
      this.stats.models++;
      m = fetchModel(this.store!, id, version).catch((e: unknown) => {
        this.models.delete(key);
        if (isTesseraError(e)) throw e;
        throw new TesseraError('BAD_MODEL', `model ${id} version ${version}: ${(e as Error).message}`);
      });
      if (this.models.size >= MAX_MODELS) this.models.delete(this.models.keys().next().value!);
      this.models.set(key, m);
    }
    return m;
  }
}

/** A task of every layer over its whole output, reading the whole input: what PoolExecutor.runBatch computes. */
function isWholeInput(model: Model, task: TileTask): boolean {
  if (task.layers.length !== model.layers.length || task.layers.some((l, i) => l !== i)) return false;
  const shapes = model.shapes(inputShapesOf(task));
  return task.regions.every((r, i) => regionsEqual(r, fullRegion(shapes[i]!)));
}

/**
 * Checks a task against its model: the input shape fits the model, layers
 * and regions are valid (checkTask), and for every map the task reads there
 * is exactly one slice of the right shape covering what it reads.
 * Returns the slices by producer, ready for PoolExecutor.runTile.
 */
export function checkInputs(model: Model, task: TileTask, inputs: readonly TileSlice[]): Map<number, RegionData> {
  const inputShapes = inputShapesOf(task);
  const shapes = model.shapes(inputShapes);
  checkTask(model, inputShapes, task.layers, task.regions);
  const bySource = new Map<number, TileSlice>();
  for (const s of inputs) {
    if (bySource.has(s.source)) throw new TesseraError('BAD_ARGUMENT', `task ${task.tileId} carries two slices of source ${s.source}`);
    bySource.set(s.source, s);
  }
  const out = new Map<number, RegionData>();
  for (const [src, need] of taskReads(model, inputShapes, task.layers, task.regions)) {
    const what = src === INPUT ? 'the model input' : src < 0 ? `model input ${-1 - src}` : `layer ${src}`;
    const s = bySource.get(src);
    if (!s) throw new TesseraError('BAD_ARGUMENT', `task ${task.tileId} reads ${fmtRegion(need)} of ${what} but carries no slice of it`);
    const shape: Shape = src < 0 ? inputShapes[-1 - src]! : shapes[src]!;
    if (s.shape.length !== shape.length || s.shape.some((d, i) => d !== shape[i])) {
      throw new TesseraError('SHAPE_MISMATCH', `task ${task.tileId}: slice of ${what} has shape ${fmtShape(s.shape)}, the model gives ${fmtShape(shape)}`);
    }
    if (!regionContains(s.region, need)) {
      throw new TesseraError('BAD_REGION', `task ${task.tileId}: slice ${fmtRegion(s.region)} of ${what} does not cover the ${fmtRegion(need)} the task reads`);
    }
    if (s.data.length !== regionVolume(s.region)) {
      throw new TesseraError('SHAPE_MISMATCH', `task ${task.tileId}: slice of ${what} holds ${s.data.length} values for a region of ${regionVolume(s.region)}`);
    }
    out.set(src, s);
  }
  return out;
}

/** Every model input's shape of a task: its inputShape, then moreInputShapes (a model with several inputs). */
function inputShapesOf(task: TileTask): Shape[] {
  return [task.inputShape, ...(task.moreInputShapes ?? [])];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
