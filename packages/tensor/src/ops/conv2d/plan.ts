import type { Region } from '../../region.js';
import { Tensor } from '../../tensor.js';
import type { Geometry, Weights } from '../op.js';
import type { Conv2dSpec } from './spec.js';

/*
 * What conv2dFast derives from a call before any arithmetic — the argument
 * checks, the geometry, the input window, the patch offset tables — kept
 * per weight tensor so that a model run again (the same layers, shapes and
 * regions) recomputes none of it. A small model spends more time there
 * than in its kernels.
 *
 * Keyed safely: a plan is found through the weight tensor it was made for,
 * then by a string of everything else it depends on — the spec's fields
 * (JSON, so a spec edited in place misses), the input and output shapes
 * (tensor shapes are frozen), the region — and it is used only when the
 * call's bias, scale and shift are the very tensors it was checked with and
 * the weights record names no other tensor. Anything else misses and runs
 * the full checks. Bounded: at most PLANS_PER_WEIGHT per weight tensor
 * (oldest dropped first); the tensors' garbage collection drops the rest.
 */
const PLANS_PER_WEIGHT = 64;

/** The input rectangle a region's window covers (conv2d/fast.ts windowOf). */
export interface Window {
  PH: number; PW: number;
  /** Input row / column of patch cell (0, 0); may be negative (padding). */
  ya: number; xa: number;
  /** Patch rows [top, top + rows) and columns [left, left + cols) hold input. */
  top: number; rows: number; left: number; cols: number;
}

export interface Conv2dPlan {
  readonly g: Geometry;
  readonly win: Window;
  /** generalConv's tap offsets and per-position patch offsets (padded to whole tiles), filled on first use. */
  toff?: Int32Array;
  qoff?: Int32Array;
  /** The weights it was checked with (identity), and how many tensors that record held. */
  readonly bias: Tensor | undefined;
  readonly scale: Tensor | undefined;
  readonly shift: Tensor | undefined;
  readonly tensors: number;
}

const byWeight = new WeakMap<Tensor, Map<string, Conv2dPlan>>();

function tensorsIn(weights: Weights): number {
  let n = 0;
  for (const k in weights) if (weights[k] !== undefined) n++;
  return n;
}

function keyOf(spec: Conv2dSpec, x: Tensor, out: Tensor, r: Region): string {
  return `${JSON.stringify(spec)}|${x.shape.join(',')}|${out.shape.join(',')}|${r.n0},${r.n1},${r.c0},${r.c1},${r.y0},${r.y1},${r.x0},${r.x1}`;
}

/** The key of a call whose plan may be cached, or undefined when it cannot be (not a single Tensor input, no weight Tensor, ...). */
export function planKey(spec: Conv2dSpec, inputs: readonly Tensor[], weights: Weights, out: Tensor, r: Region): string | undefined {
  if (inputs?.length !== 1 || !(inputs[0] instanceof Tensor) || !(out instanceof Tensor) || !(weights?.weight instanceof Tensor)) return undefined;
  if (r === null || typeof r !== 'object') return undefined;
  return keyOf(spec, inputs[0], out, r);
}

/** The plan of an identical earlier call, or undefined. */
export function cachedPlan(key: string, weights: Weights): Conv2dPlan | undefined {
  const p = byWeight.get(weights.weight!)?.get(key);
  if (!p || p.bias !== weights.bias || p.scale !== weights.scale || p.shift !== weights.shift || p.tensors !== tensorsIn(weights)) return undefined;
  return p;
}

/** Remembers the plan of a call that passed every check. */
export function rememberPlan(key: string, weights: Weights, g: Geometry, win: Window): Conv2dPlan {
  const w = weights.weight!;
  let plans = byWeight.get(w);
  if (!plans) byWeight.set(w, (plans = new Map()));
  if (plans.size >= PLANS_PER_WEIGHT) plans.delete(plans.keys().next().value!);
  const p: Conv2dPlan = { g, win, bias: weights.bias, scale: weights.scale, shift: weights.shift, tensors: tensorsIn(weights) };
  plans.set(key, p);
  return p;
}
