import type { Model } from '@tessera/nn';
import type { ModelPayload, SharedWeight } from './worker/messages.js';

const cache = new WeakMap<Model, ModelPayload>();

/**
 * The model as sent to workers: weights copied once into SharedArrayBuffers
 * (cached per model), so every thread reads the same memory.
 */
export function sharedModel(model: Model): ModelPayload {
  let p = cache.get(model);
  if (p) return p;
  p = {
    id: model.id,
    name: model.name,
    inputs: model.inputs.map((x) => ({ name: x.name, shape: [...x.shape] })),
    outputs: model.outputs.map((o) => ({ name: o.name, layer: o.layer })),
    layers: model.layers.map((l) => ({
      name: l.name,
      spec: l.spec,
      inputs: [...l.inputs],
      ...(l.merged ? { merged: [...l.merged] } : {}),
      weights: Object.fromEntries(
        Object.entries(l.weights).flatMap(([k, t]): [string, SharedWeight][] => {
          if (!t) return [];
          const buffer = new SharedArrayBuffer(t.size * 4);
          new Float32Array(buffer).set(t.toFloat32Array());
          return [[k, { shape: [...t.shape], buffer }]];
        }),
      ),
    })),
  };
  cache.set(model, p);
  return p;
}
