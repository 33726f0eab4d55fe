import { expect } from 'chai';
import type { Tensor } from '@tessera/tensor';
import { ClusterExecutor, killAllTracked, spawnWorker, trackedPids, startNatsServer, type ClusterExecutorOptions, type LocalNatsServer, type SpawnedWorker } from '../src/index.js';

/**
 * A private nats-server plus the workers and executors a test starts.
 * Everything is stopped by PID in stop() — called from after/afterEach hooks,
 * so also when a test fails — and killAllTracked() is the last resort.
 */
export class TestCluster {
  server!: LocalNatsServer;
  readonly workers: SpawnedWorker[] = [];
  readonly executors: ClusterExecutor[] = [];
  /** stop() asserts that the server reported no permission violation (every test runs under the role credentials) unless set. */
  expectViolations = false;
  private n = 0;

  /** Permission violations the server logged so far (roles.ts: a subject a role was not given). */
  violations(): string[] {
    return this.server.output.lines.filter((l) => /Violation/.test(l));
  }

  async start(): Promise<this> {
    this.server = await startNatsServer();
    return this;
  }

  /**
   * An executor on this cluster, with the coordinator role's credentials (workers get the worker role's); fused tiles unless `split` says otherwise (most tests exercise the tile protocol).
   * The delivery settings (ack wait, heartbeat, reconnect) are the defaults: the fault tests exercise what users get.
   */
  executor(opts: Partial<ClusterExecutorOptions> = {}): ClusterExecutor {
    const ex = new ClusterExecutor({
      servers: this.server.url, user: this.server.roles.coordinator.user, pass: this.server.roles.coordinator.pass,
      maxDeliver: 10, checkIntervalMs: 500, noWorkerTimeoutMs: 10_000, split: 'tiles', ...opts,
    });
    this.executors.push(ex);
    return ex;
  }

  /** Starts a worker and waits until it pulls tasks (the queue must exist: call executor().connect() first). */
  async worker(opts: {
    threads?: number; prefetch?: number; delayMs?: number; name?: string; env?: Record<string, string>; maxMessageBytes?: number; maxMemoryBytes?: number;
  } = {}): Promise<SpawnedWorker> {
    const w = spawnWorker({
      url: this.server.url, user: this.server.roles.worker.user, pass: this.server.roles.worker.pass, threads: opts.threads ?? 1, prefetch: opts.prefetch,
      name: opts.name ?? `w${++this.n}`, maxMessageBytes: opts.maxMessageBytes, maxMemoryBytes: opts.maxMemoryBytes,
      env: { ...(opts.delayMs ? { TESSERA_WORKER_TEST_DELAY_MS: String(opts.delayMs) } : {}), ...opts.env },
    });
    this.workers.push(w);
    await w.ready();
    return w;
  }

  /** Stops the workers (SIGTERM, then SIGKILL) and executors but keeps the server. */
  async stopWorkers(): Promise<void> {
    await Promise.all(this.executors.splice(0).map((e) => e.close().catch(() => {})));
    await Promise.all(this.workers.splice(0).map((w) => w.stop(5000)));
  }

  /** Stops everything; then no process this test file started is left (asserted). */
  async stop(): Promise<void> {
    try {
      await this.stopWorkers();
      const violations = this.server && !this.expectViolations ? this.violations() : [];
      await this.server?.stop();
      expect(violations, 'subjects the role credentials were refused').to.deep.equal([]);
    } finally {
      const left = trackedPids();
      killAllTracked();
      expect(left, 'processes left running after stop()').to.deep.equal([]);
    }
  }
}

export function expectIdentical(a: Tensor, b: Tensor, what: string): void {
  expect([...a.shape], `${what} shape`).to.deep.equal([...b.shape]);
  const x = a.toFloat32Array(), y = b.toFloat32Array();
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) expect.fail(`${what}: element ${i} is ${x[i]}, LocalExecutor has ${y[i]}`);
  }
}

/** Rejects with what `p` threw, or fails when it resolved. */
export async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  return expect.fail('expected a rejection');
}

/** Polls `cond` every 25 ms; rejects after `ms`. */
export async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
