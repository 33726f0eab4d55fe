import { TesseraError, checkInt } from '@tessera/tensor';

/**
 * The bounded queue in front of the face nets: at most `concurrency` jobs run, at most
 * `maxWaiting` more wait, and a request beyond that is refused at once (HTTP 503) instead of
 * held. A place is taken when a request arrives, before its body is read, so the memory of
 * requests held at once is bounded by (concurrency + maxWaiting) × the upload limit.
 */
export class BoundedQueue {
  private active = 0;
  private running = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /** Mean seconds of a job, smoothed (for Retry-After). */
  private meanSeconds = 1;

  constructor(readonly concurrency: number, readonly maxWaiting: number) {
    checkInt('queue concurrency', concurrency, 1);
    checkInt('queue length', maxWaiting, 0);
  }

  get capacity(): number { return this.concurrency + this.maxWaiting; }
  /** Places taken: running, waiting to run, or still reading their request. */
  get size(): number { return this.active; }
  get runningNow(): number { return this.running; }

  /** A place in the queue, or undefined when it is full (the caller refuses the request). */
  admit(): Place | undefined {
    if (this.active >= this.capacity) return undefined;
    this.active++;
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      this.active--;
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    return {
      run: async <T>(job: () => Promise<T>): Promise<T> => {
        if (done) throw new TesseraError('BAD_ARGUMENT', 'a queue place runs one job');
        if (this.running >= this.concurrency) await new Promise<void>((go) => this.waiters.push(go));
        this.running++;
        const t0 = performance.now();
        try {
          return await job();
        } finally {
          this.meanSeconds = 0.8 * this.meanSeconds + 0.2 * ((performance.now() - t0) / 1000);
          this.running--;
          this.waiters.shift()?.();
          release();
        }
      },
      release,
    };
  }

  /** Seconds until a place is likely free: the jobs ahead, spread over the running slots. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.active / this.concurrency) * this.meanSeconds));
  }

  /** Resolves once no place is taken (every admitted request has finished). */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** One admitted request's place: run its job (waiting for a slot), or give the place back unused. */
export interface Place {
  run<T>(job: () => Promise<T>): Promise<T>;
  release(): void;
}
