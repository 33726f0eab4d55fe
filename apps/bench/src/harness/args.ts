import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export const USAGE = `tessera-bench [suite...] [options]

Runs benchmark suites (default: all registered) and writes run.json, report.md
and SVG charts into one folder per run.

Options:
  --quick            every suite on tiny sizes, 1 run, no warm-up (seconds; for CI)
  --threads 1,2,4    thread counts to compare (default 1..os.availableParallelism())
  --runs N           timed repeats per peer (default 7; slow peers are capped)
  --warmup N         untimed repeats before timing (default 2)
  --workers K        cluster suite: 1..K worker processes (default 2)
  --out DIR          output folder (default apps/bench/bench-results/<timestamp>/)
  --list             list the suites and exit
  -h, --help         this text`;

export interface CliOptions {
  suites: string[];
  quick: boolean;
  threads: number[];
  runs: number;
  warmup: number;
  workers: number;
  out: string | undefined;
  list: boolean;
  help: boolean;
}

/** A bad command line; the message names the offending value. */
export class UsageError extends Error {}

function int(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

/** Parses argv (without node and script); suite names are checked by the caller against the registry. */
export function parseCli(argv: readonly string[]): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        quick: { type: 'boolean', default: false },
        threads: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        workers: { type: 'string' },
        out: { type: 'string' },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const quick = v.quick!;
  let threads: number[];
  if (v.threads !== undefined) {
    const parts = v.threads.split(',');
    threads = parts.map((t) => int('threads', t, 1));
    if (new Set(threads).size !== threads.length) throw new UsageError(`--threads has a repeated count: '${v.threads}'`);
    threads.sort((a, b) => a - b);
  } else {
    threads = Array.from({ length: availableParallelism() }, (_, i) => i + 1);
    if (quick) threads = threads.slice(0, 2);
  }
  return {
    suites: parsed.positionals,
    quick,
    threads,
    runs: v.runs !== undefined ? int('runs', v.runs, 1) : quick ? 1 : 7,
    warmup: v.warmup !== undefined ? int('warmup', v.warmup, 0) : quick ? 0 : 2,
    workers: v.workers !== undefined ? int('workers', v.workers, 1) : 2,
    out: v.out,
    list: v.list!,
    help: v.help!,
  };
}
