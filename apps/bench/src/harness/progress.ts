// The face app's bar (a one-line bar on stderr, a tick per step) fits as is: reuse it, don't copy it.
import { Progress } from '../../../face/src/progress.js';

/**
 * Where the harness says what it is doing: on a TTY, a progress bar ticking
 * once per case; otherwise one quiet line per finished case (CI logs stay short).
 */
export class BenchProgress {
  private readonly bar: Progress | null;

  constructor(total: number, private readonly tty: boolean, private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
    this.bar = tty ? new Progress(total, true) : null;
  }

  /** A case starts. */
  start(label: string): void {
    this.bar?.tick(label);
  }

  /** A case ended; `summary` is the quiet line's text. */
  end(summary: string): void {
    if (!this.tty) this.write(summary);
  }

  /** A line that must be seen either way (warnings); clears the bar line first. */
  note(line: string): void {
    if (this.tty) process.stderr.write(`\r${' '.repeat(80)}\r`);
    this.write(line);
  }

  done(): void {
    this.bar?.done();
  }
}
