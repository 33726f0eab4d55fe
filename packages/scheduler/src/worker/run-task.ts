import { workerData } from 'node:worker_threads';
import { Tensor, TesseraError, engineOptionsOf, enginePartial, isTesseraError, releaseEngineTensor, runOp, fmtRegion, regionVolume, type EngineInfo, type Region } from '@tessera/tensor';
import { LocalExecutor, Model, type InputShapes, type Layer } from '@tessera/nn';
import {
  CONTROL, TASK_CLAIMED, TASK_DONE,
  type Fault, type ModelPayload, type SharedMap, type StageMessage, type StageReply, type TaskError,
  type WholeMessage, type WholeReply,
} from './messages.js';

/** Rebuilds a Model over the shared weights of a payload (no copy). */
export function modelFromPayload(p: ModelPayload): Model {
  const layers: Layer[] = p.layers.map((l, index) => ({
    index,
    name: l.name,
    spec: l.spec,
    inputs: l.inputs,
    weights: Object.fromEntries(Object.entries(l.weights).map(([k, w]) => [k, Tensor.wrap(w.buffer, w.shape)])),
    ...(l.merged ? { merged: l.merged } : {}),
  }));
  return new Model(p.name, p.inputs, layers, p.outputs, p.id);
}

/**
 * Runs one task: computes each stage layer's region in order. Layers inside
 * the stage live in partial tensors holding just the region the task needs;
 * the last layer writes its region straight into the shared output map, and
 * so does an inner layer the caller gave a map of its own (runTile's kept
 * layers: model outputs inside a cluster task).
 * Returns null, or the error with the layer and region it happened in.
 */
export function runTask(
  model: Model, inputShape: InputShapes, layers: readonly number[], regions: readonly Region[],
  maps: Readonly<Record<number, SharedMap>>, fault?: Fault,
): TaskError | null {
  const local = new Map<number, Tensor>();
  // Intermediates live in this thread's engine memory: the next kernel reads them in place, no copy in or out.
  const owned: Tensor[] = [];
  const shapes = model.shapes(inputShape);
  const last = layers.length - 1;
  let current = -1;
  let region: Region | null = null;
  try {
    layers.forEach((l, i) => {
      current = l;
      region = regions[i]!;
      const layer = model.layers[l]!;
      const inputs = layer.inputs.map((src) => local.get(src) ?? sharedMap(maps[src], src, l));
      const shared = i === last || maps[l] !== undefined;
      const out = shared ? sharedMap(maps[l], l, l) : enginePartial(shapes[l]!, region);
      if (!shared) owned.push(out);
      if (fault === 'throw' && i === last) throw new TesseraError('KERNEL_FAILED', `injected fault in ${layer.spec.op} kernel`);
      runOp(layer.spec, inputs, layer.weights, out, region);
      local.set(l, out);
    });
  } catch (e) {
    const layer = model.layers[current];
    const merged = layer?.merged?.length ? ` fused with ${layer.merged.map((n) => `'${n}'`).join(', ')}` : '';
    const where = `layer ${current} '${layer?.name ?? '?'}' (${layer?.spec.op ?? '?'}${merged}) region ${region ? fmtRegion(region) : '?'}`;
    return {
      code: isTesseraError(e) ? e.code : 'KERNEL_FAILED',
      message: `${where}: ${e instanceof Error ? e.message : String(e)}`,
      layer: current,
      region,
    };
  } finally {
    owned.forEach(releaseEngineTensor);
  }
  return null;
}

/**
 * A worker's share of a stage round: claim task ids until none are left or
 * the coordinator raised the abort flag; mark each claimed, then done.
 * On a task error the abort flag is raised so the other workers stop early.
 */
export function runStage(model: Model, msg: StageMessage): StageReply {
  const t0 = performance.now();
  const ctl = new Int32Array(msg.control);
  let done = 0;
  for (;;) {
    if (Atomics.load(ctl, CONTROL.abort) !== 0) break;
    const k = Atomics.add(ctl, CONTROL.next, 1);
    if (k >= msg.order.length) break;
    const id = msg.order[k]!;
    Atomics.store(ctl, CONTROL.states + id, TASK_CLAIMED);
    const fault = msg.faults?.[id];
    if (fault === 'exit') process.exit(3);
    const err = runTask(model, msg.inputShape, msg.layers, msg.tasks[id]!, msg.maps, fault);
    if (err) {
      Atomics.store(ctl, CONTROL.abort, 1);
      return { ok: false, error: err };
    }
    Atomics.store(ctl, CONTROL.states + id, TASK_DONE);
    done++;
  }
  return { ok: true, done, ms: performance.now() - t0 };
}

function sharedMap(m: SharedMap | undefined, producer: number, layer: number): Tensor {
  if (!m) {
    throw new TesseraError('BAD_ARGUMENT', `task for layer ${layer} is missing the shared map of ${producer < 0 ? `model input ${-1 - producer}` : `layer ${producer}`}`);
  }
  const at = m.byteOffset ?? 0;
  return m.region ? Tensor.partial(m.shape, m.region, new Float32Array(m.buffer, at, regionVolume(m.region))) : Tensor.wrap(m.buffer, m.shape, at);
}

/** The pool's engine (tile.worker's workerData), so a data-parallel share runs on it too and leaves the thread on it. */
const poolEngine = (workerData as { engine?: EngineInfo } | null)?.engine;
// The pool checked the share against its own budget (shareMemory) before sending it.
const local = new LocalExecutor({
  maxMemoryBytes: Infinity,
  ...(poolEngine ? { engine: engineOptionsOf(poolEngine) } : {}),
});

/** A data-parallel share: samples [n0, n1) of the input through the whole model, into the same samples of every output. */
export function runWhole(model: Model, msg: WholeMessage): WholeReply {
  const t0 = performance.now();
  try {
    if (msg.fault === 'exit') process.exit(3);
    if (msg.fault === 'throw') throw new TesseraError('KERNEL_FAILED', 'injected fault in a data-parallel share');
    const samples = (t: Tensor) => {
      const [, c = 1, h = 1, w = 1] = t.shape;
      return t.view(t.rank === 2 ? { n0: msg.n0, n1: msg.n1, c0: 0, c1: c, y0: 0, y1: 1, x0: 0, x1: 1 } : { n0: msg.n0, n1: msg.n1, c0: 0, c1: c, y0: 0, y1: h, x0: 0, x1: w });
    };
    const outs = Object.fromEntries(model.outputs.map((o, i) => [o.name, samples(sharedMap(msg.outputs[i]!, o.layer, o.layer))]));
    const inputs = Object.fromEntries(model.inputs.map((x, k) => [x.name, samples(sharedMap(msg.inputs[k], -1 - k, 0))]));
    local.runAllSync(model, inputs, { outs });
    return { ok: true, ms: performance.now() - t0 };
  } catch (e) {
    return {
      ok: false,
      error: { code: isTesseraError(e) ? e.code : 'KERNEL_FAILED', message: e instanceof Error ? e.message : String(e), layer: -1, region: null },
    };
  }
}
