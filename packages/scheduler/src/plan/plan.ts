import {
  TesseraError, checkInt, checkShape, dims4, fullRegion, getOp, isEmptyRegion, regionVolume, splitRegion, unionRegions,
  type Region, type Shape,
} from '@tessera/tensor';
import { INPUT, type Model } from '@tessera/nn';
import { closedRunTest, fusableRuns } from './segments.js';
import type { PlanOptions, Stage, Strategy, Task, TilePlan } from './types.js';

const DEFAULTS = { tasksPerWorker: 3, taskOverheadUs: 20, stageOverheadUs: 300, gflopsPerWorker: 30, maxFusedLayers: 12 };

interface Ctx {
  model: Model;
  shapes: readonly Shape[];
  inputShape: Shape;
  workers: number;
  k: number;
  overheadS: number;
  stageS: number;
  flopsPerS: number;
}

/**
 * Plans a run of `model` on `inputShape` over `workers` workers. Pure: data in,
 * data out; the pool and the cluster execute the same plans.
 */
export function plan(model: Model, inputShape: Shape, opts: PlanOptions): TilePlan {
  checkShape(inputShape, 'plan input shape');
  const workers = checkInt('plan workers', opts.workers, 1);
  const strategy: Strategy = opts.strategy ?? 'auto';
  if (!['layer-wise', 'fused', 'auto'].includes(strategy)) {
    throw new TesseraError('BAD_ARGUMENT', `plan strategy must be 'layer-wise', 'fused' or 'auto', got ${JSON.stringify(strategy)}`);
  }
  const o = { ...DEFAULTS, ...stripUndefined(opts) };
  const ctx: Ctx = {
    model, inputShape, workers,
    shapes: model.shapes(inputShape),
    k: checkInt('plan tasksPerWorker', o.tasksPerWorker, 1),
    overheadS: o.taskOverheadUs * 1e-6,
    stageS: o.stageOverheadUs * 1e-6,
    flopsPerS: o.gflopsPerWorker * 1e9,
  };
  const stages: Stage[] = [];
  const closed = closedRunTest(model);
  for (const run of fusableRuns(model, ctx.shapes, checkInt('plan maxFusedLayers', o.maxFusedLayers, 1))) {
    const layerwise = (): Stage[] => run.map((l) => layerStage(ctx, l));
    if (run.length === 1 || strategy === 'layer-wise') {
      stages.push(...layerwise());
    } else if (strategy === 'fused') {
      stages.push(fusedStage(ctx, run));
    } else {
      stages.push(...cheapestCut(ctx, run, closed));
    }
  }
  return {
    version: 1,
    modelId: model.id,
    modelName: model.name,
    inputShape: [...inputShape],
    workers,
    strategy,
    shapes: ctx.shapes.map((s) => [...s]),
    // A fused layer shows what it merged (conv+bn+relu), for explain and error messages.
    layerNames: model.layers.map((l) => [l.name, ...(l.merged ?? [])].join('+')),
    stages,
    taskOverheadUs: o.taskOverheadUs,
    stageOverheadUs: o.stageOverheadUs,
  };
}

/**
 * Auto: the cheapest way to cut a fusable run into consecutive stages, each a
 * single layer (layer-wise) or a closed sub-run (fused), by dynamic
 * programming over the cut points with the cost model's estimates.
 */
function cheapestCut(ctx: Ctx, run: readonly number[], closed: (i: number, j: number) => boolean): Stage[] {
  const best: { ms: number; stages: Stage[] }[] = [{ ms: 0, stages: [] }];
  for (let end = 1; end <= run.length; end++) {
    let pick: { ms: number; stages: Stage[] } | undefined;
    for (let start = end - 1; start >= 0; start--) {
      const sub = run.slice(start, end);
      if (sub.length > 1 && !closed(sub[0]!, sub[sub.length - 1]!)) continue;
      const st = sub.length === 1 ? layerStage(ctx, sub[0]!) : fusedStage(ctx, sub);
      const ms = best[start]!.ms + st.estimatedMs;
      if (!pick || ms < pick.ms) pick = { ms, stages: [...best[start]!.stages, st] };
    }
    best.push(pick!);
  }
  return best[run.length]!.stages;
}

/** One layer, its output cut into about k × workers regions along the best-balanced axis. */
function layerStage(ctx: Ctx, layer: number): Stage {
  const shape = ctx.shapes[layer]!;
  const flops = layerFlops(ctx, layer);
  const target = ctx.workers === 1 ? 1 : Math.max(1, Math.min(ctx.workers * ctx.k, maxUsefulTasks(ctx, flops)));
  const [n, c, h] = dims4(shape);
  const whole = fullRegion(shape);
  let regions: Region[];
  let cut: string;
  if (target === 1) {
    regions = [whole];
    cut = 'whole';
  } else if (n >= target) {
    regions = splitRegion(whole, 'n', target);
    cut = `batch×${regions.length}`;
  } else {
    // Per image: the axis whose even split wastes least (a 7×7×512 map goes by channels, 112×112×32 by rows).
    const per = Math.ceil(target / n);
    const waste = (len: number): number => (len < per ? Infinity : (Math.ceil(len / per) * per) / len);
    const axis: 'y' | 'c' = shape.length === 2 || waste(c) < waste(h) * 0.95 ? 'c' : 'y';
    const len = axis === 'y' ? h : c;
    const parts = Math.min(per, len);
    regions = splitRegion(whole, 'n', n).flatMap((r) => splitRegion(r, axis, parts));
    if (len < per && axis === 'y' && c > 1) {
      // Too few rows for the workers: cut channels too.
      const more = Math.min(c, Math.ceil(per / len));
      regions = regions.flatMap((r) => splitRegion(r, 'c', more));
    }
    cut = `${n > 1 ? `batch×${n} ` : ''}${axis === 'y' ? 'rows' : 'channels'}×${parts}${regions.length !== n * parts ? ` (${regions.length} regions)` : ''}`;
  }
  const tasks: Task[] = regions.map((r, id) => ({ id, regions: [r] }));
  const vol = regionVolume(whole);
  const taskFlops = tasks.map((t) => (flops * regionVolume(t.regions[0]!)) / vol);
  const bytes = tasks.reduce((s, t) => s + 4 * (regionVolume(t.regions[0]!) + externalReadVolume(ctx, [layer], t.regions)), 0);
  return finish(ctx, { kind: 'layer', layers: [layer], tasks, cut, flops, taskFlops: sum(taskFlops), bytes }, taskFlops);
}

/**
 * A fused run: cut the last layer's output into tiles (batch first — no halo —
 * then a grid close to square), grow each tile back through the run with
 * inputRegion. Tries a few tile counts and keeps the cheapest by the cost model.
 */
function fusedStage(ctx: Ctx, run: readonly number[]): Stage {
  const last = run[run.length - 1]!;
  const [n, , h, w] = dims4(ctx.shapes[last]!);
  const flops = sum(run.map((l) => layerFlops(ctx, l)));
  const counts = ctx.workers === 1 ? [1] : [1, 2, 3, 4].map((m) => m * ctx.workers);
  let best: Stage | undefined;
  for (const t of counts) {
    const grid = tileGrid(t, n, h, w);
    const tiles = gridRegions(ctx.shapes[last]!, grid);
    const tasks: Task[] = tiles.map((r, id) => ({ id, regions: growBack(ctx, run, r) }));
    const taskFlops = tasks.map((tk) => sum(run.map((l, i) => (layerFlops(ctx, l) * regionVolume(tk.regions[i]!)) / regionVolume(fullRegion(ctx.shapes[l]!)))));
    const bytes = tasks.reduce((s, tk) => s + 4 * (sum(tk.regions.map(regionVolume)) + externalReadVolume(ctx, run, tk.regions)), 0);
    const cut = `tiles ${grid.n > 1 ? `batch×${grid.n} ` : ''}${grid.rows}×${grid.cols}`;
    const st = finish(ctx, { kind: 'fused', layers: [...run], tasks, cut, flops, taskFlops: sum(taskFlops), bytes }, taskFlops);
    if (!best || st.estimatedMs < best.estimatedMs) best = st;
  }
  return best!;
}

/** Regions each layer of `run` must compute so the last layer can produce `tile`. */
function growBack(ctx: Ctx, run: readonly number[], tile: Region): Region[] {
  const need = new Map<number, Region>([[run[run.length - 1]!, tile]]);
  const inRun = new Set(run);
  for (let i = run.length - 1; i >= 0; i--) {
    const l = run[i]!;
    const r = need.get(l);
    if (!r) continue;
    const layer = ctx.model.layers[l]!;
    const ins = ctx.model.layerInputShapes(l, ctx.inputShape);
    layer.inputs.forEach((src, idx) => {
      if (src === INPUT || !inRun.has(src)) return;
      const ir = getOp(layer.spec.op).inputRegion(layer.spec, r, ins, ctx.shapes[l]!, idx);
      if (!ir || isEmptyRegion(ir)) return;
      const prev = need.get(src);
      need.set(src, prev ? unionRegions(prev, ir) : ir);
    });
  }
  // A layer no tile pixel depends on still needs a tensor to stand in: one element.
  return run.map((l) => need.get(l) ?? { ...fullRegion(ctx.shapes[l]!), n1: 1, c1: 1, y1: 1, x1: 1 });
}

/** Volume of the inputs a task reads from outside the run (shared buffers or the model input). */
function externalReadVolume(ctx: Ctx, run: readonly number[], regions: readonly Region[]): number {
  const inRun = new Set(run);
  let v = 0;
  run.forEach((l, i) => {
    const layer = ctx.model.layers[l]!;
    const ins = ctx.model.layerInputShapes(l, ctx.inputShape);
    layer.inputs.forEach((src, idx) => {
      if (src !== INPUT && inRun.has(src)) return;
      const ir = getOp(layer.spec.op).inputRegion(layer.spec, regions[i]!, ins, ctx.shapes[l]!, idx);
      if (ir && !isEmptyRegion(ir)) v += regionVolume(ir);
    });
  });
  return v;
}

interface Grid { n: number; rows: number; cols: number }

/** About `t` tiles: whole images first, then rows × cols with tiles close to square. */
function tileGrid(t: number, n: number, h: number, w: number): Grid {
  const nb = Math.min(n, t);
  const per = Math.ceil(t / nb);
  if (per <= 1) return { n: nb, rows: 1, cols: 1 };
  let rows = Math.max(1, Math.min(h, Math.round(Math.sqrt((per * h) / w))));
  let cols = Math.max(1, Math.min(w, Math.ceil(per / rows)));
  if (rows * cols < per) rows = Math.min(h, Math.ceil(per / cols));
  return { n: nb, rows, cols };
}

function gridRegions(shape: Shape, g: Grid): Region[] {
  return splitRegion(fullRegion(shape), 'n', g.n)
    .flatMap((r) => splitRegion(r, 'y', g.rows))
    .flatMap((r) => splitRegion(r, 'x', g.cols));
}

/** Deals each task to the least-loaded worker (what claiming from a shared counter does) and prices the stage. */
function finish(ctx: Ctx, s: Omit<Stage, 'balance' | 'estimatedMs'>, taskFlops: readonly number[]): Stage {
  const load = new Array<number>(ctx.workers).fill(0);
  const count = new Array<number>(ctx.workers).fill(0);
  for (const f of taskFlops) {
    let m = 0;
    for (let i = 1; i < load.length; i++) if (load[i]! < load[m]!) m = i;
    load[m]! += f;
    count[m]!++;
  }
  const mean = sum(load) / ctx.workers;
  const balance = mean > 0 ? Math.max(...load) / mean : 1;
  // Workers never finish together: on a shared machine one lags by about half a task. Smaller tasks shrink that tail.
  const tail = ctx.workers > 1 && taskFlops.length > 0 ? (0.5 * sum(taskFlops)) / taskFlops.length / ctx.flopsPerS : 0;
  const makespan = Math.max(...load.map((f, i) => f / ctx.flopsPerS + count[i]! * ctx.overheadS)) + tail + ctx.stageS;
  return { ...s, balance, estimatedMs: makespan * 1e3 };
}

function maxUsefulTasks(ctx: Ctx, flops: number): number {
  // A task should be worth at least 4 round trips of overhead.
  return Math.max(1, Math.floor(flops / ctx.flopsPerS / (4 * ctx.overheadS)));
}

function layerFlops(ctx: Ctx, l: number): number {
  const layer = ctx.model.layers[l]!;
  return getOp(layer.spec.op).flops(layer.spec, ctx.model.layerInputShapes(l, ctx.inputShape), ctx.shapes[l]!);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
