import type { Model } from '@tessera/nn';
import {
  TASK_CLAIMED, TASK_DONE, TASK_OPEN, planSlots,
  type BarrierProbeMessage, type PlanLayoutSpec, type PlanMessage, type PlanReply, type PlanStage, type SharedMap, type TaskError,
} from './messages.js';
import { dependencyTable } from '../plan/dependencies.js';
import { runTask } from './run-task.js';

/** How long a worker sleeps on a dependency before it looks at the abort flag again, in ms. */
const WAIT_SLICE_MS = 20;
/** Loads of a dependency's state before sleeping on it (tens of µs): a dependency is often about to finish, and waking from Atomics.wait costs as much. */
const SPIN_LOADS = 20_000;

/**
 * A worker's part of a whole tiled run (PlanMessage): claim tasks in the
 * global order, wait for each one's dependencies, run it, mark it done. Stops
 * at the abort flag (the caller aborted, a task failed, a worker died): the
 * coordinator finishes the run from what is marked done.
 */
export function runPlan(model: Model, msg: PlanMessage): PlanReply {
  const stages = planStages(model, msg);
  return walkTasks(msg.control, stages.map((st) => st.tasks.length), new Int32Array(msg.deps), (s, k) => {
    const st = stages[s]!;
    const fault = st.faults?.[k];
    if (fault === 'exit') process.exit(3);
    return runTask(model, msg.inputShape, st.layers, st.tasks[k]!, st.maps, fault);
  });
}

/** Plan layouts this thread has decoded, by key, most recently used last (bounded: a long-lived pool sees many plans). */
const layouts = new Map<string, PlanLayoutSpec>();
const MAX_LAYOUTS = 64;

/** A run's stages: the plan's layout (decoded once per plan) over this run's buffers. */
function planStages(model: Model, msg: PlanMessage): PlanStage[] {
  let spec = layouts.get(msg.layout.key);
  if (spec) layouts.delete(msg.layout.key);
  else spec = JSON.parse(new TextDecoder().decode(new Uint8Array(msg.layout.json).slice())) as PlanLayoutSpec;
  layouts.set(msg.layout.key, spec);
  if (layouts.size > MAX_LAYOUTS) layouts.delete(layouts.keys().next().value!);
  const shapes = model.shapes(msg.inputShape);
  const inputs = model.inputShapes(msg.inputShape);
  const slots: SharedMap[] = spec.slots.map((producer, i) => ({
    buffer: msg.buffers[i]!, byteOffset: msg.byteOffsets[i]!, shape: producer < 0 ? inputs[-1 - producer]! : shapes[producer]!,
  }));
  return spec.stages.map((st, s) => ({
    layers: st.layers,
    tasks: st.tasks,
    maps: Object.fromEntries(Object.entries(st.maps).map(([producer, slot]) => [producer, slots[slot]!])),
    faults: msg.faults?.[s],
  }));
}

/**
 * The claim-and-wait walk alone, each task a busy wait of `spinUs` and each
 * waiting for every task of the stage before: what a stage barrier costs the
 * workers (the pool's cost model).
 */
export function probeBarriers(msg: BarrierProbeMessage): PlanReply {
  const counts = new Array<number>(msg.stages).fill(msg.tasks);
  const deps = counts.flatMap((n, s) => Array.from({ length: n }, () => (s === 0 ? [] : Array.from({ length: msg.tasks }, (_, k) => (s - 1) * msg.tasks + k))));
  return walkTasks(msg.control, counts, new Int32Array(dependencyTable(deps)), () => {
    for (const t0 = performance.now(); performance.now() - t0 < msg.spinUs / 1e3;);
    return null;
  });
}

function walkTasks(
  control: SharedArrayBuffer, counts: readonly number[], deps: Int32Array, run: (stage: number, task: number) => TaskError | null,
): PlanReply {
  const t0 = performance.now();
  const ctl = new Int32Array(control);
  const slots = planSlots(counts);
  const stageOf: number[] = [], taskOf: number[] = [];
  counts.forEach((n, s) => { for (let t = 0; t < n; t++) { stageOf.push(s); taskOf.push(t); } });
  let done = 0;
  for (;;) {
    if (Atomics.load(ctl, slots.abort) !== 0) return { ok: true, done, stopped: true, ms: performance.now() - t0 };
    const g = Atomics.add(ctl, slots.next, 1);
    if (g >= stageOf.length) break;
    Atomics.store(ctl, slots.state(g), TASK_CLAIMED);
    // Its dependencies were claimed before it, each by a worker now running it (or by one that died: then the abort flag rises).
    for (let at = deps[1 + g]!, end = deps[2 + g]!; at < end; at++) {
      const d = deps[at]!;
      for (let spin = 0; spin < SPIN_LOADS && Atomics.load(ctl, slots.state(d)) !== TASK_DONE; spin++);
      for (let st = Atomics.load(ctl, slots.state(d)); st !== TASK_DONE; st = Atomics.load(ctl, slots.state(d))) {
        if (Atomics.load(ctl, slots.abort) !== 0) {
          // Not started: open again, so the coordinator does not count it lost with a dead worker.
          Atomics.store(ctl, slots.state(g), TASK_OPEN);
          return { ok: true, done, stopped: true, ms: performance.now() - t0 };
        }
        Atomics.wait(ctl, slots.state(d), st, WAIT_SLICE_MS);
      }
    }
    const err = run(stageOf[g]!, taskOf[g]!);
    if (err) {
      // The others stop at their next look at the flag.
      Atomics.store(ctl, slots.abort, 1);
      return { ok: false, error: err };
    }
    // Its writes are visible to whoever sees the state (Atomics are sequentially consistent).
    Atomics.store(ctl, slots.state(g), TASK_DONE);
    Atomics.notify(ctl, slots.state(g));
    Atomics.add(ctl, slots.done(stageOf[g]!), 1);
    done++;
  }
  return { ok: true, done, ms: performance.now() - t0 };
}
