import type { Model } from '@tessera/nn';
import { intersectRegions, isEmptyRegion } from '@tessera/tensor';
import { layoutBuffers } from '../buffers.js';
import { taskReads } from './reads.js';
import type { TilePlan } from './types.js';

/**
 * What each task of a plan waits for when the workers run it as a dataflow
 * (a task starts as soon as what it needs is there, not when its whole
 * previous stage is):
 * - read after write: the tasks of earlier stages whose output regions meet
 *   a region it reads;
 * - write after read: when its stage's output buffer held another feature
 *   map before (buffers are reused, layoutBuffers), every task that reads
 *   that map, and the tasks that wrote it.
 * Tasks are numbered globally, stage by stage: stage s's task t is
 * `offsets[s] + t`. A task depends only on tasks of earlier stages, so
 * workers that claim tasks in that order never wait on a task nobody runs.
 */
export interface TaskDependencies {
  readonly offsets: readonly number[];
  /** Per global task id, the global ids it waits for. */
  readonly deps: readonly (readonly number[])[];
  /** The same in shared memory (dependencyTable), so each run's message carries a handle, not the lists. */
  readonly table: SharedArrayBuffer;
}

/**
 * Dependency lists as one Int32Array: [n, start of task 0's list, …, start
 * of task n (the end)], then the lists back to back.
 */
export function dependencyTable(deps: readonly (readonly number[])[]): SharedArrayBuffer {
  const n = deps.length;
  const total = deps.reduce((s, d) => s + d.length, 0);
  const buf = new SharedArrayBuffer(4 * (2 + n + total));
  const a = new Int32Array(buf);
  a[0] = n;
  let at = 2 + n;
  deps.forEach((d, g) => {
    a[1 + g] = at;
    a.set(d, at);
    at += d.length;
  });
  a[1 + n] = at;
  return buf;
}

const cache = new WeakMap<TilePlan, TaskDependencies>();

/** Cached per plan; the buffers are layoutBuffers', as every run of the plan gets them. */
export function taskDependencies(model: Model, p: TilePlan): TaskDependencies {
  const hit = cache.get(p);
  if (hit) return hit;
  const { bufferOf } = layoutBuffers(model, p);
  const offsets: number[] = [];
  let total = 0;
  for (const st of p.stages) { offsets.push(total); total += st.tasks.length; }
  const stageOf = new Map<number, number>(); // materialised layer → the stage that writes it
  const readers = new Map<number, number[]>(); // materialised layer → global ids of the tasks that read it
  const lastIn = new Map<number, number>(); // buffer → the layer it holds now
  const deps: number[][] = [];
  p.stages.forEach((st, s) => {
    const out = st.layers[st.layers.length - 1]!;
    const buffer = bufferOf.get(out);
    const before = buffer === undefined ? undefined : lastIn.get(buffer);
    const overwrite: number[] = [];
    if (before !== undefined) {
      overwrite.push(...(readers.get(before) ?? []));
      const ws = stageOf.get(before)!;
      p.stages[ws]!.tasks.forEach((_, t) => overwrite.push(offsets[ws]! + t));
    }
    st.tasks.forEach((task, t) => {
      const need = new Set<number>(overwrite);
      for (const [src, r] of taskReads(model, p.inputShapes, st.layers, task.regions)) {
        if (src < 0) continue; // a model input
        const ps = stageOf.get(src);
        if (ps === undefined) continue; // computed inside this stage
        const list = readers.get(src) ?? [];
        list.push(offsets[s]! + t);
        readers.set(src, list);
        p.stages[ps]!.tasks.forEach((u, k) => {
          if (!isEmptyRegion(intersectRegions(u.regions[u.regions.length - 1]!, r))) need.add(offsets[ps]! + k);
        });
      }
      deps.push([...need].sort((a, b) => a - b));
    });
    stageOf.set(out, s);
    if (buffer !== undefined) lastIn.set(buffer, out);
  });
  const result = { offsets, deps, table: dependencyTable(deps) };
  cache.set(p, result);
  return result;
}
