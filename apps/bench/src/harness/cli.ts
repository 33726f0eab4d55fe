#!/usr/bin/env node
/**
 * tessera-bench: runs benchmark suites and writes run.json (schema/run.schema.json),
 * report.md and SVG charts into one folder per run. Usage: see USAGE in args.ts.
 *
 *   node --import=tsx --conditions=@tessera/source src/harness/cli.ts [suite...] [--quick] [--threads 1,2] [--runs N] [--warmup N] [--out DIR]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { SUITES } from '../suites/index.js';
import { USAGE, UsageError, parseCli, type CliOptions } from './args.js';
import { machine } from './machine.js';
import { benchRoot } from './paths.js';
import { BenchProgress } from './progress.js';
import { renderReport } from './report.js';
import { runSuite } from './runner.js';
import { SCHEMA_VERSION, type BenchContext, type CaseDef, type ReportSection, type RunRecord, type Suite } from './types.js';

function pickSuites(names: readonly string[]): Suite[] {
  if (names.length === 0) return [...SUITES];
  return names.map((n) => {
    const s = SUITES.find((x) => x.name === n);
    if (!s) throw new UsageError(`unknown suite '${n}'; known suites: ${SUITES.map((x) => x.name).join(', ')}`);
    return s;
  });
}

async function main(opts: CliOptions, extra: { report?: string }): Promise<number> {
  const suites = pickSuites(opts.suites);
  const started = new Date();
  const out = resolve(opts.out ?? join(benchRoot, 'bench-results', started.toISOString().replace(/[:.]/g, '-')));
  mkdirSync(out, { recursive: true });
  const progress0: { p?: BenchProgress } = {};
  const ctx: BenchContext = {
    quick: opts.quick, threads: opts.threads, runs: opts.runs, warmup: opts.warmup, workers: opts.workers,
    log: (m) => (progress0.p ? progress0.p.note(m) : process.stderr.write(`${m}\n`)),
  };
  const version = (JSON.parse(readFileSync(join(benchRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const run: RunRecord = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'tessera-bench', version },
    startedAt: started.toISOString(), finishedAt: '', durationS: 0,
    command: ['tessera-bench', ...process.argv.slice(2)],
    settings: { suites: suites.map((s) => s.name), quick: opts.quick, threads: opts.threads, runs: opts.runs, warmup: opts.warmup, workers: opts.workers },
    machine: machine(),
    load: { start: loadavg(), end: [] },
    suites: [], charts: [],
  };
  // Plan everything first: the bar knows its length, and a suite that cannot run says so before the long part.
  const plans = new Map<Suite, readonly CaseDef[] | Error>();
  for (const s of suites) {
    try { plans.set(s, await s.plan(ctx)); } catch (e) { plans.set(s, e instanceof Error ? e : new Error(String(e))); }
  }
  const total = [...plans.values()].reduce((n, p) => n + (p instanceof Error ? 0 : p.length), 0);
  const progress = new BenchProgress(total, Boolean(process.stderr.isTTY));
  progress0.p = progress;
  const sections = new Map<string, readonly ReportSection[]>();
  const writeAll = (): void => {
    run.finishedAt = new Date().toISOString();
    run.durationS = (Date.now() - started.getTime()) / 1e3;
    run.load.end = loadavg();
    writeFileSync(join(out, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(join(out, 'report.md'), renderReport(run, sections));
    if (extra.report) {
      const rep = resolve(extra.report);
      const prefix = relative(dirname(rep), out).split('\\').join('/');
      // Run through npm (e.g. bench:docs), the page names the npm script that regenerates it.
      const ev = process.env.npm_lifecycle_event, pkg = process.env.npm_package_name;
      const again = ev && pkg ? `npm run ${ev} -w ${pkg}` : run.command.join(' ');
      writeFileSync(rep, renderReport(run, sections, prefix ? `${prefix}/` : '', again));
    }
  };
  try {
    for (const s of suites) {
      const rec = await runSuite(s, plans.get(s)!, ctx, progress);
      run.suites.push(rec);
      try { sections.set(s.name, s.summarize?.(rec) ?? []); } catch (e) { progress.note(`!! ${s.name}: summary failed: ${(e as Error).message}`); }
      try {
        for (const c of s.charts?.(rec) ?? []) {
          writeFileSync(join(out, c.file), c.svg);
          run.charts.push({ file: c.file, title: c.title, suite: s.name });
        }
      } catch (e) { progress.note(`!! ${s.name}: charts failed: ${(e as Error).message}`); }
      writeAll(); // a crash later still leaves the suites done so far on disk
    }
  } finally {
    progress.done();
  }
  writeAll();
  const flagged = run.suites.flatMap((s) => s.cases.flatMap((c) => c.peers.filter((p) => p.status === 'mismatch').map((p) => `${s.name}/${c.id} ${p.peer}`)));
  process.stdout.write(`wrote ${join(out, 'run.json')}, report.md and ${run.charts.length} chart(s) in ${run.durationS.toFixed(1)} s\n`);
  if (flagged.length) process.stdout.write(`flagged (output disagrees with the reference): ${flagged.join('; ')}\n`);
  const failed = run.suites.filter((s) => s.error).map((s) => `${s.name}: ${s.error}`);
  if (failed.length) process.stdout.write(`suites not run: ${failed.join('; ')}\n`);
  return 0;
}

// --report FILE: also write the report there, with chart links relative to it (docs/benchmarks.md).
const argv = process.argv.slice(2);
const extra: { report?: string } = {};
const ri = argv.indexOf('--report');
if (ri >= 0) { extra.report = argv[ri + 1]; argv.splice(ri, 2); }
let code: number;
try {
  if (ri >= 0 && !extra.report) throw new UsageError('--report needs a file name');
  const opts = parseCli(argv);
  if (opts.help) { process.stdout.write(`${USAGE}\n`); code = 0; } else if (opts.list) {
    for (const s of SUITES) process.stdout.write(`${s.name.padEnd(10)} ${s.title}\n`);
    code = 0;
  } else code = await main(opts, extra);
} catch (e) {
  if (e instanceof UsageError) { process.stderr.write(`tessera-bench: ${e.message}\n\n${USAGE}\n`); code = 2; } else { process.stderr.write(`tessera-bench: ${e instanceof Error ? e.stack : String(e)}\n`); code = 1; }
}
// Worker pools, wasm runtimes and native sessions may keep handles open: the run is over, leave.
process.exit(code);
