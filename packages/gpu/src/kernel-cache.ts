import { checkInt } from '@tessera/tensor';

/** What the cache holds: anything with a destroy (a gpu.js kernel). */
export interface Destroyable {
  destroy(removeCanvasReferences?: boolean): void;
}

/**
 * Compiled kernels by key, least recently used evicted first. The backend's
 * key is the argument kinds (texture or array), the output dimensions and
 * the generated source, which spells out the op, its spec, the input shapes
 * and stored-box extents and the region's extents. Positions (region and box
 * origins) are kernel arguments, so every region of one shape shares a
 * kernel; two requests share one exactly when they would compile the same
 * program. An evicted kernel is destroyed at once (its GL program and output
 * texture go with it).
 */
export class KernelCache<K extends Destroyable = Destroyable> {
  private readonly entries = new Map<string, K>();
  compiled = 0;
  hits = 0;
  evicted = 0;

  constructor(readonly capacity = 64) {
    checkInt('kernel cache capacity', capacity, 1);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The kernel for `key`, compiling it with `build` on a miss. */
  get(key: string, build: () => K): K {
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      // Re-insert: Map iteration order is insertion order, so the first key is the least recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const k = build();
    this.compiled++;
    this.entries.set(key, k);
    while (this.entries.size > this.capacity) {
      const [oldKey, old] = this.entries.entries().next().value as [string, K];
      this.entries.delete(oldKey);
      this.evicted++;
      destroyQuietly(old);
    }
    return k;
  }

  /** Drops and destroys the kernel under `key` (one that failed to build or run). */
  delete(key: string): void {
    const k = this.entries.get(key);
    if (!k) return;
    this.entries.delete(key);
    destroyQuietly(k);
  }

  /** Destroys every kernel. */
  clear(): void {
    for (const k of this.entries.values()) destroyQuietly(k);
    this.entries.clear();
  }
}

function destroyQuietly(k: Destroyable): void {
  try {
    k.destroy();
  } catch {
    // A kernel whose context is already gone has nothing left to free.
  }
}
