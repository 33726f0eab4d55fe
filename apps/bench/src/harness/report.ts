import { gf, mdTable, ms, ratio, sci } from './format.js';
import type { CaseRecord, PeerRecord, ReportSection, RunRecord } from './types.js';

function flags(p: PeerRecord): string {
  if (p.status === 'unsupported') return `not supported${p.reason ? `: ${p.reason}` : ''}`;
  if (p.status === 'skipped') return `skipped: ${p.reason ?? ''}`;
  if (p.status === 'error') return `ERROR: ${p.reason ?? ''}`;
  if (p.status === 'mismatch') return `⚠ DISAGREES: ${p.reason ?? ''}`;
  return p.error?.note ?? '';
}

/** Per case: every peer with its times, GFLOP/s, error against the reference, flags and ratio to the case's baseline. */
export function caseTable(c: CaseRecord): string {
  const base = c.peers.find((p) => p.peer === c.baseline)?.stats?.medianMs;
  const head = ['peer', 'median ms', 'min', 'max', 'runs', 'GFLOP/s', 'max abs err', 'max rel err', base ? `speed rel. to ${c.baseline}` : 'speed', 'flags'];
  const rows = c.peers.map((p) => [
    p.label,
    ms(p.stats?.medianMs), ms(p.stats?.minMs), ms(p.stats?.maxMs), p.stats ? String(p.stats.n) : '0',
    gf(p.stats?.gflops), sci(p.error?.maxAbs), sci(p.error?.maxRel),
    base && p.stats ? ratio(base / p.stats.medianMs) : '–',
    flags(p),
  ]);
  return mdTable(head, rows, head.map((_, i) => i > 0 && i < 9));
}

function machineBlock(r: RunRecord): string {
  const m = r.machine;
  const pk = Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    '```',
    `cpu      ${m.cpu.model} — ${m.cpu.cores} logical cores, availableParallelism ${m.cpu.availableParallelism}${m.cpu.speedMHz ? `, ${m.cpu.speedMHz} MHz` : ''}`,
    `memory   ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB`,
    `runtime  Node ${m.node} (V8 ${m.v8}) on ${m.os.type} ${m.os.release} ${m.os.arch}`,
    `source   git ${m.git.commit ?? 'unknown'}${m.git.dirty ? ' (working tree had uncommitted changes)' : ''}`,
    `command  ${r.command.join(' ')}`,
    `settings runs ${r.settings.runs}, warm-up ${r.settings.warmup}, threads ${r.settings.threads.join(',')}${r.settings.quick ? ', QUICK (tiny sizes: not for comparison)' : ''}`,
    `started  ${r.startedAt}, took ${r.durationS.toFixed(0)} s`,
    `load     ${r.load.start.map((v) => v.toFixed(2)).join(' ')} at the start, ${r.load.end.map((v) => v.toFixed(2)).join(' ')} at the end (1/5/15-min load average; the benchmark itself adds up to ${r.machine.cpu.availableParallelism}, more means other work competed for the cores)`,
    '```',
    '',
    `Packages: ${pk}.`,
  ].join('\n');
}

/**
 * The Markdown report of a run: machine block, then per suite its summary
 * sections, charts and per-case tables. `chartPrefix` is the path from the
 * report to the chart files.
 */
export function renderReport(r: RunRecord, sections: ReadonlyMap<string, readonly ReportSection[]>, chartPrefix = '', regenerate?: string): string {
  const out: string[] = [];
  out.push('# Tessera benchmarks', '');
  if (regenerate) out.push(`Regenerate this page (and the charts and run.json next to it) with \`${regenerate}\` from the repository root; it takes about ${Math.ceil(r.durationS / 60)} minutes here.`, '');
  out.push(`Produced by \`tessera-bench\` (apps/bench); data in \`run.json\` (schema \`apps/bench/schema/run.schema.json\`, version ${r.schemaVersion}).`);
  out.push('Method: every peer\'s first output is compared with Tessera\'s reference — the reference kernel for single ops, the LocalExecutor for whole models, Tessera local for the face pipeline, as each suite says (max abs error, and max rel error = max |Δ| ÷ max(|ref|, 10⁻³·max|ref|); a peer outside tolerance is flagged ⚠ and still timed), then warm-up runs, then timed runs interleaved across the peers of a case (A, B, C, A, B, C, …) so background load hits all alike. Times are wall-clock per call unless a suite says otherwise; GFLOP/s = stated FLOPs ÷ median time (a multiply-add counts 2). "speed rel. to X" = X\'s median ÷ the peer\'s median (> 1×: the peer is faster than X). A peer slower than 4 s per run (checked run and first timed run) is capped at 3 timed runs and not warmed up again.', '');
  out.push('## Machine', '', machineBlock(r), '');
  for (const s of r.suites) {
    out.push(`## ${s.title}`, '', s.description, '', `**Timed:** ${s.timed}`, '');
    if (s.error) { out.push(`**Not run:** ${s.error}`, ''); continue; }
    for (const sec of sections.get(s.name) ?? []) out.push(`### ${sec.title}`, '', sec.markdown, '');
    const charts = r.charts.filter((c) => c.suite === s.name);
    for (const c of charts) out.push(`![${c.title}](${chartPrefix}${c.file})`, '');
    out.push('### Per case', '');
    for (const c of s.cases) {
      out.push(`#### ${c.title}`, '');
      const p = Object.entries(c.params).map(([k, v]) => `${k} ${v}`).join(', ');
      out.push(`${p}${c.flops !== null ? `; ${(c.flops / 1e6).toFixed(2)} MFLOP${c.flopsNote ? ` (${c.flopsNote})` : ''}` : ''}; ${c.durationS.toFixed(1)} s.`, '');
      if (c.error) { out.push(`**Failed:** ${c.error}`, ''); continue; }
      out.push(caseTable(c), '');
    }
  }
  return out.join('\n');
}
