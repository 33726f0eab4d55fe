/**
 * Float32 buffers of feature maps kept for reuse between layers and runs of
 * an executor: a layer's output takes a buffer a dropped feature map of the
 * same size left, instead of a fresh zero-filled allocation (which, with the
 * garbage it leaves, cost a face pipeline more than its element-wise layers).
 * Buffers are handed out uninitialised: every kernel writes all of its region.
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private kept = 0;

  /** @param limitBytes most bytes kept for reuse; beyond it, given-back buffers are left to the GC. */
  constructor(private readonly limitBytes = 256 * 1024 * 1024) {}

  take(length: number): Float32Array {
    const list = this.free.get(length);
    const hit = list?.pop();
    if (hit) {
      this.kept -= hit.byteLength;
      return hit;
    }
    return new Float32Array(length);
  }

  give(buffer: Float32Array): void {
    if (this.kept + buffer.byteLength > this.limitBytes) return;
    let list = this.free.get(buffer.length);
    if (!list) this.free.set(buffer.length, (list = []));
    list.push(buffer);
    this.kept += buffer.byteLength;
  }

  clear(): void {
    this.free.clear();
    this.kept = 0;
  }
}
