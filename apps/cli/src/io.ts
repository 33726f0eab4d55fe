/** Where a command writes: stdout lines, stderr lines, and whether a person watches (progress only then). */
export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTTY: boolean;
}

/**
 * The stage of long work on one self-erasing stderr line ("loading model…"),
 * shown only to a person at a terminal so pipes and --json stay clean.
 */
export class Status {
  private shown = false;
  constructor(private readonly enabled: boolean, private readonly write: (s: string) => void = (s) => process.stderr.write(s)) {}

  stage(label: string): void {
    if (!this.enabled) return;
    this.write(`\r${`… ${label}`.slice(0, 79).padEnd(79)}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.write(`\r${' '.repeat(79)}\r`);
    this.shown = false;
  }
}

/** Milliseconds of an async step, with its value. */
export async function timed<T>(f: () => Promise<T> | T): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: performance.now() - t0 };
}
