import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OutputLines, exitOf, stopProcess, track } from './processes.js';

export interface SpawnWorkerOptions {
  url: string;
  user?: string;
  pass?: string;
  threads?: number;
  /** Tasks the worker holds at once (default: the worker's, 2 × threads). */
  prefetch?: number;
  name: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Largest message the worker sends or accepts (default: the server's max_payload). */
  maxMessageBytes?: number;
  /** Feature-map bytes one task may hold (--max-memory; default: the worker's). */
  maxMemoryBytes?: number;
  /** Extra environment (e.g. TESSERA_WORKER_TEST_DELAY_MS). Credentials go through the environment, not argv. */
  env?: Record<string, string>;
}

export interface SpawnedWorker {
  readonly pid: number;
  readonly name: string;
  /** stdout and stderr lines (bounded). */
  readonly output: OutputLines;
  /** Exit code, or the signal name that ended it. */
  readonly exited: Promise<number | string>;
  /** Sends `signal` (default SIGTERM). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, SIGKILL after `graceMs` (default 10 s); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | string>;
  /** Resolves once the worker is pulling tasks. */
  ready(timeoutMs?: number): Promise<void>;
}

/**
 * Starts a `tessera-worker` child process: from the TypeScript source under
 * tsx when this module runs from source, from dist when built (the same
 * import.meta.url test as the scheduler's piscina worker). Tracked by PID
 * and killed on process exit if nobody stopped it.
 */
export function spawnWorker(o: SpawnWorkerOptions): SpawnedWorker {
  const fromSource = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(`../worker-main${fromSource ? '.ts' : '.js'}`, import.meta.url));
  const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
  const args = [
    ...(fromSource ? ['--import=tsx', '--conditions=@tessera/source'] : []),
    main, '--nats', o.url, '--threads', String(o.threads ?? 1), '--name', o.name, '--log-level', o.logLevel ?? 'debug',
    ...(o.prefetch ? ['--prefetch', String(o.prefetch)] : []),
    ...(o.maxMessageBytes ? ['--max-message-bytes', String(o.maxMessageBytes)] : []),
    ...(o.maxMemoryBytes ? ['--max-memory', String(o.maxMemoryBytes)] : []),
  ];
  const env: Record<string, string | undefined> = { ...process.env, ...o.env };
  if (o.user !== undefined) env['TESSERA_NATS_USER'] = o.user;
  if (o.pass !== undefined) env['TESSERA_NATS_PASS'] = o.pass;
  const child: ChildProcess = spawn(process.execPath, args, { cwd: pkgDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  const output = new OutputLines();
  child.stdout!.on('data', (d: Buffer) => output.feed(d));
  child.stderr!.on('data', (d: Buffer) => output.feed(d));
  const exited = exitOf(child);
  return {
    pid: child.pid!,
    name: o.name,
    output,
    exited,
    kill: (signal = 'SIGTERM') => { try { process.kill(child.pid!, signal); } catch { /* gone */ } },
    stop: (graceMs = 10_000) => stopProcess(child, 'SIGTERM', graceMs),
    ready: async (timeoutMs = 20_000) => {
      const died = exited.then((code) => { throw new Error(`worker ${o.name} exited (${code}) before it was ready:\n${output.lines.slice(-20).join('\n')}`); });
      died.catch(() => {});
      await Promise.race([output.waitFor(/ ready: /, timeoutMs, `worker ${o.name}`), died]);
    },
  };
}
