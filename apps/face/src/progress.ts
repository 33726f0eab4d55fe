/** A one-line progress bar on a terminal (stderr); silent otherwise. */
export class Progress {
  private i = 0;
  constructor(private readonly total: number, private readonly enabled: boolean) {}

  tick(label: string): void {
    if (!this.enabled) return;
    this.i++;
    const width = 24, filled = Math.round((width * (this.i - 1)) / this.total);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.i}/${this.total} ${label.slice(0, 40).padEnd(40)}`);
  }

  done(): void {
    if (this.enabled) process.stderr.write(`\r${' '.repeat(80)}\r`);
  }
}
