import { compareOutputs, defaultTolerance } from './compare.js';
import type { BenchProgress } from './progress.js';
import { stats } from './stats.js';
import type { BenchContext, CaseDef, CaseRecord, Peer, PeerRecord, PeerStatus, Stats, Suite, SuiteRecord, TimedResult } from './types.js';

/** A peer whose checked run and first timed run both take longer than this gets at most SLOW_RUNS timed runs (keeps a full run in minutes). */
const SLOW_MS = 4000;
const SLOW_RUNS = 3;

interface Slot {
  peer: Peer;
  status: PeerStatus;
  reason: string | null;
  error: PeerRecord['error'];
  times: number[];
  parts: Record<string, number[]>;
  cap: number;
  /** Time of the checked first run (untimed, but it tells a slow peer). */
  firstMs: number;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof (v as PromiseLike<unknown> | null)?.then === 'function';
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** One timed call: the peer's own time when it reports one (work done in another thread), else wall clock. */
async function timeOnce(peer: Peer): Promise<{ ms: number; parts?: Readonly<Record<string, number>> }> {
  const b = peer.before?.();
  if (isThenable(b)) await b;
  const t0 = performance.now();
  let r = peer.run();
  if (isThenable(r)) r = await r;
  const wall = performance.now() - t0;
  const tr = (r ?? {}) as TimedResult;
  return { ms: tr.ms ?? wall, parts: tr.parts };
}

/**
 * Runs one case: setup, correctness of every peer against the reference
 * (printed and recorded; a disagreeing peer is flagged, still timed, never
 * silently), warm-up, then timed repeats interleaved across peers
 * (A, B, C, A, B, C, ...) so background load hits all of them alike.
 */
export async function runCase(def: CaseDef, ctx: BenchContext, progress: Pick<BenchProgress, 'note'>, suiteName: string): Promise<CaseRecord> {
  const t0 = performance.now();
  const base = {
    id: def.id, title: def.title, group: def.group, params: def.params, flops: def.flops,
    flopsNote: def.flopsNote ?? null, baseline: def.baseline ?? null, metrics: null,
  };
  let built;
  try {
    built = await def.build(ctx);
  } catch (e) {
    progress.note(`!! ${suiteName}/${def.id}: could not build the case: ${message(e)}`);
    return { ...base, peers: [], durationS: (performance.now() - t0) / 1e3, error: message(e) };
  }
  const slots: Slot[] = built.peers.map((peer) => ({
    peer, status: peer.unsupported ? 'unsupported' : peer.skip ? 'skipped' : 'ok', reason: peer.unsupported ?? peer.skip ?? null, error: null, times: [], parts: {},
    cap: Math.min(peer.maxRuns ?? Infinity, ctx.runs), firstMs: 0,
  }));
  const live = (): Slot[] => slots.filter((s) => s.status === 'ok' || s.status === 'mismatch');
  const fail = (s: Slot, what: string, e: unknown): void => {
    s.status = 'error';
    s.reason = `${what}: ${message(e)}`;
    progress.note(`!! ${suiteName}/${def.id} ${s.peer.id}: ${s.reason}`);
  };
  try {
    for (const s of live()) {
      try { await s.peer.setup?.(); } catch (e) { fail(s, 'setup failed', e); }
    }
    // Correctness before timing: the first run of each peer is checked (and warms it up).
    const ref = built.reference ? await built.reference() : undefined;
    for (const s of live()) {
      if (s.peer.isReference) { s.error = { maxAbs: 0, maxRel: 0, tolerance: 0, note: 'the reference' }; continue; }
      try {
        const first = await timeOnce(s.peer);
        s.firstMs = first.ms;
        if (s.peer.verify) {
          const v = await s.peer.verify();
          s.error = { maxAbs: v.maxAbs, maxRel: v.maxRel, tolerance: NaN, ...(v.note ? { note: v.note } : {}) };
          if (!v.ok) { s.status = 'mismatch'; s.reason = v.note ?? 'disagrees with the reference'; }
        } else if (s.peer.output && ref) {
          const c = compareOutputs(await s.peer.output(), ref);
          const tol = built.tolerance ?? defaultTolerance(c.refMaxAbs);
          s.error = { maxAbs: c.maxAbs, maxRel: c.maxRel, tolerance: tol };
          if (c.lengthMismatch) { s.status = 'mismatch'; s.reason = 'output has the wrong number of values'; } else if (!(c.maxAbs <= tol)) {
            s.status = 'mismatch';
            s.reason = `max abs error ${c.maxAbs.toExponential(2)} > tolerance ${tol.toExponential(2)}`;
          }
        }
        if (s.status === 'mismatch') progress.note(`!! ${suiteName}/${def.id} ${s.peer.id} DISAGREES with the reference: ${s.reason} (timed anyway, flagged)`);
      } catch (e) { fail(s, 'first run failed', e); }
    }
    // Warm-up (slow peers were warmed by their checked run).
    for (let i = 0; i < ctx.warmup; i++) {
      for (const s of live()) {
        if ((s.cap <= SLOW_RUNS && s.cap < ctx.runs) || s.firstMs > SLOW_MS) continue;
        try { await timeOnce(s.peer); } catch (e) { fail(s, 'warm-up failed', e); }
      }
    }
    // Timed, interleaved.
    for (let r = 0; r < ctx.runs; r++) {
      for (const s of live()) {
        if (s.times.length >= s.cap) continue;
        try {
          const t = await timeOnce(s.peer);
          s.times.push(t.ms);
          for (const [k, v] of Object.entries(t.parts ?? {})) (s.parts[k] ??= []).push(v);
          if (r === 0 && Math.min(t.ms, s.firstMs || t.ms) > SLOW_MS && !ctx.quick) s.cap = Math.min(s.cap, SLOW_RUNS);
        } catch (e) { fail(s, `run ${r + 1} failed`, e); }
      }
    }
  } finally {
    for (const s of slots) {
      if (s.status === 'unsupported' || s.status === 'skipped') continue;
      try { await s.peer.teardown?.(); } catch (e) { progress.note(`!! ${suiteName}/${def.id} ${s.peer.id}: teardown failed: ${message(e)}`); }
    }
    try { await built.dispose?.(); } catch (e) { progress.note(`!! ${suiteName}/${def.id}: dispose failed: ${message(e)}`); }
  }
  const peers: PeerRecord[] = slots.map((s) => {
    const timed = s.times.length > 0 && s.status !== 'error';
    const parts: Record<string, Stats> = {};
    for (const [k, v] of Object.entries(s.parts)) parts[k] = stats(v, null);
    return {
      peer: s.peer.id, runtime: s.peer.runtime, label: s.peer.label, threads: s.peer.threads ?? null,
      status: s.status, reason: s.reason, error: s.error, timesMs: s.times,
      stats: timed ? stats(s.times, def.flops) : null,
      parts: Object.keys(parts).length ? parts : null,
    };
  });
  return { ...base, peers, durationS: (performance.now() - t0) / 1e3, error: null };
}

/** One line per finished case, for logs. */
export function caseSummary(suite: string, c: CaseRecord): string {
  if (c.error) return `${suite}/${c.id}: FAILED (${c.error})`;
  const timed = c.peers.filter((p) => p.stats);
  const best = timed.reduce<PeerRecord | undefined>((b, p) => (!b || p.stats!.medianMs < b.stats!.medianMs ? p : b), undefined);
  const bad = c.peers.filter((p) => p.status === 'mismatch' || p.status === 'error').map((p) => `${p.peer} ${p.status}`);
  return `${suite}/${c.id}: ${timed.length} peers timed in ${c.durationS.toFixed(1)} s` +
    (best ? `; fastest ${best.peer} ${best.stats!.medianMs.toFixed(2)} ms` : '') + (bad.length ? `; ${bad.join(', ')}` : '');
}

/** Runs a suite's cases in order; a suite that cannot plan is recorded with its error, the run goes on. */
export async function runSuite(suite: Suite, defs: readonly CaseDef[] | Error, ctx: BenchContext, progress: BenchProgress): Promise<SuiteRecord> {
  const t0 = performance.now();
  const rec: SuiteRecord = { name: suite.name, title: suite.title, description: suite.description, timed: suite.timed, cases: [], error: null, durationS: 0 };
  if (defs instanceof Error) {
    rec.error = defs.message;
    progress.note(`!! suite ${suite.name} not run: ${defs.message}`);
    return rec;
  }
  try {
    for (const def of defs) {
      progress.start(`${suite.name}: ${def.title}`);
      const c = await runCase(def, ctx, progress, suite.name);
      try { c.metrics = suite.metrics?.(c) ?? null; } catch (e) { progress.note(`!! ${suite.name}/${c.id}: metrics failed: ${message(e)}`); }
      rec.cases.push(c);
      progress.end(caseSummary(suite.name, c));
    }
  } finally {
    try { await suite.teardown?.(); } catch (e) { progress.note(`!! suite ${suite.name}: teardown failed: ${message(e)}`); }
  }
  rec.durationS = (performance.now() - t0) / 1e3;
  return rec;
}
