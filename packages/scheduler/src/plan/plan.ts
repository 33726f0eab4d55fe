import { TesseraError, checkInt, checkShape, dims4, fullRegion, getOp, regionVolume, splitRegion, type Region, type Shape } from '@tessera/tensor';
import type { InputShapes, Model } from '@tessera/nn';
import { closedRunTest, fusableRuns } from './segments.js';
import type { PlanOptions, Stage, StageCost, StageKind, Strategy, Task, TilePlan } from './types.js';
import { growTask, walkTask, type TaskWalk } from './walk-back.js';

const DEFAULTS = { tasksPerWorker: 3, taskOverheadUs: 20, stageOverheadUs: 300, gflopsPerWorker: 30, maxFusedLayers: 12 };

interface Ctx {
  model: Model;
  shapes: readonly Shape[];
  /** Every model input's shape. */
  inputShapes: readonly Shape[];
  workers: number;
  k: number;
  overheadS: number;
  stageS: number;
  flopsPerS: number;
}

/**
 * Plans a run of `model` on `inputShape` (one shape per input for a model
 * with several) over `workers` workers. Pure: data in, data out; the pool and
 * the cluster execute the same plans.
 */
export function plan(model: Model, inputShape: InputShapes, opts: PlanOptions): TilePlan {
  const inputShapes = model.inputShapes(inputShape);
  for (const s of inputShapes) checkShape(s, 'plan input shape');
  const workers = checkInt('plan workers', opts.workers, 1);
  const strategy: Strategy = opts.strategy ?? 'auto';
  if (!['layer-wise', 'fused', 'auto'].includes(strategy)) {
    throw new TesseraError('BAD_ARGUMENT', `plan strategy must be 'layer-wise', 'fused' or 'auto', got ${JSON.stringify(strategy)}`);
  }
  const o = { ...DEFAULTS, ...stripUndefined(opts) };
  const ctx: Ctx = {
    model, inputShapes, workers,
    shapes: model.shapes(inputShapes),
    k: checkInt('plan tasksPerWorker', o.tasksPerWorker, 1),
    overheadS: o.taskOverheadUs * 1e-6,
    stageS: o.stageOverheadUs * 1e-6,
    flopsPerS: o.gflopsPerWorker * 1e9,
  };
  const maxFused = checkInt('plan maxFusedLayers', o.maxFusedLayers, 1);
  const batch = inputShapes[0]![0]!;
  let stages: Stage[];
  let choice: string;
  const cheapest = 'each segment cut into tiles or layer-wise regions, whichever the cost model prices cheaper';
  if (strategy === 'auto' && workers > 1 && batch >= workers && wholeSamples(ctx)) {
    // Whole samples per worker: no halo to recompute, no barrier between layers, one message per worker.
    stages = [dataStage(ctx)];
    choice = `data parallel: batch ${batch} ≥ ${workers} workers, whole samples per worker (no halo, no barrier)`;
  } else {
    stages = segmentStages(ctx, strategy, maxFused);
    choice = strategy !== 'auto' ? `${strategy}: as asked`
      : workers === 1 ? `one worker: ${cheapest}`
        : batch < workers ? `batch ${batch} < ${workers} workers: ${cheapest}`
          : `no data parallel (the last layer is not an output, or a layer changes the batch): ${cheapest}`;
  }
  return {
    version: 1,
    modelId: model.id,
    modelName: model.name,
    inputShape: [...inputShapes[0]!],
    inputShapes: inputShapes.map((s) => [...s]),
    workers,
    strategy,
    choice,
    shapes: ctx.shapes.map((s) => [...s]),
    // A fused layer shows what it merged (conv+bn+relu), for explain and error messages.
    layerNames: model.layers.map((l) => [l.name, ...(l.merged ?? [])].join('+')),
    stages,
    taskOverheadUs: o.taskOverheadUs,
    stageOverheadUs: o.stageOverheadUs,
  };
}

/** Layer-wise, fused or cheapest per fusable run of layers. */
function segmentStages(ctx: Ctx, strategy: Strategy, maxFused: number): Stage[] {
  const stages: Stage[] = [];
  const closed = closedRunTest(ctx.model);
  for (const run of fusableRuns(ctx.model, ctx.shapes, maxFused)) {
    if (run.length === 1 || strategy === 'layer-wise') {
      stages.push(...run.map((l) => layerStage(ctx, l)));
    } else if (strategy === 'fused') {
      stages.push(fusedStage(ctx, run));
    } else {
      stages.push(...cheapestCut(ctx, run, closed));
    }
  }
  return stages;
}

/**
 * Data parallel needs every layer's samples to depend on the same samples of
 * the input only, and the last layer to be an output (no layer computed for nothing; a
 * share writes every output out).
 */
function wholeSamples(ctx: Ctx): boolean {
  const batch = ctx.inputShapes[0]![0]!;
  return ctx.model.isOutput(ctx.model.layers.length - 1) && [...ctx.inputShapes, ...ctx.shapes].every((s) => s[0] === batch);
}

/**
 * Every layer in one stage, one task per worker, each a contiguous share of
 * the samples with every layer computed whole for them: what running each
 * share through the model on its own worker does.
 */
function dataStage(ctx: Ctx): Stage {
  const layers = ctx.model.layers.map((l) => l.index);
  const shares = splitRegion(fullRegion(ctx.inputShapes[0]!), 'n', ctx.workers);
  const tasks: Task[] = shares.map((s, id) => ({
    id, regions: layers.map((l) => ({ ...fullRegion(ctx.shapes[l]!), n0: s.n0, n1: s.n1 })),
  }));
  return priced(ctx, 'data', layers, tasks, `samples ${shares.map((s) => s.n1 - s.n0).join('+')}`);
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
      const ms = best[start]!.ms + st.cost.estimatedMs;
      if (!pick || ms < pick.ms) pick = { ms, stages: [...best[start]!.stages, st] };
    }
    best.push(pick!);
  }
  return best[run.length]!.stages;
}

/** One layer, its output cut into about k × workers regions along the best-balanced axis. */
function layerStage(ctx: Ctx, layer: number): Stage {
  const shape = ctx.shapes[layer]!;
  const target = ctx.workers === 1 ? 1 : Math.max(1, Math.min(ctx.workers * ctx.k, maxUsefulTasks(ctx, layerFlops(ctx, layer))));
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
  return priced(ctx, 'layer', [layer], regions.map((r, id) => ({ id, regions: [r] })), cut);
}

/**
 * A fused run: cut the last layer's output into tiles (batch first — no halo —
 * then a grid close to square), grow each tile back through the run with
 * inputRegion. Tries a few tile counts and keeps the cheapest by the cost model.
 */
function fusedStage(ctx: Ctx, run: readonly number[]): Stage {
  const last = run[run.length - 1]!;
  const [n, , h, w] = dims4(ctx.shapes[last]!);
  const counts = ctx.workers === 1 ? [1] : [1, 2, 3, 4].map((m) => m * ctx.workers);
  let best: Stage | undefined;
  for (const t of counts) {
    const grid = tileGrid(t, n, h, w);
    const tiles = gridRegions(ctx.shapes[last]!, grid);
    const walks = tiles.map((r) => growTask(ctx.model, ctx.inputShapes, run, r));
    const tasks: Task[] = walks.map((w, id) => ({ id, regions: w.regions }));
    const cut = `tiles ${grid.n > 1 ? `batch×${grid.n} ` : ''}${grid.rows}×${grid.cols}`;
    const st = priced(ctx, 'fused', [...run], tasks, cut, walks);
    if (!best || st.cost.estimatedMs < best.cost.estimatedMs) best = st;
  }
  return best!;
}

interface Grid { n: number; rows: number; cols: number }

/**
 * About `t` tiles: whole images first, then bands of whole rows, cut into
 * columns only when there are too few rows (under 4 per band). A band costs
 * about the halo of a square tile (a 3×3 conv on 80² in 6 bands reads 15 %
 * more rows, in 2×3 tiles 13 % more), but its planes are contiguous: a tile
 * is copied in and out of a worker's engine memory a plane at a time
 * instead of a row at a time, and kernels run along whole rows.
 */
function tileGrid(t: number, n: number, h: number, w: number): Grid {
  const nb = Math.min(n, t);
  const per = Math.ceil(t / nb);
  if (per <= 1) return { n: nb, rows: 1, cols: 1 };
  let rows = Math.max(1, Math.min(per, Math.floor(h / 4)));
  const cols = Math.max(1, Math.min(w, Math.ceil(per / rows)));
  if (rows * cols < per) rows = Math.min(h, Math.ceil(per / cols));
  return { n: nb, rows, cols };
}

function gridRegions(shape: Shape, g: Grid): Region[] {
  return splitRegion(fullRegion(shape), 'n', g.n)
    .flatMap((r) => splitRegion(r, 'y', g.rows))
    .flatMap((r) => splitRegion(r, 'x', g.cols));
}

/**
 * Prices a stage's tasks: FLOPs each really does (a layer's FLOPs times the
 * share of its output the task computes), bytes read and written (from the
 * walk of each task), then deals each task to the least-loaded worker (what
 * claiming from a shared counter does).
 */
function priced(ctx: Ctx, kind: StageKind, layers: readonly number[], tasks: readonly Task[], cut: string, walks?: readonly TaskWalk[]): Stage {
  const flops = sum(layers.map((l) => layerFlops(ctx, l)));
  const taskFlops = tasks.map((t) => sum(layers.map((l, i) => (layerFlops(ctx, l) * regionVolume(t.regions[i]!)) / regionVolume(fullRegion(ctx.shapes[l]!)))));
  const bytes = tasks.reduce((s, t, k) => {
    const w = walks?.[k] ?? walkTask(ctx.model, ctx.inputShapes, layers, t.regions);
    // Every region the task computes, and what it reads from outside the stage (shared maps, the model input).
    const outside = w.reads.flat().filter((rd) => rd.from === undefined && rd.region);
    return s + 4 * (sum(t.regions.map(regionVolume)) + sum(outside.map((rd) => regionVolume(rd.region!))));
  }, 0);
  const cost: Omit<StageCost, 'balance' | 'estimatedMs'> = { cut, flops, taskFlops: sum(taskFlops), bytes };
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
  // Each layer of a task is a kernel call with its own fixed cost (region checks, copies in and out of engine memory).
  const makespan = Math.max(...load.map((f, i) => f / ctx.flopsPerS + count[i]! * layers.length * ctx.overheadS)) + tail + ctx.stageS;
  return { kind, layers, tasks, cost: { ...cost, balance, estimatedMs: makespan * 1e3 } };
}

function maxUsefulTasks(ctx: Ctx, flops: number): number {
  // A task should be worth at least 4 round trips of overhead.
  return Math.max(1, Math.floor(flops / ctx.flopsPerS / (4 * ctx.overheadS)));
}

function layerFlops(ctx: Ctx, l: number): number {
  const layer = ctx.model.layers[l]!;
  return getOp(layer.spec.op).flops(layer.spec, ctx.model.layerInputShapes(l, ctx.inputShapes), ctx.shapes[l]!);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
