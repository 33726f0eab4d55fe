import { StorageType, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, type NatsConnection } from '@nats-io/nats-core';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { TesseraError, isTesseraError } from '@tessera/tensor';
import { connectNats } from './connect.js';
import type { ClusterExecutorOptions, Limits } from './options.js';
import type { ClusterNames } from './names.js';
import { ensureTaskQueue } from './queue.js';
import { within } from './within.js';

/** The executor's NATS handles (tests and tools inspect the queue and bucket through them). */
export interface ClusterConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: ObjectStore;
  maxMessageBytes: number;
}

/** How often the connection pings the server (a flush) to know it still answers. */
const HEARTBEAT_MS = 500;
/** A server that has not answered a heartbeat for this long counts as unreachable, even with the socket open (a frozen or partitioned server). */
const SILENT_MS = 1500;

/**
 * The coordinator's one connection: opened on first use (stream, consumer
 * and bucket created if missing), reopened after a failed first attempt,
 * watched for disconnects (status events) and for a server that stops
 * answering (a heartbeat), so waiting runs give up on a server that stays
 * away within seconds.
 */
export class Connection {
  private disconnected: number | undefined;
  /** Date.now() of the server's last answer to a heartbeat. */
  private lastHeard = Date.now();
  private heartbeat: NodeJS.Timeout | undefined;
  private conn: Promise<ClusterConnection> | undefined;

  constructor(private readonly opts: ClusterExecutorOptions, private readonly names: ClusterNames, private readonly limits: Limits) {}

  get(): Promise<ClusterConnection> {
    this.conn ??= this.open().catch((e) => {
      this.conn = undefined;
      throw e;
    });
    return this.conn;
  }

  /** Since when the server is unreachable: the disconnect, or its last answer when it went silent; undefined while it answers. */
  get disconnectedAt(): number | undefined {
    if (this.disconnected !== undefined) return this.disconnected;
    return this.heartbeat && Date.now() - this.lastHeard > SILENT_MS ? this.lastHeard : undefined;
  }

  /**
   * Throws UNAVAILABLE when no worker is connected: a request on the presence
   * subject that the server answers with "no responders" (at once, no
   * timeout). A slow or lost answer is not proof of absence: then it returns.
   */
  async expectWorkers(c: ClusterConnection, what: string): Promise<void> {
    try {
      await c.nc.request(this.names.presence, undefined, { timeout: 2000 });
    } catch (e) {
      const none = e instanceof NoRespondersError || (e instanceof RequestError && e.isNoResponders());
      if (!none) return;
      throw new TesseraError('UNAVAILABLE',
        `no tessera-worker is connected to NATS at ${String(this.opts.servers)} (nobody answers on '${this.names.presence}'): the ${what} cannot start; `
        + `start one with tessera-worker --nats URL`, { presence: this.names.presence });
    }
  }

  /** Drains (pending publishes flushed, subscriptions closed), or closes when the server is away. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
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

  private async open(): Promise<ClusterConnection> {
    const nc = await connectNats(this.opts, this.opts.name ?? 'tessera-coordinator', 'coordinator');
    try {
      void this.watch(nc);
      this.beat(nc);
      const maxMessageBytes = Math.min(this.opts.maxMessageBytes ?? Infinity, nc.info?.max_payload ?? 1024 * 1024);
      const jsm = await jetstreamManager(nc);
      await ensureTaskQueue(jsm, this.names, { ackWaitMs: this.limits.ackWaitMs, maxDeliver: this.limits.maxDeliver, maxMessageBytes: nc.info?.max_payload ?? maxMessageBytes });
      const js = jetstream(nc);
      const store = await new Objm(js).create(this.names.bucket, { storage: StorageType.File });
      return { nc, js, jsm, store, maxMessageBytes };
    } catch (e) {
      await nc.close().catch(() => {});
      if (isTesseraError(e)) throw e;
      throw new TesseraError('UNAVAILABLE', `cannot set up JetStream stream '${this.names.stream}' on ${String(this.opts.servers)}: ${(e as Error).message}`, {}, { cause: e });
    }
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.disconnected ??= Date.now();
      else if (s.type === 'reconnect') {
        this.disconnected = undefined;
        this.lastHeard = Date.now();
      }
    }
  }

  /** Flushes (a PING answered by a PONG) every HEARTBEAT_MS, one at a time; each answer moves lastHeard. */
  private beat(nc: NatsConnection): void {
    let inFlight = false;
    this.lastHeard = Date.now();
    this.heartbeat = setInterval(() => {
      if (inFlight || nc.isClosed()) return;
      inFlight = true;
      nc.flush().then(() => { this.lastHeard = Date.now(); }, () => {}).finally(() => { inFlight = false; });
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }
}
