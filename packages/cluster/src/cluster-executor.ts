import { randomUUID } from 'node:crypto';
import {
  StorageType, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type MsgRequest, type NextMsgRequest,
} from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import {
  Tensor, TesseraError, checkInt, copyRegion, fmtRegion, fullRegion, isTesseraError, regionsEqual, regionVolume,
  type ErrorCode, type Region, type Shape,
} from '@tessera/tensor';
import { INPUT, fuseLayers, throwIfAborted, type Executor, type Model, type RunOptions } from '@tessera/nn';
import { plan, taskReads, type Stage, type TilePlan } from '@tessera/scheduler';
import {
  TILE_PROTOCOL_VERSION, decodeTileResult, decodeTileSlices, encodeTileSlices, encodeTileTask,
  type TileResult, type TileSlice, type TileTask,
} from './codec.js';
import { connectNats, type NatsCredentials } from './connect.js';
import { Inbox } from './inbox.js';
import { encodedModel, uploadModel } from './model-store.js';
import { modelObjectName, payloadObjectName, resolveNames, resultSubject, taskSubject, type ClusterNames } from './names.js';
import { ensureTaskQueue } from './queue.js';
import { within } from './within.js';

/**
 * How a run is cut into tasks: `whole` — the whole input, every layer, one
 * task (no halo, one round trip; many runs in flight spread over workers);
 * `tiles` — fused tiles (`tiles` of them per stage; one large input over
 * several workers); `auto` (default) — whole unless a tile would still be
 * worth several protocol round trips of compute (AUTO_TILE_MS).
 */
export type ClusterSplit = 'auto' | 'whole' | 'tiles';
const SPLITS: readonly ClusterSplit[] = ['auto', 'whole', 'tiles'];
/** Auto tiles a run only when each tile's estimated compute is at least this long (a task's protocol costs 1–6 ms). */
const AUTO_TILE_MS = 30;

export interface ClusterExecutorOptions extends NatsCredentials {
  /** How many tiles the planner cuts for ("workers" of the plan; default 4). More tiles spread better, cost more halo. */
  tiles?: number;
  /** Whole inputs or fused tiles per task (default 'auto'; see ClusterSplit). */
  split?: ClusterSplit;
  /** A stage that gets no result while no worker holds or asks for a task fails with UNAVAILABLE after this (default 10 000 ms). */
  noWorkerTimeoutMs?: number;
  /** JetStream ack_wait of the workers' consumer: a task held this long by a silent worker is redelivered (default 30 000 ms). */
  ackWaitMs?: number;
  /** JetStream max_deliver of the consumer (default 5). */
  maxDeliver?: number;
  /** A whole run fails with TIMEOUT after this (default 600 000 ms). */
  runTimeoutMs?: number;
  /** While disconnected from NATS, a run waits this long for the client to reconnect, then fails with UNAVAILABLE (default 30 000 ms). */
  reconnectTimeoutMs?: number;
  /** How often a waiting run with no new result inspects the queue (default 1000 ms). */
  checkIntervalMs?: number;
  /** Times one tile may be re-sent after its result was lost before the run fails with WORKER_LOST (default 3). */
  maxResends?: number;
  /** Largest message sent (default: the server's max_payload); bigger task inputs go through the object store. */
  maxMessageBytes?: number;
  /** Stream, subjects, consumer and bucket names (defaults in names.ts). */
  names?: Partial<ClusterNames>;
  /** Client name shown by the server (default tessera-coordinator). */
  name?: string;
}

export interface ClusterStats {
  runs: number;
  /** Task messages published, re-sends included. */
  tasksSent: number;
  /** Results accepted (first per tile). */
  results: number;
  /** Results for tiles already done (a redelivered task finished twice), dropped. */
  duplicatesDropped: number;
  /** Tasks re-sent because their result was lost (e.g. across a server restart). */
  resends: number;
  /** Error results and results that failed to decode or did not match their task. */
  errors: number;
  /** Task bytes published (object-store payloads included); model uploads are in modelBytes. */
  bytesOut: number;
  /** Result bytes received (object-store payloads included). */
  bytesIn: number;
  /** Models uploaded to the object store, and their bytes. */
  modelUploads: number;
  modelBytes: number;
  /** Accepted tiles per worker id. */
  perWorker: Record<string, number>;
}

/** A task of the current stage as the coordinator tracks it. */
interface Pending {
  readonly tileId: number;
  readonly region: Region;
  task: TileTask;
  attempt: number;
  resends: number;
}

type RunEvent = { kind: 'result'; data: Uint8Array } | { kind: 'abort' } | { kind: 'closed' };

/** The executor's NATS handles (tests and tools inspect the queue and bucket through them). */
export interface ClusterConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: ObjectStore;
  maxMessageBytes: number;
}

const DEFAULTS = {
  tiles: 4, noWorkerTimeoutMs: 10_000, ackWaitMs: 30_000, maxDeliver: 5, runTimeoutMs: 600_000,
  reconnectTimeoutMs: 30_000, checkIntervalMs: 1000, maxResends: 3,
};

/** Bytes kept free in a message for the header fields around the slices. */
const FRAMING_BYTES = 64 * 1024;

/**
 * Runs models on `tessera-worker` processes through NATS JetStream
 * (DESIGN.md §4). Each run is planned with the fused strategy (a tile needs
 * no data from its neighbours between layers; halos are recomputed); every
 * stage's tiles go as TileTasks into a work-queue stream, carrying exactly
 * the input rectangles they read; the coordinator assembles the stage's
 * output from TileResults by tile id — first result wins, later ones are
 * dropped and counted — and slices the next stage's inputs from it.
 * Output is bit-identical to LocalExecutor: same kernels, same regions.
 *
 * Results come back on a plain subscription to `<results>.<runId>`, not a
 * stream: exactly one party (this run) wants them, only while it waits, so
 * storing and acking them would buy nothing. The one way to lose a result is
 * a server restart while it is in flight; that is covered at the source: a
 * worker acks a task only after its result reached the server, so a task
 * whose result was lost is either still in the queue (redelivered) or gone
 * from it with no result here — and then the coordinator re-sends it.
 *
 * Server restart mid-run: the run COMPLETES if the server is back within
 * `reconnectTimeoutMs` (default 30 s). The client reconnects and
 * re-subscribes by itself; stream, consumer, models and queued tasks are in
 * the JetStream file store and survive; publishes that failed meanwhile are
 * retried (deduplicated by message id); a task that left the queue with no
 * result here is re-sent after two quiet queue checks (`checkIntervalMs`
 * apart). A server that stays away fails the run with UNAVAILABLE after
 * `reconnectTimeoutMs`; nothing waits longer than `runTimeoutMs` (TIMEOUT).
 */
export class ClusterExecutor implements Executor {
  readonly stats: ClusterStats = {
    runs: 0, tasksSent: 0, results: 0, duplicatesDropped: 0, resends: 0, errors: 0,
    bytesOut: 0, bytesIn: 0, modelUploads: 0, modelBytes: 0, perWorker: {},
  };
  readonly names: ClusterNames;
  private readonly opts: ClusterExecutorOptions;
  private readonly o: typeof DEFAULTS;
  private conn: Promise<ClusterConnection> | undefined;
  private readonly uploaded = new Set<string>();
  /** Model uploads in progress, by object name. */
  private readonly uploading = new Map<string, Promise<{ version: string; uploaded: boolean; bytes: number }>>();
  private readonly plans = new Map<string, TilePlan>();
  private readonly active = new Set<Inbox<RunEvent>>();
  /** When the connection dropped (undefined while connected). */
  private disconnectedAt: number | undefined;
  private closed = false;

  constructor(opts: ClusterExecutorOptions) {
    this.opts = opts;
    this.names = resolveNames(opts.names);
    const o = { ...DEFAULTS };
    for (const k of Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[]) {
      if (opts[k] !== undefined) o[k] = checkInt(`ClusterExecutor ${k}`, opts[k], k === 'maxResends' ? 0 : 1);
    }
    this.o = o;
    if (opts.split !== undefined && !SPLITS.includes(opts.split)) {
      throw new TesseraError('BAD_ARGUMENT', `ClusterExecutor split must be one of ${SPLITS.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(opts.split)}`, { split: opts.split });
    }
    if (opts.maxMessageBytes !== undefined) checkInt('ClusterExecutor maxMessageBytes', opts.maxMessageBytes, 2 * FRAMING_BYTES);
  }

  /** Connects (once), creates the stream, consumer and bucket if needed. Runs call it; callers may too, to fail early. */
  connect(): Promise<ClusterConnection> {
    if (this.closed) return Promise.reject(new TesseraError('UNAVAILABLE', 'ClusterExecutor is closed'));
    this.conn ??= this.open().catch((e) => {
      this.conn = undefined;
      throw e;
    });
    return this.conn;
  }

  async run(original: Model, input: Tensor, opts: RunOptions = {}): Promise<Tensor> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'ClusterExecutor is closed');
    const what = `cluster run of model '${original.name}'`;
    throwIfAborted(opts.signal, what);
    original.shapes(input.shape); // validates the input against every layer, naming the layer
    // The fused model is what is planned, uploaded (under its own id, `<id>+fused`) and run by the workers.
    const model = fuseLayers(original);
    const c = await this.connect();
    throwIfAborted(opts.signal, what);
    const up = await this.upload(c, model).catch((e: unknown) => {
      if (isTesseraError(e)) throw e;
      throw new TesseraError('UNAVAILABLE', `cannot upload model '${model.name}' to bucket '${this.names.bucket}': ${(e as Error).message}`, {}, { cause: e });
    });
    if (up.uploaded) {
      this.stats.modelUploads++;
      this.stats.modelBytes += up.bytes;
    }
    const p = this.plan(model, input.shape);
    this.stats.runs++;

    const runId = randomUUID();
    const inbox = new Inbox<RunEvent>();
    const sub: Subscription = c.nc.subscribe(resultSubject(this.names, runId), {
      callback: (err, msg) => { if (!err) inbox.push({ kind: 'result', data: msg.data }); },
    });
    const onAbort = (): void => inbox.push({ kind: 'abort' });
    opts.signal?.addEventListener('abort', onAbort);
    this.active.add(inbox);
    const objects = new Set<string>();
    // Tiles done in this run, all stages: a late duplicate of an earlier stage's tile is still counted.
    const done = new Set<number>();
    try {
      // Wait for the subscription to reach the server before any task can finish.
      await c.nc.flush();
      const deadline = Date.now() + this.o.runTimeoutMs;
      const maps = new Map<number, Tensor>([[INPUT, input]]);
      let base = 0;
      for (const [s, stage] of p.stages.entries()) {
        const last = stage.layers[stage.layers.length - 1]!;
        const out = await this.runStage(c, {
          model, p, stage, s, base, runId, version: up.version, maps, inbox, deadline, objects, done, signal: opts.signal, what,
        });
        maps.set(last, out);
        // Drop maps no later stage reads (the output stays).
        for (const k of [...maps.keys()]) {
          if (k !== model.output && !p.stages.slice(s + 1).some((st) => st.layers.some((l) => model.layers[l]!.inputs.includes(k)))) maps.delete(k);
        }
        base += stage.tasks.length;
      }
      return maps.get(model.output)!;
    } finally {
      this.active.delete(inbox);
      opts.signal?.removeEventListener('abort', onAbort);
      sub.unsubscribe();
      await this.cleanUp(c, runId, objects);
    }
  }

  /** Drains the connection (pending publishes are flushed, subscriptions closed); runs still waiting fail with UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const inbox of this.active) inbox.push({ kind: 'closed' });
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    let c: ClusterConnection;
    try {
      c = await conn;
    } catch {
      return; // never connected: nothing to drain
    }
    // Drain fails or stalls while the server is away; the connection is closed regardless,
    // else its reconnect loop would keep the process alive.
    if (!c.nc.isClosed() && this.disconnectedAt === undefined) await within(c.nc.drain(), 5000);
    if (!c.nc.isClosed()) await c.nc.close();
  }

  /** The plan of `fuseLayers(model)` on `inputShape` this executor runs (cached): fused tiles, or one whole-input task (see ClusterSplit). */
  plan(original: Model, inputShape: Shape = original.inputShape): TilePlan {
    const model = fuseLayers(original);
    const key = `${model.id}|${inputShape.join(',')}`;
    let p = this.plans.get(key);
    if (!p) {
      const tiles = plan(model, inputShape, { workers: this.o.tiles, strategy: 'fused' });
      const split = this.opts.split ?? 'auto';
      const tileMs = Math.min(...tiles.stages.map((st) => st.estimatedMs / Math.max(1, st.tasks.length) * Math.min(st.tasks.length, this.o.tiles)));
      p = split === 'tiles' || (split === 'auto' && tileMs >= AUTO_TILE_MS) ? tiles : wholePlan(model, inputShape, tiles);
      if (this.plans.size > 256) this.plans.clear();
      this.plans.set(key, p);
    }
    return p;
  }

  private async open(): Promise<ClusterConnection> {
    const nc = await connectNats(this.opts, this.opts.name ?? 'tessera-coordinator');
    try {
      void this.watch(nc);
      const maxMessageBytes = Math.min(this.opts.maxMessageBytes ?? Infinity, nc.info?.max_payload ?? 1024 * 1024);
      const jsm = await jetstreamManager(nc);
      await ensureTaskQueue(jsm, this.names, { ackWaitMs: this.o.ackWaitMs, maxDeliver: this.o.maxDeliver, maxMessageBytes: nc.info?.max_payload ?? maxMessageBytes });
      const js = jetstream(nc);
      const store = await new Objm(js).create(this.names.bucket, { storage: StorageType.File });
      return { nc, js, jsm, store, maxMessageBytes };
    } catch (e) {
      await nc.close().catch(() => {});
      if (isTesseraError(e)) throw e;
      throw new TesseraError('UNAVAILABLE', `cannot set up JetStream stream '${this.names.stream}' on ${String(this.opts.servers)}: ${(e as Error).message}`, {}, { cause: e });
    }
  }

  /**
   * uploadModel, once per model version even when several runs of it start at once: they share
   * the upload in progress (only the first counts it), rather than each putting the same object.
   */
  private upload(c: ClusterConnection, model: Model): Promise<{ version: string; uploaded: boolean; bytes: number }> {
    const name = modelObjectName(model.id, encodedModel(model).version);
    const inFlight = this.uploading.get(name);
    if (inFlight) return inFlight.then((up) => ({ ...up, uploaded: false, bytes: 0 }));
    const p = uploadModel(c.store, model, this.uploaded).finally(() => this.uploading.delete(name));
    this.uploading.set(name, p);
    return p;
  }

  /** Tracks disconnects, so a waiting run can fail once the server has been gone too long. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.disconnectedAt ??= Date.now();
      else if (s.type === 'reconnect') this.disconnectedAt = undefined;
    }
  }

  private async runStage(c: ClusterConnection, r: {
    model: Model; p: TilePlan; stage: Stage; s: number; base: number; runId: string; version: string;
    maps: Map<number, Tensor>; inbox: Inbox<RunEvent>; deadline: number; objects: Set<string>; done: Set<number>;
    signal: AbortSignal | undefined; what: string;
  }): Promise<Tensor> {
    const { model, p, stage } = r;
    const last = stage.layers[stage.layers.length - 1]!;
    const shape = p.shapes[last]!;
    const out = Tensor.zeros(shape);
    const subject = taskSubject(this.names, r.runId);
    const pending = new Map<number, Pending>();
    const done = r.done;

    for (const t of stage.tasks) {
      const tileId = r.base + t.id;
      const reads = taskReads(model, p.inputShape, stage.layers, t.regions);
      const inputs: TileSlice[] = [...reads].map(([src, region]) => {
        const map = r.maps.get(src)!;
        return { source: src, shape: map.shape, region, data: map.view(region).clone().toFloat32Array() };
      });
      const task: TileTask = {
        version: TILE_PROTOCOL_VERSION, runId: r.runId, tileId, stage: r.s, modelId: model.id, modelVersion: r.version,
        inputShape: p.inputShape, layers: stage.layers, regions: t.regions, inputs, attempt: 1,
      };
      pending.set(tileId, { tileId, region: t.regions[t.regions.length - 1]!, task, attempt: 1, resends: 0 });
    }
    // Publish all tasks of the stage, then wait; results arriving meanwhile queue in the inbox.
    for (const t of pending.values()) await this.publish(c, subject, t, r);

    let lastProgress = Date.now();
    let lastCheck = Date.now();
    let emptyChecks = 0;
    let deadChecks = 0;
    while (pending.size > 0) {
      const ev = await r.inbox.take(Math.min(this.o.checkIntervalMs, Math.max(0, r.deadline - Date.now())));
      if (ev?.kind === 'abort') throwIfAborted(r.signal, r.what);
      if (ev?.kind === 'closed') throw new TesseraError('UNAVAILABLE', `ClusterExecutor was closed during the ${r.what}`);
      if (ev?.kind === 'result') {
        if (await this.accept(c, ev.data, r.runId, pending, done, out, last, shape)) {
          lastProgress = Date.now();
          emptyChecks = 0;
        }
        continue;
      }
      throwIfAborted(r.signal, r.what);
      const now = Date.now();
      if (now >= r.deadline) {
        throw new TesseraError('TIMEOUT', `${r.what} did not finish within ${this.o.runTimeoutMs} ms (${pending.size} tile(s) of stage ${r.s} outstanding on stream '${this.names.stream}' subject '${subject}')`);
      }
      if (this.disconnectedAt !== undefined && now - this.disconnectedAt >= this.o.reconnectTimeoutMs) {
        throw new TesseraError('UNAVAILABLE', `NATS at ${String(this.opts.servers)} unreachable for ${now - this.disconnectedAt} ms (limit ${this.o.reconnectTimeoutMs} ms) during the ${r.what}`);
      }
      if (now - lastProgress < this.o.checkIntervalMs || now - lastCheck < this.o.checkIntervalMs || this.disconnectedAt !== undefined) continue;
      lastCheck = now;
      const q = await this.inspect(c, subject);
      if (!q) continue; // the server did not answer (restarting): try again next time
      if (q.left === 0) {
        // None of this run's tasks is queued or held, yet tiles are missing: their results were lost.
        // Twice in a row, so a result already on its way is not mistaken for a lost one.
        if (++emptyChecks < 2) continue;
        emptyChecks = 0;
        for (const t of pending.values()) {
          if (++t.resends > this.o.maxResends) {
            throw new TesseraError('WORKER_LOST', `tile ${t.tileId} (${fmtRegion(t.region)} of layer ${last}) lost its result ${t.resends} time(s) in the ${r.what}`);
          }
          this.stats.resends++;
          t.attempt++;
          await this.publish(c, subject, t, r);
        }
        lastProgress = Date.now();
        continue;
      }
      emptyChecks = 0;
      // Queued but neither held nor deliverable: every delivery was used up (max_deliver), e.g. a tile
      // that kills each worker that takes it. Twice in a row, as above.
      if (q.held === 0 && q.undelivered === 0 && q.waiting > 0) {
        if (++deadChecks >= 2) {
          throw new TesseraError('WORKER_LOST', `${q.left} task(s) of the ${r.what} on subject '${subject}' reached max_deliver ${this.o.maxDeliver} without a result`);
        }
        continue;
      }
      deadChecks = 0;
      if (q.held === 0 && q.waiting === 0 && now - lastProgress >= this.o.noWorkerTimeoutMs) {
        throw new TesseraError('UNAVAILABLE',
          `no worker took a task within ${this.o.noWorkerTimeoutMs} ms: ${q.left} task(s) of the ${r.what} wait on stream '${this.names.stream}' subject '${subject}' (consumer '${this.names.consumer}')`,
          { stream: this.names.stream, subject });
      }
    }
    return out;
  }

  /** Publishes one task (inputs through the object store when too big), retrying while the server is away. */
  private async publish(c: ClusterConnection, subject: string, t: Pending, r: { runId: string; deadline: number; objects: Set<string>; what: string }): Promise<void> {
    let task: TileTask = { ...t.task, attempt: t.attempt };
    let bytes = encodeTileTask(task);
    if (bytes.length > c.maxMessageBytes) {
      const name = payloadObjectName(r.runId, t.tileId, 'in', 1);
      if (!r.objects.has(name)) {
        const blob = encodeTileSlices(t.task.inputs);
        await this.retry(() => c.store.putBlob({ name }, blob), r, `store inputs of tile ${t.tileId}`);
        r.objects.add(name);
        this.stats.bytesOut += blob.length;
      }
      task = { ...task, inputs: [], inputsRef: name };
      bytes = encodeTileTask(task);
    }
    await this.retry(() => c.js.publish(subject, bytes, { msgID: `${r.runId}.${t.tileId}.${t.attempt}`, timeout: 2000 }), r, `publish tile ${t.tileId}`);
    this.stats.tasksSent++;
    this.stats.bytesOut += bytes.length;
  }

  /**
   * Handles one result message; true when it completed a tile. Foreign,
   * undecodable or mismatched results are counted and ignored (the tile is
   * re-sent if its task left the queue); an error result fails the run.
   */
  private async accept(c: ClusterConnection, data: Uint8Array, runId: string, pending: Map<number, Pending>, done: Set<number>, out: Tensor, last: number, shape: Shape): Promise<boolean> {
    this.stats.bytesIn += data.length;
    let res: TileResult;
    try {
      res = decodeTileResult(data, { maxTileBytes: c.maxMessageBytes });
    } catch {
      this.stats.errors++;
      return false;
    }
    if (res.runId !== runId) return false;
    const t = pending.get(res.tileId);
    if (!t) {
      if (done.has(res.tileId)) this.stats.duplicatesDropped++;
      if (res.outputRef) await c.store.delete(res.outputRef).catch(() => {});
      return false;
    }
    if (res.error) {
      this.stats.errors++;
      const code = res.error.code as ErrorCode;
      throw new TesseraError(code, `worker '${res.workerId}' failed tile ${res.tileId}: ${res.error.message}`, { worker: res.workerId, tileId: res.tileId });
    }
    let slice = res.output;
    if (res.outputRef) {
      const blob = await c.store.getBlob(res.outputRef).catch(() => null);
      await c.store.delete(res.outputRef).catch(() => {});
      if (blob) {
        this.stats.bytesIn += blob.length;
        try {
          slice = decodeTileSlices(blob)[0];
        } catch { /* counted below */ }
      }
    }
    if (!slice || slice.source !== last || !sameShape(slice.shape, shape) || !regionsEqual(slice.region, t.region) || slice.data.length !== regionVolume(t.region)) {
      this.stats.errors++;
      return false;
    }
    copyRegion(Tensor.partial(shape, slice.region, slice.data), out, slice.region);
    pending.delete(res.tileId);
    done.add(res.tileId);
    this.stats.results++;
    this.stats.perWorker[res.workerId] = (this.stats.perWorker[res.workerId] ?? 0) + 1;
    return true;
  }

  /**
   * Tasks of the run still in the stream, held by workers, workers asking
   * for tasks, and messages of the stream not yet delivered; undefined if the server did not answer within a check interval
   * (a request made just before a disconnect would otherwise hold the run for
   * the client's full request timeout).
   */
  private async inspect(c: ClusterConnection, subject: string): Promise<{ left: number; held: number; waiting: number; undelivered: number } | undefined> {
    return within((async () => {
      const si = await c.jsm.streams.info(this.names.stream, { subjects_filter: subject });
      const ci = await c.jsm.consumers.info(this.names.stream, this.names.consumer);
      return { left: si.state.subjects?.[subject] ?? 0, held: ci.num_ack_pending, waiting: ci.num_waiting, undelivered: ci.num_pending };
    })(), Math.max(1000, this.o.checkIntervalMs));
  }

  /** Retries `f` while the connection is down or JetStream does not answer, up to the reconnect and run limits. */
  private async retry<T>(f: () => Promise<T>, r: { deadline: number; what: string }, doing: string): Promise<T> {
    const start = Date.now();
    for (let i = 0; ; i++) {
      try {
        return await f();
      } catch (e) {
        const now = Date.now();
        if (this.closed) throw new TesseraError('UNAVAILABLE', `ClusterExecutor was closed during the ${r.what}`);
        if (now - start >= this.o.reconnectTimeoutMs || now >= r.deadline) {
          throw new TesseraError('UNAVAILABLE', `cannot ${doing} of the ${r.what} for ${now - start} ms: ${(e as Error).message}`, {}, { cause: e });
        }
        await new Promise((res) => setTimeout(res, Math.min(1000, 100 * 2 ** i)));
      }
    }
  }

  /**
   * Removes what a finished or failed run left: its queued tasks and its objects. Best effort, bounded: a run never waits on it for long.
   *
   * The tasks are deleted one by one (found by subject), never purged by subject filter: nats-server
   * (2.9) applies a filtered purge to every consumer of the stream — the shared consumer's delivery
   * pointer and ack floor jump to the stream's last sequence — so the other runs' tasks not yet
   * delivered would be skipped for good (and their held ones dropped from redelivery). Deleting a
   * message leaves the consumer's position alone; a held one also leaves its ack pending list.
   */
  private async cleanUp(c: ClusterConnection, runId: string, objects: Set<string>): Promise<void> {
    if (c.nc.isClosed() || this.disconnectedAt !== undefined) return;
    await within(this.deleteTasks(c, taskSubject(this.names, runId)), 2000);
    await within(Promise.all([...objects].map((name) => c.store.delete(name))), 2000);
  }

  /** Deletes every message left under `subject` from the task stream (a worker's ack of one racing this is harmless). */
  private async deleteTasks(c: ClusterConnection, subject: string): Promise<void> {
    for (let seq = 1; ;) {
      // STREAM.MSG.GET takes next_by_subj (nats-server ≥ 2.9); the client's MsgRequest type lists it only for direct gets.
      const next: NextMsgRequest = { next_by_subj: subject, seq };
      const m = await c.jsm.streams.getMessage(this.names.stream, next as unknown as MsgRequest);
      if (!m) return;
      await c.jsm.streams.deleteMessage(this.names.stream, m.seq, false).catch(() => false);
      seq = m.seq + 1;
    }
  }
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** One stage, one task: every layer over its whole output (a tile plan's bookkeeping fields kept). */
function wholePlan(model: Model, inputShape: Shape, tiles: TilePlan): TilePlan {
  const layers = model.layers.map((l) => l.index);
  const flops = tiles.stages.reduce((a, st) => a + st.flops, 0);
  return {
    ...tiles,
    stages: [{
      kind: 'fused', layers, tasks: [{ id: 0, regions: tiles.shapes.map((s) => fullRegion(s)) }], cut: 'whole input',
      flops, taskFlops: flops, bytes: 4 * (tiles.shapes[model.output]!.reduce((a, b) => a * b, 1) + inputShape.reduce((a, b) => a * b, 1)),
      balance: 1, estimatedMs: tiles.stages.reduce((a, st) => a + st.estimatedMs, 0),
    }],
  };
}
