/**
 * The protocol's round trip as measured: the smallest (result received −
 * task sent − worker compute) over the last WINDOW tasks. The smallest, since
 * a task that waited in the queue or behind another on its worker says
 * nothing about the protocol; recent, since the load changes.
 */
export class RoundTripMeter {
  private readonly recent: number[] = [];

  constructor(private readonly fallbackMs: number) {}

  add(ms: number): void {
    if (!(ms >= 0)) return;
    this.recent.push(ms);
    if (this.recent.length > WINDOW) this.recent.shift();
  }

  /** Milliseconds; the fallback until a task has been measured. */
  get ms(): number {
    return this.recent.length ? Math.min(...this.recent) : this.fallbackMs;
  }
}

const WINDOW = 32;
