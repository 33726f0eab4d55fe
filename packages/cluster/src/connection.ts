import { StorageType, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
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

/**
 * The coordinator's one connection: opened on first use (stream, consumer
 * and bucket created if missing), reopened after a failed first attempt,
 * watched for disconnects so waiting runs can give up on a server that
 * stays away.
 */
export class Connection {
  /** When the connection dropped (undefined while connected). */
  disconnectedAt: number | undefined;
  private conn: Promise<ClusterConnection> | undefined;

  constructor(private readonly opts: ClusterExecutorOptions, private readonly names: ClusterNames, private readonly limits: Limits) {}

  get(): Promise<ClusterConnection> {
    this.conn ??= this.open().catch((e) => {
      this.conn = undefined;
      throw e;
    });
    return this.conn;
  }

  /** Drains (pending publishes flushed, subscriptions closed), or closes when the server is away. */
  async close(): Promise<void> {
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
    const nc = await connectNats(this.opts, this.opts.name ?? 'tessera-coordinator');
    try {
      void this.watch(nc);
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
      if (s.type === 'disconnect') this.disconnectedAt ??= Date.now();
      else if (s.type === 'reconnect') this.disconnectedAt = undefined;
    }
  }
}
