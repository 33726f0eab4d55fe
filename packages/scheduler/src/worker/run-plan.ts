import type { Model } from '@tessera/nn';
import { TASK_CLAIMED, TASK_DONE, planSlots, type BarrierProbeMessage, type PlanMessage, type PlanReply, type TaskError } from './messages.js';
import { runTask } from './run-task.js';

/** How long a worker sleeps at a stage barrier before it looks at the abort flag again, in ms. */
const WAIT_SLICE_MS = 20;

/**
 * A worker's part of a whole tiled run (PlanMessage): in each stage, claim
 * and run tasks until none is left, then wait for the stage's other tasks
 * to finish (the next stage reads what they write) and go on. Stops at the
 * abort flag (the caller aborted, a task failed, a worker died): the
 * coordinator finishes the run from that stage.
 */
export function runPlan(model: Model, msg: PlanMessage): PlanReply {
  return walkStages(msg.control, msg.stages.map((st) => st.tasks.length), (s, k) => {
    const st = msg.stages[s]!;
    const fault = st.faults?.[k];
    if (fault === 'exit') process.exit(3);
    return runTask(model, msg.inputShape, st.layers, st.tasks[k]!, st.maps, fault);
  });
}

/** The claim-and-barrier walk alone, each task a busy wait of `spinUs`: what a stage costs the workers (the pool's cost model). */
export function probeBarriers(msg: BarrierProbeMessage): PlanReply {
  return walkStages(msg.control, new Array<number>(msg.stages).fill(msg.tasks), () => {
    for (const t0 = performance.now(); performance.now() - t0 < msg.spinUs / 1e3;);
    return null;
  });
}

function walkStages(control: SharedArrayBuffer, counts: readonly number[], run: (stage: number, task: number) => TaskError | null): PlanReply {
  const t0 = performance.now();
  const ctl = new Int32Array(control);
  const slots = planSlots(counts);
  let done = 0;
  const stopped = (s: number): PlanReply => ({ ok: true, done, stoppedAt: s, ms: performance.now() - t0 });
  for (let s = 0; s < counts.length; s++) {
    const n = counts[s]!;
    for (;;) {
      if (Atomics.load(ctl, slots.abort) !== 0) return stopped(s);
      const k = Atomics.add(ctl, slots.next(s), 1);
      if (k >= n) break;
      Atomics.store(ctl, slots.state(s, k), TASK_CLAIMED);
      const err = run(s, k);
      if (err) {
        // The others stop at their next look at the flag; wake those waiting on this stage now.
        Atomics.store(ctl, slots.abort, 1);
        Atomics.notify(ctl, slots.done(s));
        return { ok: false, error: err };
      }
      Atomics.store(ctl, slots.state(s, k), TASK_DONE);
      done++;
      if (Atomics.add(ctl, slots.done(s), 1) + 1 === n) Atomics.notify(ctl, slots.done(s));
    }
    // Barrier: every task of this stage finished (their writes are visible after the atomic counter is).
    for (let d = Atomics.load(ctl, slots.done(s)); d < n; d = Atomics.load(ctl, slots.done(s))) {
      if (Atomics.load(ctl, slots.abort) !== 0) return stopped(s);
      Atomics.wait(ctl, slots.done(s), d, WAIT_SLICE_MS);
    }
  }
  return { ok: true, done, ms: performance.now() - t0 };
}
