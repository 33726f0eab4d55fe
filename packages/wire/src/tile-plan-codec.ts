import type { Region, Shape } from '@tessera/tensor';
import type { WireLimits } from './limits.js';
import { ProtoReader, ProtoWriter, WireType } from './proto-io.js';
import { readRegion, writeRegion } from './region-codec.js';
import {
  PLAN_STAGE_FIELDS as FS, PLAN_TASK_FIELDS as FT, PlanStrategy, SHAPE_FIELDS, StageKind, TILE_PLAN_FIELDS as F,
} from './schema.js';
import {
  checkArray, checkInteger, checkNonNegative, checkRegionIn, checkShape, checkString, checkUint32, checkVersion, decoding, encoding, fail, show,
} from './field-checks.js';
import {
  TILE_PLAN_VERSION, type PlanStageKind, type PlanStrategyName, type TilePlanData, type TilePlanStageData, type TilePlanTaskData,
} from './tile-plan-types.js';

const STRATEGIES: Readonly<Record<PlanStrategyName, number>> = {
  'layer-wise': PlanStrategy.PLAN_STRATEGY_LAYER_WISE, fused: PlanStrategy.PLAN_STRATEGY_FUSED, auto: PlanStrategy.PLAN_STRATEGY_AUTO,
};
const KINDS: Readonly<Record<PlanStageKind, number>> = { layer: StageKind.STAGE_KIND_LAYER, fused: StageKind.STAGE_KIND_FUSED };

/** A TilePlan message (a scheduler TilePlan is a TilePlanData). A plan that would not decode is BAD_ARGUMENT naming the field. */
export function encodeTilePlan(plan: TilePlanData): Uint8Array {
  return encoding('TilePlan', (lim) => {
    checkPlan(plan, lim);
    const w = new ProtoWriter()
      .uint32Field(F.version, plan.version)
      .stringField(F.model_id, plan.modelId)
      .stringField(F.model_name, plan.modelName)
      .packedUint32Field(F.input_shape, plan.inputShape)
      .uint32Field(F.workers, plan.workers)
      .uint32Field(F.strategy, STRATEGIES[plan.strategy]);
    for (const s of plan.shapes) w.messageField(F.shapes, new ProtoWriter().packedUint32Field(SHAPE_FIELDS.dims, s));
    w.repeatedStringField(F.layer_names, plan.layerNames);
    for (const st of plan.stages) w.messageField(F.stages, writeStage(st));
    return w.doubleField(F.task_overhead_us, plan.taskOverheadUs).doubleField(F.stage_overhead_us, plan.stageOverheadUs).finish();
  });
}

/**
 * The TilePlanData in a TilePlan message. Checked: plan version, non-empty
 * modelId, input shape and every layer shape within limits, workers ≥ 1, a
 * known strategy and stage kinds, one name per layer, stage layers that are
 * layer indexes, one region per stage layer in every task and each inside
 * that layer's shape, finite costs ≥ 0, tasks and regions within
 * maxTasksInPlan and maxRegionsInPlan (counted while reading). It does not
 * check plan semantics (that stages cover every layer once): that is the
 * planner's. Anything wrong is TesseraError BAD_MESSAGE naming the field.
 */
export function decodeTilePlan(bytes: Uint8Array, limits: Partial<WireLimits> = {}): TilePlanData {
  return decoding('TilePlan', bytes, limits, (b, lim) => {
    let version = 0, modelId = '', modelName = '', workers = 0, strategy = 0, taskOverheadUs = 0, stageOverheadUs = 0;
    const inputShape: number[] = [], shapes: Shape[] = [], layerNames: string[] = [], stageViews: Uint8Array[] = [];
    const r = new ProtoReader(b);
    const str = (what: string) => r.string(what, lim.maxStringBytes);
    const listFull = (list: readonly unknown[], what: string) => {
      if (list.length >= lim.maxLayers) fail(`${what} has more than maxLayers ${lim.maxLayers} elements`);
    };
    while (!r.done) {
      const { field, wireType } = r.tag();
      const expect = (type: number, what: string) => r.expect(wireType, type, what);
      switch (field) {
        case F.version: expect(WireType.VARINT, 'version'); version = r.uint32('version'); break;
        case F.model_id: expect(WireType.LEN, 'modelId'); modelId = str('modelId'); break;
        case F.model_name: expect(WireType.LEN, 'modelName'); modelName = str('modelName'); break;
        case F.input_shape: r.repeated(wireType, inputShape, lim.maxRank, 'inputShape'); break;
        case F.workers: expect(WireType.VARINT, 'workers'); workers = r.uint32('workers'); break;
        case F.strategy: expect(WireType.VARINT, 'strategy'); strategy = r.uint32('strategy'); break;
        case F.shapes: expect(WireType.LEN, 'shapes'); listFull(shapes, 'shapes'); shapes.push(readShape(r.lengthDelimited('shapes'), lim, `shapes[${shapes.length}]`)); break;
        case F.layer_names: expect(WireType.LEN, 'layerNames'); listFull(layerNames, 'layerNames'); layerNames.push(str(`layerNames[${layerNames.length}]`)); break;
        case F.stages: expect(WireType.LEN, 'stages'); listFull(stageViews, 'stages'); stageViews.push(r.lengthDelimited('stages')); break;
        case F.task_overhead_us: expect(WireType.I64, 'taskOverheadUs'); taskOverheadUs = r.double('taskOverheadUs'); break;
        case F.stage_overhead_us: expect(WireType.I64, 'stageOverheadUs'); stageOverheadUs = r.double('stageOverheadUs'); break;
        default: r.skip(wireType);
      }
    }
    // The version first: a plan of another version may lay out its stages differently.
    checkVersion(version, TILE_PLAN_VERSION, 'plan version');
    const budget = { tasks: lim.maxTasksInPlan, regions: lim.maxRegionsInPlan };
    const stages = stageViews.map((v, i) => readStage(v, lim, budget, `stages[${i}]`));
    const plan = {
      version: version as typeof TILE_PLAN_VERSION, modelId, modelName, inputShape, workers,
      strategy: nameOf(STRATEGIES, strategy, 'strategy'), shapes, layerNames, stages, taskOverheadUs, stageOverheadUs,
    };
    checkPlan(plan, lim);
    return plan;
  });
}

/** Every check of decodeTilePlan, on a plan in memory (the encoder's and the decoder's). */
function checkPlan(p: TilePlanData, lim: WireLimits): void {
  if (p === null || typeof p !== 'object') fail(`plan must be a TilePlan object, got ${String(p)}`);
  checkVersion(p.version, TILE_PLAN_VERSION, 'plan version');
  checkString(p.modelId, 'modelId', lim, true);
  checkString(p.modelName, 'modelName', lim, false);
  checkShape(p.inputShape, 'inputShape', lim);
  checkUint32(p.workers, 'workers', 1);
  if (!Object.hasOwn(STRATEGIES, p.strategy)) fail(`strategy must be one of ${Object.keys(STRATEGIES).join(', ')}, got ${show(p.strategy)}`);
  const shapes = checkArray(p.shapes, 'shapes', lim.maxLayers, 'maxLayers');
  shapes.forEach((s, i) => checkShape(s, `shapes[${i}]`, lim));
  const names = checkArray(p.layerNames, 'layerNames', lim.maxLayers, 'maxLayers');
  if (names.length !== shapes.length) fail(`layerNames has ${names.length} names for ${shapes.length} layer shapes`);
  names.forEach((n, i) => checkString(n, `layerNames[${i}]`, lim, false));
  let tasks = 0, regions = 0;
  checkArray(p.stages, 'stages', lim.maxLayers, 'maxLayers').forEach((v, si) => {
    const at = `stages[${si}]`;
    if (v === null || typeof v !== 'object') fail(`${at} must be a stage object, got ${show(v)}`);
    const st = v as TilePlanStageData;
    if (!Object.hasOwn(KINDS, st.kind)) fail(`${at}.kind must be one of ${Object.keys(KINDS).join(', ')}, got ${show(st.kind)}`);
    const layers = checkArray(st.layers, `${at}.layers`, lim.maxLayers, 'maxLayers');
    if (layers.length === 0) fail(`${at}.layers is empty`);
    layers.forEach((l, i) => checkInteger(l, `${at}.layers[${i}]`, 0, shapes.length - 1));
    const list = checkArray(st.tasks, `${at}.tasks`, lim.maxTasksInPlan - tasks, 'maxTasksInPlan (all stages)');
    if (list.length === 0) fail(`${at}.tasks is empty`);
    tasks += list.length;
    list.forEach((t, ti) => {
      const tat = `${at}.tasks[${ti}]`;
      if (t === null || typeof t !== 'object') fail(`${tat} must be a task object, got ${show(t)}`);
      const task = t as TilePlanTaskData;
      checkUint32(task.id, `${tat}.id`);
      const rs = checkArray(task.regions, `${tat}.regions`, lim.maxRegionsInPlan - regions, 'maxRegionsInPlan (all stages)');
      if (rs.length !== layers.length) fail(`${tat}.regions has ${rs.length} regions for the stage's ${layers.length} layers`);
      regions += rs.length;
      rs.forEach((r, i) => checkRegionIn(r, shapes[layers[i] as number] as Shape, `${tat}.regions[${i}] (layer ${String(layers[i])})`));
    });
    checkString(st.cut, `${at}.cut`, lim, false);
    for (const k of ['flops', 'taskFlops', 'bytes', 'balance', 'estimatedMs'] as const) checkNonNegative(st[k], `${at}.${k}`);
  });
  checkNonNegative(p.taskOverheadUs, 'taskOverheadUs');
  checkNonNegative(p.stageOverheadUs, 'stageOverheadUs');
}

function writeStage(st: TilePlanStageData): ProtoWriter {
  const w = new ProtoWriter().uint32Field(FS.kind, KINDS[st.kind]).packedUint32Field(FS.layers, st.layers);
  for (const t of st.tasks) {
    const tw = new ProtoWriter().uint32Field(FT.id, t.id);
    for (const r of t.regions) tw.messageField(FT.regions, writeRegion(r));
    w.messageField(FS.tasks, tw);
  }
  return w
    .stringField(FS.cut, st.cut)
    .doubleField(FS.flops, st.flops)
    .doubleField(FS.task_flops, st.taskFlops)
    .doubleField(FS.bytes, st.bytes)
    .doubleField(FS.balance, st.balance)
    .doubleField(FS.estimated_ms, st.estimatedMs);
}

interface Budget { tasks: number; regions: number }

function readShape(bytes: Uint8Array, lim: WireLimits, what: string): Shape {
  const dims: number[] = [];
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === SHAPE_FIELDS.dims) r.repeated(wireType, dims, lim.maxRank, what);
    else r.skip(wireType);
  }
  return dims;
}

function readStage(bytes: Uint8Array, lim: WireLimits, budget: Budget, what: string): TilePlanStageData {
  let kind = 0, cut = '';
  const nums = { flops: 0, taskFlops: 0, bytes: 0, balance: 0, estimatedMs: 0 };
  const layers: number[] = [];
  const tasks: TilePlanTaskData[] = [];
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    const num = (k: keyof typeof nums) => {
      r.expect(wireType, WireType.I64, `${what}.${k}`);
      nums[k] = r.double(`${what}.${k}`);
    };
    switch (field) {
      case FS.kind: r.expect(wireType, WireType.VARINT, `${what}.kind`); kind = r.uint32(`${what}.kind`); break;
      case FS.layers: r.repeated(wireType, layers, lim.maxLayers, `${what}.layers`); break;
      case FS.tasks:
        r.expect(wireType, WireType.LEN, `${what}.tasks`);
        if (--budget.tasks < 0) fail(`plan has more than maxTasksInPlan ${lim.maxTasksInPlan} tasks`);
        tasks.push(readTask(r.lengthDelimited(`${what}.tasks`), lim, budget, `${what}.tasks[${tasks.length}]`));
        break;
      case FS.cut: r.expect(wireType, WireType.LEN, `${what}.cut`); cut = r.string(`${what}.cut`, lim.maxStringBytes); break;
      case FS.flops: num('flops'); break;
      case FS.task_flops: num('taskFlops'); break;
      case FS.bytes: num('bytes'); break;
      case FS.balance: num('balance'); break;
      case FS.estimated_ms: num('estimatedMs'); break;
      default: r.skip(wireType);
    }
  }
  return { kind: nameOf(KINDS, kind, `${what}.kind`), layers, tasks, cut, ...nums };
}

function readTask(bytes: Uint8Array, lim: WireLimits, budget: Budget, what: string): TilePlanTaskData {
  let id = 0;
  const regions: Region[] = [];
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const { field, wireType } = r.tag();
    if (field === FT.id) {
      r.expect(wireType, WireType.VARINT, `${what}.id`);
      id = r.uint32(`${what}.id`);
    } else if (field === FT.regions) {
      r.expect(wireType, WireType.LEN, `${what}.regions`);
      if (--budget.regions < 0) fail(`plan has more than maxRegionsInPlan ${lim.maxRegionsInPlan} regions`);
      regions.push(readRegion(r.lengthDelimited(`${what}.regions`), `${what}.regions[${regions.length}]`));
    } else {
      r.skip(wireType);
    }
  }
  return { id, regions };
}

/** The name of enum value `v` in `names`, or a WireFormatError naming `what`. */
function nameOf<K extends string>(names: Readonly<Record<K, number>>, v: number, what: string): K {
  for (const [k, n] of Object.entries(names) as [K, number][]) if (n === v) return k;
  return fail(`${what} ${v} is not a known value (${Object.entries(names).map(([k, n]) => `${n} = ${k}`).join(', ')})`);
}
