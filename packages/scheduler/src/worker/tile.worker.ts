import { BroadcastChannel, workerData } from 'node:worker_threads';
import { TesseraError, useEngine, useEngineModule, warmUpEngine, type EngineInfo } from '@tessera/tensor';
import type { Model } from '@tessera/nn';
import { modelFromPayload, runStage, runWhole } from './run-task.js';
import { probeBarriers, runPlan } from './run-plan.js';
import { modelChannelName, type BarrierProbeMessage, type ModelChannelMessage, type PingMessage, type PlanMessage, type PlanReply, type StageMessage, type StageReply, type WholeMessage, type WholeReply } from './messages.js';

// Before any task: the engine from the module the pool compiled, warmed so no real run starts on V8's baseline tier.
useEngineModule((workerData as { engineModule: object }).engineModule);
warmUpEngine();
// The pool's engine and numeric mode (resolved once by PoolExecutor), for every task of this thread.
useEngine((workerData as { engine: EngineInfo }).engine);

/** Models this thread has received, by id; bounded so a long-lived pool does not grow without end. */
const models = new Map<string, Model>();
const waiting = new Map<string, { resolve: (m: Model) => void; reject: (e: Error) => void }[]>();
const MAX_MODELS = 32;
const MODEL_WAIT_MS = 30_000;

const channel = new BroadcastChannel(modelChannelName((workerData as { poolId: string }).poolId));
channel.onmessage = (ev: unknown): void => {
  const msg = (ev as { data: ModelChannelMessage }).data;
  if (msg.kind === 'model' && !models.has(msg.payload.id)) {
    const model = modelFromPayload(msg.payload);
    if (models.size >= MAX_MODELS) models.delete(models.keys().next().value!);
    models.set(model.id, model);
    for (const w of waiting.get(model.id) ?? []) w.resolve(model);
    waiting.delete(model.id);
  } else if (msg.kind === 'unknown') {
    for (const w of waiting.get(msg.modelId) ?? []) w.reject(new TesseraError('BAD_MODEL', `the coordinator does not know model ${msg.modelId}`));
    waiting.delete(msg.modelId);
  }
};

function getModel(id: string): Promise<Model> | Model {
  const hit = models.get(id);
  if (hit) return hit;
  return new Promise<Model>((resolve, reject) => {
    const list = waiting.get(id);
    const timer = setTimeout(() => reject(new TesseraError('TIMEOUT', `model ${id} did not arrive within ${MODEL_WAIT_MS} ms`)), MODEL_WAIT_MS);
    const entry = { resolve: (m: Model) => { clearTimeout(timer); resolve(m); }, reject: (e: Error) => { clearTimeout(timer); reject(e); } };
    if (list) list.push(entry);
    else {
      waiting.set(id, [entry]);
      channel.postMessage({ kind: 'need', modelId: id } satisfies ModelChannelMessage);
    }
  });
}

/** Piscina entry: a whole tiled run, a stage round, a data-parallel share, or a ping or barrier probe (the pool's cost model). */
export default async function handle(msg: PlanMessage | StageMessage | WholeMessage | PingMessage | BarrierProbeMessage): Promise<PlanReply | StageReply | WholeReply> {
  if (msg.kind === 'ping') return { ok: true, done: 0, ms: 0 };
  if (msg.kind === 'barriers') return probeBarriers(msg);
  let model: Model;
  try {
    model = await getModel(msg.modelId);
  } catch (e) {
    const err = e as TesseraError;
    return { ok: false, error: { code: err.code ?? 'BAD_MODEL', message: err.message, layer: -1, region: null } };
  }
  if (msg.kind === 'plan') return runPlan(model, msg);
  return msg.kind === 'whole' ? runWhole(model, msg) : runStage(model, msg);
}
