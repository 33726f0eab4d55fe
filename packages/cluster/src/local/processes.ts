import type { ChildProcess } from 'node:child_process';

/**
 * Child processes started by this module, by PID. A process 'exit' handler
 * kills whatever is left, so a crashed test run or a forgotten stop() never
 * leaves a nats-server or a worker behind.
 */
const live = new Map<number, ChildProcess>();
let hooked = false;

export function track(child: ChildProcess): void {
  if (child.pid === undefined) return;
  live.set(child.pid, child);
  child.once('exit', () => live.delete(child.pid!));
  if (!hooked) {
    hooked = true;
    process.once('exit', killAllTracked);
  }
}

/** SIGKILLs every tracked child by PID (synchronous: usable from an 'exit' handler). */
export function killAllTracked(): void {
  for (const pid of live.keys()) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  live.clear();
}

/** PIDs of tracked children still running (for leak checks in tests). */
export function trackedPids(): number[] {
  return [...live.keys()];
}

/** Resolves with the exit code (or the signal name) once `child` has exited. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/** Sends `signal`, then SIGKILL if the process has not exited within `graceMs`; resolves once it is gone. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<number | string> {
  const exited = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return exited;
  try { process.kill(child.pid, signal); } catch { return exited; }
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
      resolve();
    }, graceMs);
  });
  await Promise.race([exited, forced]);
  clearTimeout(timer);
  return exited;
}

/** Collects a child's output as lines (bounded) and lets callers wait for a line. */
export class OutputLines {
  readonly lines: string[] = [];
  private waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  private partial = '';

  constructor(private readonly max = 5000) {}

  feed(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.push(line);
  }

  /** Resolves with the first line (already seen or coming) matching `re`; rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number, what = 'process'): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        re,
        resolve: (line: string): void => { clearTimeout(timer); resolve(line); },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${what} printed no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-20).join('\n')}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  private push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
    for (const w of this.waiters.filter((x) => x.re.test(line))) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(line);
    }
  }
}
