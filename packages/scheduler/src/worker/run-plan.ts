import type { Model } from '@tessera/nn';
import { TASK_CLAIMED, TASK_DONE, planSlots, type PlanMessage, type PlanReply } from './messages.js';
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
  const t0 = performance.now();
  const ctl = new Int32Array(msg.control);
  const slots = planSlots(msg.stages.map((st) => st.tasks.length));
  let done = 0;
  const stopped = (s: number): PlanReply => ({ ok: true, done, stoppedAt: s, ms: performance.now() - t0 });
  for (let s = 0; s < msg.stages.length; s++) {
    const st = msg.stages[s]!;
    const n = st.tasks.length;
    for (;;) {
      if (Atomics.load(ctl, slots.abort) !== 0) return stopped(s);
      const k = Atomics.add(ctl, slots.next(s), 1);
      if (k >= n) break;
      Atomics.store(ctl, slots.state(s, k), TASK_CLAIMED);
      const fault = st.faults?.[k];
      if (fault === 'exit') process.exit(3);
      const err = runTask(model, msg.inputShape, st.layers, st.tasks[k]!, st.maps, fault);
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
