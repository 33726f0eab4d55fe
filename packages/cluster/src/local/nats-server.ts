import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TesseraError } from '@tessera/tensor';
import { resolveNames, type ClusterNames } from '../names.js';
import { authorizationConfig, rolePermissions, type ClusterRole } from '../roles.js';
import { OutputLines, stopProcess, track } from './processes.js';

export interface NatsServerOptions {
  /** nats-server binary (default: $NATS_SERVER_BIN or /usr/sbin/nats-server, else `nats-server` on PATH). */
  bin?: string;
  /** Loopback port (default: a free one). */
  port?: number;
  /** The development superuser, allowed every subject (default user 'tessera', a random password): tools that inspect the server. */
  user?: string;
  pass?: string;
  /** Names of the cluster whose role permissions are generated (default names.ts). */
  names?: Partial<ClusterNames>;
  /** Largest message the server accepts (default 16 MiB: an 8 MiB tile plus framing does not fit 8 MB; FACTS.md). */
  maxPayloadBytes?: number;
  /** How long to wait for "Server is ready" (default 10 s). */
  startTimeoutMs?: number;
}

export interface LocalNatsServer {
  readonly url: string;
  readonly port: number;
  readonly user: string;
  readonly pass: string;
  /**
   * Credentials of each cluster role (roles.ts), random per server: give `coordinator` to ClusterExecutors
   * and `worker` to tessera-workers, so neither can do the other's part.
   */
  readonly roles: Readonly<Record<ClusterRole, { readonly user: string; readonly pass: string }>>;
  /** The server's HTTP monitoring endpoint on loopback (e.g. `${monitorUrl}/connz` lists clients by name). */
  readonly monitorUrl: string;
  /** PID of the running server process (changes on restart). */
  readonly pid: number;
  /** Temporary folder with the config and the JetStream store. */
  readonly dir: string;
  /** The server's output lines (bounded). */
  readonly output: OutputLines;
  /** Stops the server (SIGTERM, SIGKILL after 5 s) and removes the temporary folder. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server, waits `downMs` (default 0) and starts it again on the same port with the same store. */
  restart(opts?: { downMs?: number }): Promise<void>;
}

/**
 * A private nats-server for development and tests: loopback only, one user
 * per cluster role with only that role's subjects (plus a superuser), JetStream with a file store in a temporary folder. Resolves
 * once the server accepts connections. Stop it by PID with stop(); a process
 * 'exit' handler kills it if the caller forgets.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<LocalNatsServer> {
  const port = opts.port ?? await freePort();
  const user = opts.user ?? 'tessera';
  const secret = (): string => randomBytes(18).toString('base64url');
  const pass = opts.pass ?? secret();
  const names = resolveNames(opts.names);
  const roles = {
    coordinator: { user: 'tessera-coordinator', pass: secret() },
    worker: { user: 'tessera-worker', pass: secret() },
  };
  const monitorPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nats-'));
  const conf = join(dir, 'nats.conf');
  const maxPayload = opts.maxPayloadBytes ?? 16 * 1024 * 1024;
  writeFileSync(conf, [
    `listen: "127.0.0.1:${port}"`,
    `http: "127.0.0.1:${monitorPort}"`,
    `max_payload: ${maxPayload}`,
    `max_pending: ${Math.max(64 * 1024 * 1024, 4 * maxPayload)}`,
    authorizationConfig([
      { user, password: pass },
      ...(['coordinator', 'worker'] as const).map((r) => ({ user: roles[r].user, password: roles[r].pass, permissions: rolePermissions(r, names) })),
    ]),
    `jetstream { store_dir: ${JSON.stringify(join(dir, 'js'))}, max_memory_store: 256MB, max_file_store: 1GB }`,
    '',
  ].join('\n'), { mode: 0o600 });
  const bin = opts.bin ?? process.env['NATS_SERVER_BIN'] ?? '/usr/sbin/nats-server';
  const timeout = opts.startTimeoutMs ?? 10_000;

  let child: ChildProcess;
  let output = new OutputLines();
  const launch = async (): Promise<void> => {
    output = new OutputLines();
    child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new TesseraError('UNAVAILABLE', `cannot start ${bin}: ${e.message}`)));
      child.once('exit', (code) => reject(new TesseraError('UNAVAILABLE', `${bin} exited with code ${code} at start:\n${output.lines.slice(-10).join('\n')}`)));
    });
    failed.catch(() => {});
    track(child);
    child.stdout!.on('data', (d: Buffer) => output.feed(d));
    child.stderr!.on('data', (d: Buffer) => output.feed(d));
    try {
      await Promise.race([output.waitFor(/Server is ready/, timeout, `nats-server on port ${port}`), failed]);
    } catch (e) {
      await stopProcess(child, 'SIGKILL');
      throw e;
    }
  };
  await launch();

  let stopped = false;
  const server: LocalNatsServer = {
    url: `nats://127.0.0.1:${port}`,
    monitorUrl: `http://127.0.0.1:${monitorPort}`,
    port, user, pass, dir, roles,
    get pid() { return child.pid!; },
    get output() { return output; },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(r = {}) {
      if (stopped) throw new TesseraError('UNAVAILABLE', `nats-server on port ${port} was stopped; it cannot restart`);
      await stopProcess(child);
      if (r.downMs) await new Promise((res) => setTimeout(res, r.downMs));
      await launch();
    },
  };
  return server;
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
