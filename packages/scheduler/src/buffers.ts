import { allocFloat32, sizeOf, type Shape } from '@tessera/tensor';
import type { Model } from '@tessera/nn';
import type { TilePlan } from './plan/types.js';

/**
 * Which buffer each materialised feature map (each stage's last layer) gets,
 * and each buffer's size: a buffer is reused once all stages reading it are
 * done. Each model output always gets a buffer of its own: it is handed to
 * the caller. Pure arithmetic, so a run's memory is known before allocating.
 */
export interface BufferLayout {
  /** Bytes of each buffer, in the order they are first needed. */
  readonly sizes: readonly number[];
  /** Buffer index of each materialised layer. */
  readonly bufferOf: ReadonlyMap<number, number>;
  /** Bytes of all buffers allocated once each stage has its output (a running total), by stage. */
  readonly allocated: readonly number[];
}

export function layoutBuffers(model: Model, p: TilePlan): BufferLayout {
  const lastUse = new Map<number, number>();
  p.stages.forEach((st, i) => {
    const inside = new Set(st.layers);
    for (const l of st.layers) {
      for (const src of model.layers[l]!.inputs) if (src >= 0 && !inside.has(src)) lastUse.set(src, i);
    }
  });
  const sizes: number[] = [];
  const free: number[] = [];
  const live: { buffer: number; until: number }[] = [];
  const bufferOf = new Map<number, number>();
  const allocated: number[] = [];
  let total = 0;
  p.stages.forEach((st, i) => {
    // Buffers whose last reader ran in an earlier stage are free (stages are separated by barriers).
    for (let k = live.length - 1; k >= 0; k--) {
      if (live[k]!.until < i) free.push(...live.splice(k, 1).map((b) => b.buffer));
    }
    const layer = st.layers[st.layers.length - 1]!;
    const bytes = sizeOf(p.shapes[layer]! as Shape) * 4;
    let buf: number | undefined;
    if (!model.isOutput(layer)) {
      free.sort((a, b) => sizes[a]! - sizes[b]!);
      const k = free.findIndex((b) => sizes[b]! >= bytes);
      if (k >= 0) buf = free.splice(k, 1)[0];
    }
    if (buf === undefined) {
      buf = sizes.push(bytes) - 1;
      total += bytes;
    }
    bufferOf.set(layer, buf);
    allocated.push(total);
    if (!model.isOutput(layer)) live.push({ buffer: buf, until: lastUse.get(layer) ?? i });
  });
  return { sizes, bufferOf, allocated };
}

/** A SharedArrayBuffer for every feature map a plan materialises, as laid out by layoutBuffers. */
export function assignBuffers(model: Model, p: TilePlan): Map<number, SharedArrayBuffer> {
  const layout = layoutBuffers(model, p);
  // allocFloat32: an allocation failure is RESOURCE_EXHAUSTED, not a RangeError.
  const buffers = layout.sizes.map((bytes) => allocFloat32(bytes / 4, true, 'feature-map buffer').buffer as SharedArrayBuffer);
  return new Map([...layout.bufferOf].map(([layer, b]) => [layer, buffers[b]!]));
}
