import { INPUT } from '@tessera/nn';
import { sizeOf, type Shape } from '@tessera/tensor';
import type { Model } from '@tessera/nn';
import type { TilePlan } from './plan/types.js';

/**
 * Assigns a SharedArrayBuffer to every feature map a plan materialises (each
 * stage's last layer), reusing a buffer once all stages reading it are done.
 * The model output always gets a buffer of its own: it is handed to the caller.
 */
export function assignBuffers(model: Model, p: TilePlan): Map<number, SharedArrayBuffer> {
  const producedAt = new Map<number, number>();
  p.stages.forEach((st, i) => producedAt.set(st.layers[st.layers.length - 1]!, i));
  const lastUse = new Map<number, number>();
  p.stages.forEach((st, i) => {
    const inside = new Set(st.layers);
    for (const l of st.layers) {
      for (const src of model.layers[l]!.inputs) if (src !== INPUT && !inside.has(src)) lastUse.set(src, i);
    }
  });
  const free: SharedArrayBuffer[] = [];
  const live: { layer: number; buffer: SharedArrayBuffer; until: number }[] = [];
  const out = new Map<number, SharedArrayBuffer>();
  p.stages.forEach((st, i) => {
    // Buffers whose last reader ran in an earlier stage are free (stages are separated by barriers).
    for (let k = live.length - 1; k >= 0; k--) {
      if (live[k]!.until < i) free.push(...live.splice(k, 1).map((b) => b.buffer));
    }
    const layer = st.layers[st.layers.length - 1]!;
    const bytes = sizeOf(p.shapes[layer]! as Shape) * 4;
    let buf: SharedArrayBuffer | undefined;
    if (layer !== model.output) {
      free.sort((a, b) => a.byteLength - b.byteLength);
      const k = free.findIndex((b) => b.byteLength >= bytes);
      if (k >= 0) buf = free.splice(k, 1)[0];
    }
    buf ??= new SharedArrayBuffer(bytes);
    out.set(layer, buf);
    if (layer !== model.output) live.push({ layer, buffer: buf, until: lastUse.get(layer) ?? i });
  });
  return out;
}
