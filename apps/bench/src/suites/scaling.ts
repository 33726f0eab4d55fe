import { randomTensor, type Tensor } from '@tessera/tensor';
import { LocalExecutor, faceRecognitionNet, seedDilatedStack, vggBlockStack, type Model } from '@tessera/nn';
import { PoolExecutor, type Strategy } from '@tessera/scheduler';
import { lineChart, type LinePanel } from '../charts/line-chart.js';
import { colourOf } from '../charts/palette.js';
import { mdTable, ms, ratio } from '../harness/format.js';
import type { CaseDef, CaseRecord, ChartFile, Peer, ReportSection, Suite, SuiteRecord } from '../harness/types.js';

/**
 * Thread scaling of the PoolExecutor: for each model and thread count, the
 * 1-thread LocalExecutor, the pool's strategies (layer-wise: a barrier per
 * layer; fused: DeepThings-style fused tiles; auto: the planner's pick) and
 * the LocalExecutor on N intra-op engine threads are timed in one
 * interleaved loop, so speedup = local median ÷ the other's median.
 */

const STRATEGIES: readonly Strategy[] = ['layer-wise', 'fused', 'auto'];
/** The LocalExecutor on the native engine's intra-op threads (engine option threads = N): no workers, no copies. */
const ENGINE_THREADS = 'engine-threads';
/** Every timed way of using N threads, in table order. */
const WAYS: readonly string[] = [...STRATEGIES, ENGINE_THREADS];

interface Net { key: string; title: string; make(): Model }

function nets(quick: boolean): Net[] {
  return quick
    ? [
      { key: 'vgg', title: 'VGG-style blocks 32² [8,16]', make: () => vggBlockStack({ size: 32, widths: [8, 16] }) },
      // The face net has a fixed 150² input (seconds per run): left out of --quick.
      { key: 'dilated', title: 'seed dilated stack 32², 8 ch', make: () => seedDilatedStack({ size: 32, channels: 8 }) },
    ]
    : [
      { key: 'vgg', title: 'VGG-style blocks 112² [32,64,128]', make: () => vggBlockStack({ size: 112, widths: [32, 64, 128] }) },
      { key: 'dilated', title: 'seed dilated stack 128², 64 ch, dilations 1,2,4,8', make: () => seedDilatedStack({ size: 128, channels: 64 }) },
      { key: 'face-recognition', title: 'face recognition ResNet 150² (face-api weights)', make: () => faceRecognitionNet() },
    ];
}

const pools = new Map<number, PoolExecutor>();
const overheadUs = new Map<number, number>();
function poolOf(threads: number): PoolExecutor {
  let p = pools.get(threads);
  if (!p) { p = new PoolExecutor({ threads }); pools.set(threads, p); }
  return p;
}
const models = new Map<string, Model>();

function metrics(c: CaseRecord): Record<string, number> {
  const t = Number(c.params.threads);
  const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
  const local = med('local');
  const out: Record<string, number> = {};
  for (const s of WAYS) {
    const m = med(s);
    if (local !== undefined && m !== undefined) { out[`speedup:${s}`] = local / m; out[`efficiency:${s}`] = local / m / t; }
  }
  const o = overheadUs.get(t);
  if (o !== undefined) out.stageOverheadUs = o;
  return out;
}

/** Cases by model and batch size (one panel / block of rows each). */
function byNet(s: SuiteRecord): Map<string, CaseRecord[]> {
  const m = new Map<string, CaseRecord[]>();
  for (const c of s.cases) {
    if (c.error) continue;
    const key = `${String(c.params.model)}${Number(c.params.batch ?? 1) > 1 ? `, batch ${String(c.params.batch)}` : ''}`;
    (m.get(key) ?? m.set(key, []).get(key)!).push(c);
  }
  return m;
}

function summarize(s: SuiteRecord): ReportSection[] {
  const rows: string[][] = [];
  for (const [, cases] of byNet(s)) {
    for (const c of cases) {
      const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
      rows.push([
        String(c.params.title), String(c.params.threads), ms(med('local')),
        ...WAYS.flatMap((st) => [ms(med(st)), ratio(c.metrics?.[`speedup:${st}`]), c.metrics?.[`efficiency:${st}`] !== undefined ? `${(100 * c.metrics[`efficiency:${st}`]!).toFixed(0)} %` : '–']),
        c.metrics?.stageOverheadUs !== undefined ? c.metrics.stageOverheadUs.toFixed(0) : '–',
      ]);
    }
  }
  const head = ['model', 'threads', 'local ms', ...WAYS.flatMap((st) => [`${st} ms`, 'speedup', 'efficiency']), 'barrier µs'];
  return [{
    title: 'Speedup and efficiency',
    markdown: `${mdTable(head, rows, head.map((_, i) => i > 0))}\n\nspeedup = median of the 1-thread LocalExecutor ÷ median of the pool at N threads, or of the LocalExecutor on N intra-op engine threads (engine-threads: the native engine splits each large kernel call across the calling thread and N − 1 helper threads that share its memory) (same interleaved loop); efficiency = speedup ÷ N. barrier µs: what a stage costs the workers (they meet at its end in shared memory; PoolExecutor.stageOverheadUs, measured once per pool), what each layer-wise stage pays.`,
  }];
}

function charts(s: SuiteRecord): ChartFile[] {
  const panels: LinePanel[] = [];
  for (const [key, cases] of byNet(s)) {
    const first = cases[0]!;
    panels.push({
      title: key,
      subtitle: first.flops ? (first.flops >= 1e8 ? `${(first.flops / 1e9).toFixed(2)} GFLOP` : `${(first.flops / 1e6).toFixed(1)} MFLOP`) : undefined,
      series: WAYS.map((st) => ({
        label: st, colour: colourOf(st),
        points: cases.map((c) => [Number(c.params.threads), c.metrics?.[`speedup:${st}`] ?? NaN] as const),
      })),
    });
  }
  if (!panels.length) return [];
  return [{
    file: 'scaling-speedup.svg', title: 'Thread scaling of the PoolExecutor and the engine\'s intra-op threads',
    svg: lineChart({
      title: 'Thread scaling', subtitle: 'speedup over the 1-thread LocalExecutor, per pool strategy and on intra-op engine threads (higher is better)',
      xLabel: 'worker threads', yLabel: 'speedup ×', panels, ideal: true,
      footnote: 'Median of interleaved runs, fp32. A point below 1 at 1 thread is the pool\'s overhead over the main thread.',
    }),
  }];
}

export const scaling: Suite = {
  name: 'scaling',
  title: 'Thread scaling: PoolExecutor layer-wise vs fused tiles',
  description: 'Speedup and parallel efficiency of the PoolExecutor (piscina worker threads over SharedArrayBuffers), and of the LocalExecutor on the native engine\'s intra-op threads (engine-threads), at each thread count against the 1-thread LocalExecutor, on a VGG-style stack, the seed\'s dilated stack and the face recognition ResNet, for one input and for a batch of 8. Strategies (a tiled run is one message per worker; the workers meet at each stage\'s end in shared memory): layer-wise (each layer split across threads, a barrier per layer), fused (fused tile partitioning: no barrier inside a fused run, halos recomputed), auto (on one thread: the calling thread; a batch of at least as many samples as threads: data parallel, whole samples per worker; otherwise the planner\'s choice from its cost model). Outputs must equal the LocalExecutor\'s bit for bit (tolerance 0).',
  timed: 'Executor.run(model, input) from the caller\'s side: for the pool this includes copying the input into shared memory, planning (cached), the message to each worker and every stage barrier.',
  plan: (ctx) => nets(ctx.quick).flatMap((n) => (ctx.quick ? [1, 2] : [1, 8]).flatMap((batch) => ctx.threads.map((t): CaseDef => ({
    id: `${n.key}${batch > 1 ? `-b${batch}` : ''}-t${t}`, title: `${n.title}${batch > 1 ? `, batch ${batch}` : ''}, ${t} thread${t > 1 ? 's' : ''}`, group: n.key,
    params: { model: n.key, title: batch > 1 ? `${n.title}, batch ${batch}` : n.title, threads: t, batch },
    flops: (() => { let m = models.get(n.key); if (!m) { m = n.make(); models.set(n.key, m); } return m.flops([batch, ...m.inputShape.slice(1)]); })(),
    flopsNote: 'Model.flops(): sum of the layers\' op cost models',
    baseline: 'local',
    build: async () => {
      const model = models.get(n.key)!;
      const x = randomTensor([batch, ...model.inputShape.slice(1)], 1);
      const local = new LocalExecutor();
      const pool = poolOf(t);
      overheadUs.set(t, await pool.stageOverheadUs());
      let ref: Tensor | undefined;
      const outs = new Map<string, Tensor>();
      let intra: LocalExecutor | Error;
      try {
        intra = new LocalExecutor({ engine: { kind: 'native', threads: t } });
      } catch (e) {
        intra = e as Error;
      }
      const peers: Peer[] = [
        { id: 'local', runtime: 'tessera-local', label: 'LocalExecutor (main thread)', threads: 1, run: async () => { outs.set('local', await local.run(model, x)); }, output: () => outs.get('local')!.toFloat32Array() },
        intra instanceof Error
          ? { id: ENGINE_THREADS, runtime: ENGINE_THREADS, label: `LocalExecutor, engine threads ${t}`, threads: t, unsupported: intra.message, run: () => undefined }
          : {
            id: ENGINE_THREADS, runtime: ENGINE_THREADS, label: `LocalExecutor, engine threads ${t}`, threads: t,
            run: async () => { outs.set(ENGINE_THREADS, await intra.run(model, x)); }, output: () => outs.get(ENGINE_THREADS)!.toFloat32Array(),
          },
        ...STRATEGIES.map((st): Peer => ({
          id: st, runtime: st, label: `pool ${st}, ${t} thr`, threads: t,
          // auto's first runs of a model and shape time each of its paths (up to 5, 3 rounds each); what is timed is what it then keeps.
          setup: st === 'auto' ? async () => { for (let i = 0; i < 16; i++) await pool.run(model, x); } : undefined,
          run: async () => { outs.set(st, await pool.run(model, x, { strategy: st })); },
          output: () => outs.get(st)!.toFloat32Array(),
        })),
      ];
      return {
        peers,
        tolerance: 0,
        reference: async () => { ref ??= await local.run(model, x); return ref.toFloat32Array(); },
      };
    },
  })))),
  metrics,
  summarize,
  charts,
  async teardown() {
    for (const p of pools.values()) await p.close();
    pools.clear();
    models.clear();
  },
};
