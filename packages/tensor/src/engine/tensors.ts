import { TesseraError } from '../errors.js';
import { checkShape, type Shape } from '../shape.js';
import { checkSize } from '../alloc.js';
import { checkRegion, type Region } from '../region.js';
import { Tensor } from '../tensor.js';
import { kernelEngine } from './wasm.js';
import { elementAt } from './copy.js';

/*
 * Feature maps in this thread's engine memory: the kernels read and write
 * them in place, with no copy in or out (engine/wasm.ts). An executor
 * allocates its intermediates here and releases each once its last reader
 * ran; the memory is the engine's heap, so it never reaches the GC. Such a
 * tensor must not outlive its release, nor leave the thread: hand callers a
 * copy (executors return their model output in ordinary memory).
 */

const live = new Map<number, number>(); // address → element count

/** A contiguous tensor of `shape` in engine memory, contents undefined (kernels write every element of their region). */
export function engineTensor(shape: Shape): Tensor {
  checkShape(shape);
  const n = checkSize(shape, 'engine tensor');
  const e = kernelEngine();
  // 64 spare bytes: a SIMD load at the last element may reach past it (the value is never used).
  const at = e.heap.alloc(n * 4 + 64);
  live.set(at, n);
  return new Tensor(new Float32Array(e.buffer(), at, n), shape);
}

/**
 * A partial tensor of `shape` holding just `r`, in engine memory (a tile's
 * intermediate: the next kernel of the tile reads it in place). Released
 * with releaseEngineTensor.
 */
export function enginePartial(shape: Shape, r: Region): Tensor {
  checkShape(shape);
  checkRegion(r, shape, 'engine partial tensor region');
  const n = checkSize([r.n1 - r.n0, r.c1 - r.c0, r.y1 - r.y0, r.x1 - r.x0], 'engine partial tensor region');
  const e = kernelEngine();
  const at = e.heap.alloc(n * 4 + 64);
  live.set(at, n);
  return Tensor.partial(shape, r, new Float32Array(e.buffer(), at, n));
}

/** Gives an engineTensor's memory back; the tensor (and every view of it) must not be used after. */
export function releaseEngineTensor(t: Tensor): void {
  const at = t.data.byteOffset;
  if (!kernelEngine().owns(t.data.buffer) || live.get(at) !== t.data.length) {
    throw new TesseraError('BAD_ARGUMENT', `tensor ${t.toString()} was not allocated by engineTensor (or was released already)`);
  }
  live.delete(at);
  kernelEngine().heap.release(at);
}

/** Whether `t` lives in this thread's engine memory. */
export function inEngine(t: Tensor): boolean {
  return kernelEngine().owns(t.data.buffer);
}

/**
 * Engine byte address of `t`'s element (n, c, y, x) when `t` lives in engine
 * memory, else -1. Coordinates are logical (a partial tensor's too).
 */
export function engineAddress(t: Tensor, n: number, c: number, y: number, x: number): number {
  if (!kernelEngine().owns(t.data.buffer)) return -1;
  return t.data.byteOffset + elementAt(t, n, c, y, x) * 4;
}
