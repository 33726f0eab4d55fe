import { fmtShape } from '@tessera/tensor';
import type { StageCost, TilePlan } from './types.js';

/** A person-readable account of a plan: why it is cut so, then per stage its layers, cut, tasks, halo overhead, bytes and balance. */
export function explain(p: TilePlan): string {
  const lines: string[] = [];
  const total = (f: (c: StageCost) => number): number => p.stages.reduce((s, st) => s + f(st.cost), 0);
  const flops = total((c) => c.flops);
  const on = p.inputShapes.length > 1 ? `inputs ${p.inputShapes.map(fmtShape).join(', ')}` : `input ${fmtShape(p.inputShape)}`;
  lines.push(`plan for model '${p.modelName}' on ${on}: ${p.workers} worker(s), strategy ${p.strategy}, ` +
    `${p.stages.length} stage(s), ${p.stages.reduce((s, st) => s + st.tasks.length, 0)} task(s)`);
  lines.push(`  ${p.choice}`);
  lines.push(`  ${(flops / 1e9).toFixed(3)} GFLOP, halo recompute +${pct(total((c) => c.taskFlops), flops)}, ` +
    `overhead ${p.taskOverheadUs.toFixed(0)} µs/task + ${p.stageOverheadUs.toFixed(0)} µs/stage, estimate ${total((c) => c.estimatedMs).toFixed(2)} ms`);
  p.stages.forEach((st, i) => {
    const c = st.cost;
    const names = st.layers.map((l) => p.layerNames[l]).join(' → ');
    const out = fmtShape(p.shapes[st.layers[st.layers.length - 1]!]!);
    lines.push(`  stage ${i} ${st.kind.padEnd(5)} ${names}  out ${out}  ${c.cut}, ${st.tasks.length} task(s), ` +
      `halo +${pct(c.taskFlops, c.flops)}, ${(c.bytes / 2 ** 20).toFixed(2)} MiB touched, balance ${c.balance.toFixed(2)}, ~${c.estimatedMs.toFixed(2)} ms`);
  });
  return lines.join('\n');
}

function pct(total: number, base: number): string {
  return base > 0 ? `${((100 * (total - base)) / base).toFixed(1)}%` : '0%';
}
