import type { Region } from '../region.js';
import type { Tensor } from '../tensor.js';

/**
 * A region of several same-extent views cut into equal runs: run k of view t
 * starts at `starts[t][k]` and holds `len` elements `steps[t]` apart. Axes
 * whose memory is adjacent in every view are merged (numpy's nditer
 * coalescing), so a whole contiguous region is one run and element-wise
 * kernels spend their time in one tight loop instead of per-row bookkeeping.
 */
export interface Runs {
  readonly count: number;
  readonly len: number;
  readonly steps: readonly number[];
  readonly starts: readonly Int32Array[];
  /** Region channel (absolute, r.c0-based) of each run; only with `keepChannels`. */
  readonly channels: Int32Array | null;
}

type Origin = readonly [number, number, number, number];

interface Axis { ext: number; st: number[]; lock: boolean }

/**
 * @param origins  per view, the coordinate in that view of the region's corner
 *                 (r.n0, r.c0, r.y0, r.x0); defaults to the corner itself.
 * @param keepChannels  never let a run cross a channel, and report each run's channel.
 */
export function regionRuns(views: readonly Tensor[], r: Region, origins?: readonly (Origin | undefined)[], keepChannels = false): Runs {
  const ext = [r.n1 - r.n0, r.c1 - r.c0, r.y1 - r.y0, r.x1 - r.x0];
  const strides = views.map((t) => t.strides4());
  const base = views.map((t, k) => {
    const o = origins?.[k] ?? [r.n0, r.c0, r.y0, r.x0];
    const s = strides[k]!;
    return t.offset + o[0] * s[0] + o[1] * s[1] + o[2] * s[2] + o[3] * s[3];
  });
  const zeros = views.map(() => 0);
  // Inner-first list of collapsed axes.
  const axes: Axis[] = [];
  const add = (dim: number, lock: boolean): void => {
    const e = ext[dim]!;
    if (e === 1 && !lock) return;
    const st = strides.map((s) => s[dim]!);
    const last = axes[axes.length - 1];
    if (last && !lock && !last.lock && st.every((s, k) => s === last.ext * last.st[k]!)) {
      last.ext *= e;
      return;
    }
    axes.push({ ext: e, st, lock });
  };
  add(3, false);
  add(2, false);
  // With keepChannels the run must not be the channel axis itself.
  if (keepChannels && axes.length === 0) axes.push({ ext: 1, st: zeros, lock: false });
  add(1, keepChannels);
  add(0, false);
  if (axes.length === 0) axes.push({ ext: 1, st: zeros, lock: false });

  const inner = axes[0]!;
  const outer = axes.slice(1);
  let count = 1;
  for (const a of outer) count *= a.ext;
  const starts = views.map(() => new Int32Array(count));
  const channels = keepChannels ? new Int32Array(count) : null;
  const chanAxis = outer.findIndex((a) => a.lock);
  const idx = new Array<number>(outer.length).fill(0);
  for (let k = 0; k < count; k++) {
    for (let t = 0; t < views.length; t++) {
      let o = base[t]!;
      for (let a = 0; a < outer.length; a++) o += idx[a]! * outer[a]!.st[t]!;
      starts[t]![k] = o;
    }
    if (channels) channels[k] = r.c0 + (chanAxis >= 0 ? idx[chanAxis]! : 0);
    for (let a = 0; a < outer.length; a++) {
      if (++idx[a]! < outer[a]!.ext) break;
      idx[a] = 0;
    }
  }
  return { count, len: inner.ext, steps: inner.st, starts, channels };
}

/**
 * Copies runs of view 0 into view 1. Long unit-stride runs use
 * TypedArray.set (a memcpy); short or strided ones a plain loop.
 */
export function copyRuns(src: Float32Array, dst: Float32Array, runs: Runs): void {
  const ia = runs.starts[0]!, oa = runs.starts[1]!, is = runs.steps[0]!, os = runs.steps[1]!, len = runs.len;
  const unit = is === 1 && os === 1;
  for (let k = 0; k < runs.count; k++) {
    let i = ia[k]!, o = oa[k]!;
    if (unit && len >= 64) dst.set(src.subarray(i, i + len), o);
    else if (unit) for (const e = i + len; i < e; i++, o++) dst[o] = src[i]!;
    else for (let j = 0; j < len; j++, i += is, o += os) dst[o] = src[i]!;
  }
}

/** Writes `value` to every element of the runs of view 0. */
export function fillRuns(dst: Float32Array, runs: Runs, value: number): void {
  const oa = runs.starts[0]!, os = runs.steps[0]!, len = runs.len;
  for (let k = 0; k < runs.count; k++) {
    let o = oa[k]!;
    if (os === 1) dst.fill(value, o, o + len);
    else for (let j = 0; j < len; j++, o += os) dst[o] = value;
  }
}
