#!/usr/bin/env node
/**
 * Thread scaling of the PoolExecutor: speedup and parallel efficiency for
 * 1..N threads against the single-thread LocalExecutor, per strategy, plus
 * the measured per-task overhead. Not a test: prints a table and writes JSON.
 *
 *   npm run scaling -w @tessera/bench -- [--threads 1,2] [--runs 7] [--quick] [--explain] [--out FILE]
 * Speedups are against the 1-thread LocalExecutor measured in the same interleaved loop.
 */
import { availableParallelism, cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, seedDilatedStack, vggBlockStack, type Model } from '@tessera/nn';
import { PoolExecutor, explain, type Strategy } from '@tessera/scheduler';

const { values } = parseArgs({
  options: {
    threads: { type: 'string' },
    runs: { type: 'string', default: '7' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    explain: { type: 'boolean', default: false },
  },
});
const quick = values.quick!;
const runs = quick ? 2 : Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
const threadList = values.threads
  ? values.threads.split(',').map(Number)
  : Array.from({ length: availableParallelism() }, (_, i) => i + 1);
for (const t of threadList) if (!Number.isInteger(t) || t < 1) throw new Error(`--threads: bad thread count ${t}`);

function l2Layer(): Model {
  const b = new ModelBuilder('L2 conv 64→64 56²', [1, 64, 56, 56]);
  return b.build(b.conv2d(b.input, { outChannels: 64, kernel: 3, padding: 'same' }));
}

const models: Model[] = quick
  ? [seedDilatedStack({ size: 32, channels: 8 }), vggBlockStack({ size: 32, widths: [8, 16] })]
  : [l2Layer(), vggBlockStack({ size: 112, widths: [32, 64, 128] }), seedDilatedStack({ size: 128, channels: 64 })];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row { model: string; gflop: number; threads: number; strategy: Strategy | 'local'; medianMs: number; minMs: number; speedup: number; efficiency: number }
const rows: Row[] = [];
const overheads: Record<number, number> = {};
const local = new LocalExecutor();

const strategies: Strategy[] = ['layer-wise', 'fused', 'auto'];
const warmups = quick ? 1 : 5;

for (const m of models) {
  const x = randomTensor(m.inputShape, 1);
  const gflop = m.flops() / 1e9;
  for (const threads of threadList) {
    const pool = new PoolExecutor({ threads });
    try {
      overheads[threads] = await pool.stageOverheadUs();
      // Warm the JIT in every worker and in this thread before timing.
      for (let i = 0; i < warmups; i++) {
        await local.run(m, x);
        for (const s of strategies) await pool.run(m, x, { strategy: s });
      }
      const times: Record<string, number[]> = {};
      const time = async (key: string, f: () => Promise<unknown>): Promise<void> => {
        const t0 = performance.now();
        await f();
        (times[key] ??= []).push(performance.now() - t0);
      };
      // Interleave the 1-thread baseline and the strategies so background load hits all alike.
      for (let i = 0; i < runs; i++) {
        await time('local', () => local.run(m, x));
        for (const s of strategies) await time(s, () => pool.run(m, x, { strategy: s }));
      }
      const baseMs = median(times.local!);
      if (threads === threadList[0]) {
        rows.push({ model: m.name, gflop, threads: 1, strategy: 'local', medianMs: baseMs, minMs: Math.min(...times.local!), speedup: 1, efficiency: 1 });
      }
      for (const s of strategies) {
        const med = median(times[s]!);
        rows.push({ model: m.name, gflop, threads, strategy: s, medianMs: med, minMs: Math.min(...times[s]!), speedup: baseMs / med, efficiency: baseMs / med / threads });
      }
      if (values.explain) console.log(explain(await pool.plan(m, x.shape, 'auto')));
    } finally {
      await pool.close();
    }
  }
}

console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} threads available, Node ${process.version}`);
console.log(`per-stage overhead (empty message round trip to every worker): ${Object.entries(overheads).map(([t, us]) => `${t} thr ${us.toFixed(0)} µs`).join(', ')}`);
console.log('');
console.log('model                         threads strategy    median ms  GFLOP/s  speedup  efficiency');
for (const r of rows) {
  console.log(`${r.model.padEnd(29)} ${String(r.threads).padStart(7)} ${r.strategy.padEnd(11)} ${r.medianMs.toFixed(2).padStart(9)} ${(r.gflop / (r.medianMs / 1e3)).toFixed(2).padStart(8)} ${r.speedup.toFixed(2).padStart(7)}× ${(100 * r.efficiency).toFixed(0).padStart(9)}%`);
}
if (values.out) {
  writeFileSync(values.out, JSON.stringify({ machine: { cpu: cpus()[0]?.model, threads: availableParallelism(), node: process.version }, overheadsUs: overheads, rows }, null, 2));
  console.log(`\nwrote ${values.out}`);
}
