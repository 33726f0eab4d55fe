import type { Model } from '@tessera/nn';
import { modelFromPayload, runTask } from './run-task.js';
import type { PingMessage, TaskMessage, TaskReply } from './messages.js';

/** Models this thread has received, by id; bounded so a long-lived pool does not grow without end. */
const models = new Map<string, Model>();
const MAX_MODELS = 32;

/** Piscina entry: one task or a ping (used to measure per-task overhead). */
export default function handle(msg: TaskMessage | PingMessage): TaskReply {
  if (msg.kind === 'ping') return { ok: true, ms: 0 };
  let model = models.get(msg.modelId);
  if (!model) {
    if (!msg.model) return { ok: false, needModel: true };
    model = modelFromPayload(msg.model);
    if (models.size >= MAX_MODELS) models.delete(models.keys().next().value!);
    models.set(msg.modelId, model);
  }
  if (msg.fault === 'exit') process.exit(3);
  return runTask(model, msg);
}
