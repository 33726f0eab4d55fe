import { Tensor, TesseraError, isTesseraError, runOp, fmtRegion, type Region } from '@tessera/tensor';
import { INPUT, Model, type Layer } from '@tessera/nn';
import type { ModelPayload, SharedMap, TaskMessage, TaskReply } from './messages.js';

/** Rebuilds a Model over the shared weights of a payload (no copy). */
export function modelFromPayload(p: ModelPayload): Model {
  const layers: Layer[] = p.layers.map((l, index) => ({
    index,
    name: l.name,
    spec: l.spec,
    inputs: l.inputs,
    weights: Object.fromEntries(Object.entries(l.weights).map(([k, w]) => [k, Tensor.wrap(w.buffer, w.shape)])),
  }));
  return new Model(p.name, p.inputShape, layers, p.output, p.id);
}

/**
 * Runs one task: computes each stage layer's region in order. Layers inside
 * the stage live in partial tensors holding just the region the task needs;
 * the last layer writes its region straight into the shared output map.
 */
export function runTask(model: Model, msg: TaskMessage): TaskReply {
  const t0 = performance.now();
  const local = new Map<number, Tensor>();
  const shapes = model.shapes(msg.inputShape);
  const last = msg.layers.length - 1;
  let current = -1;
  let region: Region | null = null;
  try {
    msg.layers.forEach((l, i) => {
      current = l;
      region = msg.regions[i]!;
      const layer = model.layers[l]!;
      const inputs = layer.inputs.map((src) => local.get(src) ?? sharedMap(msg.maps[src], src, l));
      const out = i === last ? sharedMap(msg.maps[l], l, l) : Tensor.partial(shapes[l]!, region);
      if (msg.fault === 'throw' && i === last) {
        throw new TesseraError('KERNEL_FAILED', `injected fault in ${layer.spec.op} kernel`);
      }
      runOp(layer.spec, inputs, layer.weights, out, region);
      local.set(l, out);
    });
  } catch (e) {
    const layer = model.layers[current];
    const where = `layer ${current} '${layer?.name ?? '?'}' (${layer?.spec.op ?? '?'}) region ${region ? fmtRegion(region) : '?'}`;
    return {
      ok: false,
      error: {
        code: isTesseraError(e) ? e.code : 'KERNEL_FAILED',
        message: `${where}: ${e instanceof Error ? e.message : String(e)}`,
        layer: current,
        region,
      },
    };
  }
  return { ok: true, ms: performance.now() - t0 };
}

function sharedMap(m: SharedMap | undefined, producer: number, layer: number): Tensor {
  if (!m) {
    throw new TesseraError('BAD_ARGUMENT', `task for layer ${layer} is missing the shared map of ${producer === INPUT ? 'the model input' : `layer ${producer}`}`);
  }
  return Tensor.wrap(m.buffer, m.shape);
}
