import { fmtShape } from '@tessera/tensor';
import type { TilePlan } from './types.js';

/** A person-readable account of a plan: per stage its layers, cut, tasks, halo overhead, bytes and balance. */
export function explain(p: TilePlan): string {
  const lines: string[] = [];
  const flops = p.stages.reduce((s, st) => s + st.flops, 0);
  const taskFlops = p.stages.reduce((s, st) => s + st.taskFlops, 0);
  const ms = p.stages.reduce((s, st) => s + st.estimatedMs, 0);
  lines.push(`plan for model '${p.modelName}' on input ${fmtShape(p.inputShape)}: ${p.workers} worker(s), strategy ${p.strategy}, ` +
    `${p.stages.length} stage(s), ${p.stages.reduce((s, st) => s + st.tasks.length, 0)} task(s)`);
  lines.push(`  ${(flops / 1e9).toFixed(3)} GFLOP, halo recompute +${pct(taskFlops, flops)}, overhead ${p.taskOverheadUs.toFixed(0)} µs/task + ${p.stageOverheadUs.toFixed(0)} µs/stage, estimate ${ms.toFixed(2)} ms`);
  p.stages.forEach((st, i) => {
    const names = st.layers.map((l) => p.layerNames[l]).join(' → ');
    const out = fmtShape(p.shapes[st.layers[st.layers.length - 1]!]!);
    lines.push(`  stage ${i} ${st.kind.padEnd(5)} ${names}  out ${out}  ${st.cut}, ${st.tasks.length} task(s), ` +
      `halo +${pct(st.taskFlops, st.flops)}, ${(st.bytes / 2 ** 20).toFixed(2)} MiB touched, balance ${st.balance.toFixed(2)}, ~${st.estimatedMs.toFixed(2)} ms`);
  });
  return lines.join('\n');
}

function pct(total: number, base: number): string {
  return base > 0 ? `${((100 * (total - base)) / base).toFixed(1)}%` : '0%';
}
