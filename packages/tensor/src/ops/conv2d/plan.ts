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
 * then compared on everything else it depends on — the spec's fields (read
 * again on every call, so a spec edited in place misses), the input and
 * output shapes (tensor shapes are frozen), the region — and it is used only when the
 * call's bias, scale, shift, postScale and postShift are the very tensors it was checked with and
 * the weights record names no other tensor (a frozen spec and weights record,
 * as a model's layers have, need only be the same objects). Anything else
 * misses and runs the full checks. Bounded: at most PLANS_PER_WEIGHT per weight tensor
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
  readonly postScale: Tensor | undefined;
  readonly postShift: Tensor | undefined;
  readonly tensors: number;
}

/** The spec fields a plan depends on, in the order its snapshot records them. */
const SPEC_FIELDS = ['op', 'kernel', 'stride', 'dilation', 'padding', 'groups', 'flip', 'activation', 'alpha', 'beta'] as const;

type Snapshot = readonly unknown[];

interface Entry {
  readonly snap: Snapshot;
  readonly dims: readonly number[];
  readonly plan: Conv2dPlan;
  /** The spec object and weights record it was made with: when both are frozen (a model's layers are), seeing them again is enough. */
  readonly spec: Conv2dSpec;
  readonly weights: Weights;
}

const byWeight = new WeakMap<Tensor, Entry[]>();

function keyCount(o: object): number {
  let n = 0;
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) n++;
  return n;
}

/** The spec's fields flattened (pairs and padding objects spelled out), and its key count. */
function snapshot(spec: Conv2dSpec): Snapshot {
  const out: unknown[] = [];
  for (const f of SPEC_FIELDS) {
    const v = (spec as unknown as Record<string, unknown>)[f];
    if (Array.isArray(v)) out.push('[]', v.length, v[0], v[1]);
    else if (v !== null && typeof v === 'object') {
      const p = v as Record<string, unknown>;
      out.push('{}', keyCount(p), p.top, p.bottom, p.left, p.right);
    } else out.push(v);
  }
  out.push(keyCount(spec));
  return out;
}

/** Whether `spec` still reads as `snap` (the same walk as snapshot, allocating nothing). */
function sameSpec(spec: Conv2dSpec, snap: Snapshot): boolean {
  let i = 0;
  for (const f of SPEC_FIELDS) {
    const v = (spec as unknown as Record<string, unknown>)[f];
    if (Array.isArray(v)) {
      if (snap[i] !== '[]' || snap[i + 1] !== v.length || snap[i + 2] !== v[0] || snap[i + 3] !== v[1]) return false;
      i += 4;
    } else if (v !== null && typeof v === 'object') {
      const p = v as Record<string, unknown>;
      if (snap[i] !== '{}' || snap[i + 1] !== keyCount(p) || snap[i + 2] !== p.top || snap[i + 3] !== p.bottom || snap[i + 4] !== p.left || snap[i + 5] !== p.right) return false;
      i += 6;
    } else {
      if (snap[i] !== v || v === '[]' || v === '{}') return false;
      i++;
    }
  }
  return snap[i] === keyCount(spec);
}

/** Input shape, output shape and region as one list of numbers. */
function dimsOf(x: Tensor, out: Tensor, r: Region): number[] {
  return [x.shape.length, ...x.shape, out.shape.length, ...out.shape, r.n0, r.n1, r.c0, r.c1, r.y0, r.y1, r.x0, r.x1];
}

function sameDims(d: readonly number[], x: Tensor, out: Tensor, r: Region): boolean {
  const xs = x.shape, os = out.shape;
  if (d[0] !== xs.length) return false;
  let i = 1;
  for (let k = 0; k < xs.length; k++, i++) if (d[i] !== xs[k]) return false;
  if (d[i++] !== os.length) return false;
  for (let k = 0; k < os.length; k++, i++) if (d[i] !== os[k]) return false;
  return d[i] === r.n0 && d[i + 1] === r.n1 && d[i + 2] === r.c0 && d[i + 3] === r.c1 && d[i + 4] === r.y0 && d[i + 5] === r.y1 && d[i + 6] === r.x0 && d[i + 7] === r.x1;
}

function tensorsIn(weights: Weights): number {
  let n = 0;
  for (const k in weights) if (weights[k] !== undefined) n++;
  return n;
}

/** Whether the call's plan may be cached: one Tensor input, a Tensor output and weight, an object region. */
export function cacheable(inputs: readonly Tensor[], weights: Weights, out: Tensor, r: Region): boolean {
  return inputs?.length === 1 && inputs[0] instanceof Tensor && out instanceof Tensor && weights?.weight instanceof Tensor && r !== null && typeof r === 'object';
}

/** The plan of an identical earlier call (see cacheable), or undefined. */
export function cachedPlan(spec: Conv2dSpec, x: Tensor, weights: Weights, out: Tensor, r: Region): Conv2dPlan | undefined {
  const entries = byWeight.get(weights.weight!);
  if (!entries) return undefined;
  for (const e of entries) {
    const p = e.plan;
    // A frozen spec and weights record cannot have changed: only the shapes and region are compared.
    if (e.spec === spec && e.weights === weights && Object.isFrozen(spec) && Object.isFrozen(weights)) {
      if (sameDims(e.dims, x, out, r)) return p;
      continue;
    }
    if (p.bias !== weights.bias || p.scale !== weights.scale || p.shift !== weights.shift || !sameDims(e.dims, x, out, r)) continue;
    if (p.postScale !== weights.postScale || p.postShift !== weights.postShift) continue;
    if (!sameSpec(spec, e.snap) || p.tensors !== tensorsIn(weights)) continue;
    return p;
  }
  return undefined;
}

/** Remembers the plan of a call that passed every check. */
export function rememberPlan(spec: Conv2dSpec, x: Tensor, weights: Weights, out: Tensor, r: Region, g: Geometry, win: Window): Conv2dPlan {
  const w = weights.weight!;
  let entries = byWeight.get(w);
  if (!entries) byWeight.set(w, (entries = []));
  if (entries.length >= PLANS_PER_WEIGHT) entries.shift();
  const plan: Conv2dPlan = {
    g, win, bias: weights.bias, scale: weights.scale, shift: weights.shift, postScale: weights.postScale, postShift: weights.postShift, tensors: tensorsIn(weights),
  };
  entries.push({ snap: snapshot(spec), dims: dimsOf(x, out, r), plan, spec, weights });
  return plan;
}
