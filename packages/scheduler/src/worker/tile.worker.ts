import type { Model } from '@tessera/nn';
import { modelFromPayload, runStage } from './run-task.js';
import type { PingMessage, StageMessage, StageReply } from './messages.js';

/** Models this thread has received, by id; bounded so a long-lived pool does not grow without end. */
const models = new Map<string, Model>();
const MAX_MODELS = 32;

/** Piscina entry: a stage round or a ping (used to measure the round-trip cost). */
export default function handle(msg: StageMessage | PingMessage): StageReply {
  if (msg.kind === 'ping') return { ok: true, done: 0, ms: 0 };
  let model = models.get(msg.modelId);
  if (!model) {
    if (!msg.model) return { ok: false, needModel: true };
    model = modelFromPayload(msg.model);
    if (models.size >= MAX_MODELS) models.delete(models.keys().next().value!);
    models.set(msg.modelId, model);
  }
  return runStage(model, msg);
}
