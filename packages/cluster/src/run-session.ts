import { randomUUID } from 'node:crypto';
import type { Subscription } from '@nats-io/nats-core';
import { TesseraError, fmtRegion, type NumericMode } from '@tessera/tensor';
import { throwIfAborted } from '@tessera/nn';
import { TILE_PROTOCOL_VERSION, encodeTileSlices, encodeTileTask, type TileSlice, type TileTask } from './codec.js';
import type { ClusterConnection } from './connection.js';
import { payloadObjectName, resultSubject, taskSubject, type ClusterNames } from './names.js';
import type { Limits } from './options.js';
import { deleteRunTasks, runQueueState } from './queue.js';
import { outputsOf, readResult, workerError, type ExpectedOutput } from './result-reader.js';
import { perInput, type ClusterStats } from './stats.js';
import { Ballot, type Vote } from './verify.js';
import { within } from './within.js';

/** What a session needs from its executor. */
export interface SessionHost {
  readonly names: ClusterNames;
  readonly limits: Limits;
  readonly stats: ClusterStats;
  /** The numeric mode of every tile (ClusterExecutorOptions.engine): sent with each task, checked on each result. */
  readonly engineMode: NumericMode;
  /** The servers, for messages. */
  readonly servers: string;
  isClosed(): boolean;
  /** When the connection dropped; undefined while connected. */
  disconnectedAt(): number | undefined;
  /** Reports a task's protocol round trip: result received − task sent − the worker's compute. */
  roundTrip(ms: number): void;
  /** Workers whose result disagreed with k others under `verify` (executor-wide): their results are dropped. */
  readonly excluded: Set<string>;
}

/** A task as the run tracks it until its result arrives. */
interface Outstanding {
  readonly tileId: number;
  /** The task as first sent (attempt 1); re-sends and verify's copies change only the attempt. */
  readonly task: TileTask;
  /** Under verify: the results so far, by worker. */
  readonly ballot: Ballot | undefined;
  /** The task's last layer's region, then its extra outputs' (TileTask.extraOutputs). */
  readonly want: readonly ExpectedOutput[];
  /** Date.now() by which it must be done (runTimeoutMs). */
  readonly deadline: number;
  /** The highest attempt sent: each send (a copy under verify, a re-send) has its own. */
  attempt: number;
  resends: number;
  /** Date.now() when its last publish was acked by JetStream; undefined before. */
  publishedAt: number | undefined;
  /** performance.now() when its last publish began. */
  sentAt: number;
  resolve(s: readonly TileSlice[]): void;
  reject(e: unknown): void;
}

/** A task's content; the session adds the run id, tile id, attempt and protocol version. */
export type TaskSpec = Omit<TileTask, 'version' | 'runId' | 'tileId' | 'attempt'>;

/**
 * One run on the wire: a run id, ONE result subscription and one clean-up
 * for any number of tasks — a single input's stages, a batch, or a whole
 * stream — so a task costs one publish and one result, nothing per input.
 *
 * Results come back on a plain subscription to `<results>.<runId>`, not a
 * stream: exactly one party (this run) wants them, only while it waits, so
 * storing and acking them would buy nothing. First result per tile id wins;
 * later ones are dropped and counted. The one way to lose a result is a
 * server restart while it is in flight; that is covered at the source: a
 * worker acks a task only after its result reached the server, so a task
 * whose result was lost is either still in the queue (redelivered) or gone
 * from it with no result here — and then it is re-sent.
 *
 * Server restart: the client reconnects and re-subscribes by itself; stream,
 * consumer, models and queued tasks are in the JetStream file store and
 * survive; publishes that failed meanwhile are retried (deduplicated by
 * message id); a task that left the queue with no result is re-sent after
 * two quiet queue checks (`checkIntervalMs` apart). A server away longer
 * than `reconnectTimeoutMs` fails the run with UNAVAILABLE; no task waits
 * longer than `runTimeoutMs` (TIMEOUT).
 */
export class RunSession {
  readonly runId = randomUUID();
  readonly subject: string;
  private readonly pending = new Map<number, Outstanding>();
  /** Tiles done (or failed) in this run: a late duplicate is counted, not mistaken for foreign. */
  private readonly done = new Set<number>();
  /** Object-store payloads this run put (oversized task inputs), deleted at close. */
  private readonly objects = new Set<string>();
  private nextTileId = 0;
  private failure: unknown;
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastProgress = Date.now();
  private lastCheck = Date.now();
  private emptyChecks = 0;
  private emptySince = 0;
  private deadChecks = 0;
  private checking = false;
  private readonly onAbort = (): void => {
    try {
      throwIfAborted(this.signal, this.what);
    } catch (e) {
      this.fail(e);
    }
  };

  private constructor(
    private readonly c: ClusterConnection, private readonly host: SessionHost, readonly what: string,
    private readonly signal: AbortSignal | undefined, private readonly deadline: number,
  ) {
    this.subject = taskSubject(host.names, this.runId);
  }

  /** Subscribes to the run's results and waits until the subscription reached the server (before any task can finish). */
  static async open(c: ClusterConnection, host: SessionHost, what: string, signal: AbortSignal | undefined, deadline = Infinity): Promise<RunSession> {
    const s = new RunSession(c, host, what, signal, deadline);
    s.sub = c.nc.subscribe(resultSubject(host.names, s.runId), {
      callback: (err, msg) => { if (!err) void s.onResult(msg.data); },
    });
    signal?.addEventListener('abort', s.onAbort);
    // Checks run on their own clock: a waiting run notices a dead queue, a lost result or a deadline without any message.
    s.timer = setInterval(() => void s.check(), Math.max(50, host.limits.checkIntervalMs / 2));
    try {
      await c.nc.flush();
    } catch (e) {
      await s.close();
      throw new TesseraError('UNAVAILABLE', `cannot subscribe to the results of the ${what}: ${(e as Error).message}`, {}, { cause: e });
    }
    return s;
  }

  /** `n` consecutive tile ids for one stage of one input. */
  tileIds(n: number): number {
    const base = this.nextTileId;
    this.nextTileId += n;
    return base;
  }

  /**
   * Publishes a task; resolves with its output slices (the last layer's, then
   * the extra outputs', as `want` lists them), rejects with the worker's
   * error or the run's failure.
   */
  submit(tileId: number, spec: TaskSpec, want: readonly ExpectedOutput[]): Promise<readonly TileSlice[]> {
    if (this.failure) return Promise.reject(this.failure);
    const task: TileTask = { ...spec, version: TILE_PROTOCOL_VERSION, runId: this.runId, tileId, attempt: 1, engineMode: this.host.engineMode };
    const k = this.host.limits.verify;
    return new Promise<readonly TileSlice[]>((resolve, reject) => {
      const t: Outstanding = {
        tileId, task, want, deadline: Math.min(this.deadline, Date.now() + this.host.limits.runTimeoutMs), ballot: k > 1 ? new Ballot(k) : undefined,
        attempt: k, resends: 0, publishedAt: undefined, sentAt: performance.now(), resolve, reject,
      };
      this.pending.set(tileId, t);
      // Under verify, k copies (attempts 1..k), one per worker that must agree.
      for (let a = 1; a <= k; a++) this.publish(t, a).catch((e: unknown) => this.fail(e));
    });
  }

  /** Fails every task in flight and any later submit with `e` (abort, executor closed, queue dead). */
  fail(e: unknown): void {
    this.failure ??= e;
    for (const t of this.pending.values()) {
      this.done.add(t.tileId);
      t.reject(this.failure);
    }
    this.pending.clear();
  }

  /**
   * Ends the run: stops listening and removes what it left — queued tasks and
   * objects. Best effort, bounded: a run never waits on it for long.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.sub?.unsubscribe();
    if (this.pending.size) this.fail(new TesseraError('ABORTED', `${this.what} ended with tasks in flight`));
    if (this.c.nc.isClosed() || this.host.disconnectedAt() !== undefined) return;
    await within(deleteRunTasks(this.c.jsm, this.host.names, this.subject), 2000);
    await within(Promise.all([...this.objects].map((name) => this.c.store.delete(name))), 2000);
  }

  private settle(t: Outstanding, result: { slices: readonly TileSlice[] } | { error: unknown }): void {
    this.pending.delete(t.tileId);
    this.done.add(t.tileId);
    if ('slices' in result) t.resolve(result.slices);
    else t.reject(result.error);
  }

  /** Publishes one task (inputs through the object store when too big), retrying while the server is away. */
  private async publish(t: Outstanding, attempt: number): Promise<void> {
    const { stats } = this.host;
    const started = performance.now();
    t.sentAt = started;
    let task: TileTask = attempt === 1 ? t.task : { ...t.task, attempt };
    let bytes = encodeTileTask(task);
    if (bytes.length > this.c.maxMessageBytes) {
      const name = payloadObjectName(this.runId, t.tileId, 'in', 1);
      if (!this.objects.has(name)) {
        const blob = encodeTileSlices(t.task.inputs);
        await this.retry(() => this.c.store.putBlob({ name }, blob), `store inputs of tile ${t.tileId}`);
        this.objects.add(name);
        stats.bytesOut += blob.length;
      }
      task = { ...task, inputs: [], inputsRef: name };
      bytes = encodeTileTask(task);
    }
    await this.retry(() => this.c.js.publish(this.subject, bytes, { msgID: `${this.runId}.${t.tileId}.${attempt}`, timeout: 2000 }), `publish tile ${t.tileId}`);
    t.publishedAt = Date.now();
    stats.tasksSent++;
    stats.bytesOut += bytes.length;
    stats.protocolMs += performance.now() - started;
    perInput(stats);
  }

  /**
   * Handles one result message. Foreign, undecodable or mismatched results
   * are counted and ignored (the tile is re-sent if its task left the
   * queue); an error result fails its task.
   */
  private async onResult(data: Uint8Array): Promise<void> {
    const received = performance.now();
    const { stats } = this.host;
    stats.bytesIn += data.length;
    perInput(stats);
    const res = readResult(data, this.c.maxMessageBytes);
    if (!res) {
      stats.errors++;
      return;
    }
    if (res.runId !== this.runId) return;
    const t = this.pending.get(res.tileId);
    if (!t) {
      if (this.done.has(res.tileId)) stats.duplicatesDropped++;
      if (res.outputRef) await this.c.store.delete(res.outputRef).catch(() => {});
      return;
    }
    if (t.ballot && !this.admissible(t, t.ballot, res.workerId, res.attempt)) {
      if (res.outputRef) await this.c.store.delete(res.outputRef).catch(() => {});
      return;
    }
    if (res.error) {
      stats.errors++;
      if (!t.ballot) this.settle(t, { error: workerError(res) });
      else this.vote(t, t.ballot, res.workerId, { error: workerError(res) });
      return;
    }
    // A worker that ignored the task's mode (an older one) must not slip another mode's bits into the run.
    if (res.engine !== undefined && !res.engine.endsWith(` ${this.host.engineMode}`)) {
      stats.errors++;
      if (res.outputRef) await this.c.store.delete(res.outputRef).catch(() => {});
      this.settle(t, { error: new TesseraError('UNAVAILABLE',
        `worker '${res.workerId}' computed tile ${res.tileId} on engine '${res.engine}', but this run is '${this.host.engineMode}': one run never mixes numeric modes`,
        { worker: res.workerId, engine: res.engine, mode: this.host.engineMode }) });
      return;
    }
    const fetched = await outputsOf(this.c.store, res, t.want, (n) => { stats.bytesIn += n; });
    if (!fetched) {
      stats.errors++;
      return;
    }
    if (this.pending.get(res.tileId) !== t || (t.ballot && t.ballot.has(res.workerId))) {
      stats.duplicatesDropped++; // a duplicate finished its object-store fetch first
      return;
    }
    if (t.ballot) {
      this.vote(t, t.ballot, res.workerId, { slices: fetched }, res.timings.computeMs);
      return;
    }
    stats.results++;
    stats.perWorker[res.workerId] = (stats.perWorker[res.workerId] ?? 0) + 1;
    stats.computeMs += res.timings.computeMs;
    stats.roundTripMs += received - t.sentAt;
    this.host.roundTrip(received - t.sentAt - res.timings.computeMs - res.timings.queueMs);
    stats.protocolMs += res.timings.codecMs + (performance.now() - received);
    perInput(stats);
    this.lastProgress = Date.now();
    this.emptyChecks = 0;
    this.settle(t, { slices: fetched });
  }

  /**
   * Under verify: whether a result may vote. Dropped and counted: a result
   * for a copy never sent, one from an excluded worker (unsolicited), and a
   * worker's second result for the tile (a duplicate: it took two copies).
   */
  private admissible(t: Outstanding, ballot: Ballot, worker: string, attempt: number): boolean {
    const { stats } = this.host;
    if (!(attempt >= 1 && attempt <= t.attempt) || this.host.excluded.has(worker)) {
      stats.unsolicited++;
      return false;
    }
    if (ballot.has(worker)) {
      stats.duplicatesDropped++;
      return false;
    }
    return true;
  }

  /** Under verify: casts a vote; once k workers agree, settles the tile and excludes those who disagreed. */
  private vote(t: Outstanding, ballot: Ballot, worker: string, v: Vote, computeMs = 0): void {
    const { stats } = this.host;
    const decided = ballot.add(worker, v);
    if (!decided) return; // not yet k agreeing workers: the copies still queued, or one more (see inspect), decide
    for (const w of decided.dissenters) this.exclude(w);
    if ('error' in decided.vote) {
      this.settle(t, { error: decided.vote.error });
      return;
    }
    stats.results++;
    stats.perWorker[worker] = (stats.perWorker[worker] ?? 0) + 1;
    stats.computeMs += computeMs;
    perInput(stats);
    this.lastProgress = Date.now();
    this.emptyChecks = 0;
    this.settle(t, { slices: decided.vote.slices });
  }

  /** A worker whose result differed from k agreeing ones: reported (stats.excludedWorkers) and its results dropped from now on. */
  private exclude(worker: string): void {
    const { stats } = this.host;
    stats.disagreements++;
    if (this.host.excluded.has(worker)) return;
    this.host.excluded.add(worker);
    stats.excludedWorkers.push(worker);
  }

  private async check(): Promise<void> {
    if (this.checking || this.failure || this.pending.size === 0) return;
    this.checking = true;
    try {
      await this.inspect();
    } catch (e) {
      this.fail(e);
    } finally {
      this.checking = false;
    }
  }

  /** Deadlines, the connection, and the queue: lost results are re-sent; a dead or unserved queue fails the run. */
  private async inspect(): Promise<void> {
    const { limits: o, names, stats } = this.host;
    const now = Date.now();
    for (const t of this.pending.values()) {
      if (now >= t.deadline) {
        throw new TesseraError('TIMEOUT', `${this.what} did not finish within ${o.runTimeoutMs} ms (${this.pending.size} tile(s) outstanding on stream '${names.stream}' subject '${this.subject}')`);
      }
    }
    const gone = this.host.disconnectedAt();
    if (gone !== undefined && now - gone >= o.reconnectTimeoutMs) {
      throw new TesseraError('UNAVAILABLE', `NATS at ${this.host.servers} unreachable for ${now - gone} ms (limit ${o.reconnectTimeoutMs} ms) during the ${this.what}`);
    }
    if (now - this.lastProgress < o.checkIntervalMs || now - this.lastCheck < o.checkIntervalMs || gone !== undefined) return;
    this.lastCheck = now;
    const q = await within(runQueueState(this.c.jsm, names, this.subject), Math.max(1000, o.checkIntervalMs));
    if (!q || this.failure) return; // the server did not answer (restarting): try again next time
    if (q.left === 0) {
      // None of this run's tasks is queued or held, yet some have no result: their results were lost.
      // Twice in a row, so a result already on its way is not mistaken for a lost one; and only tasks
      // published before the first of the two looks.
      if (++this.emptyChecks < 2) {
        this.emptySince = now;
        return;
      }
      this.emptyChecks = 0;
      for (const t of [...this.pending.values()]) {
        if (t.publishedAt === undefined || t.publishedAt >= this.emptySince) continue;
        // Under verify a tile may also need copies beyond k (a worker took two, or one disagreed): k more allowed.
        if (++t.resends > o.maxResends + (o.verify > 1 ? o.verify : 0)) {
          if (t.ballot) {
            throw new TesseraError('UNAVAILABLE', `tile ${t.tileId} (${fmtRegion(t.want[0]!.region)} of layer ${t.want[0]!.source}) could not be verified in the ${this.what}: `
              + `${t.ballot.size} distinct worker(s) answered ${t.attempt} copies and no ${o.verify} of them agree (verify ${o.verify})`, { tileId: t.tileId, verify: o.verify });
          }
          throw new TesseraError('WORKER_LOST', `tile ${t.tileId} (${fmtRegion(t.want[0]!.region)} of layer ${t.want[0]!.source}) lost its result ${t.resends} time(s) in the ${this.what}`);
        }
        stats.resends++;
        t.attempt++;
        await this.publish(t, t.attempt);
      }
      this.lastProgress = Date.now();
      return;
    }
    this.emptyChecks = 0;
    // Queued but neither held nor deliverable: every delivery was used up (max_deliver), e.g. a tile
    // that kills each worker that takes it. Twice in a row, as above.
    if (q.held === 0 && q.undelivered === 0 && q.waiting > 0) {
      if (++this.deadChecks >= 2) {
        throw new TesseraError('WORKER_LOST', `${q.left} task(s) of the ${this.what} on subject '${this.subject}' reached max_deliver ${o.maxDeliver} without a result`);
      }
      return;
    }
    this.deadChecks = 0;
    if (q.held === 0 && q.waiting === 0 && now - this.lastProgress >= o.noWorkerTimeoutMs) {
      throw new TesseraError('UNAVAILABLE',
        `no worker took a task within ${o.noWorkerTimeoutMs} ms: ${q.left} task(s) of the ${this.what} wait on stream '${names.stream}' subject '${this.subject}' (consumer '${names.consumer}')`,
        { stream: names.stream, subject: this.subject });
    }
  }

  /** Retries `f` while the connection is down or JetStream does not answer, up to the reconnect and run limits. */
  private async retry<T>(f: () => Promise<T>, doing: string): Promise<T> {
    const start = Date.now();
    for (let i = 0; ; i++) {
      try {
        return await f();
      } catch (e) {
        const now = Date.now();
        if (this.host.isClosed()) throw new TesseraError('UNAVAILABLE', `ClusterExecutor was closed during the ${this.what}`);
        if (this.failure) throw this.failure;
        if (now - start >= this.host.limits.reconnectTimeoutMs || now >= this.deadline) {
          throw new TesseraError('UNAVAILABLE', `cannot ${doing} of the ${this.what} for ${now - start} ms: ${(e as Error).message}`, {}, { cause: e });
        }
        await new Promise((res) => setTimeout(res, Math.min(1000, 100 * 2 ** i)));
      }
    }
  }
}
