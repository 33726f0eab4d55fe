import { readFileSync } from 'node:fs';
import { TesseraError, isTesseraError } from '../errors.js';
import { fmtRegion, type Region } from '../region.js';
import { Heap } from './heap.js';
import { resolveEngine, type EngineInfo, type EngineOptions } from './choice.js';
import { loadNative, type NativeKernels } from './native.js';

/*
 * The kernel engine: kernels/*.c compiled to one WebAssembly SIMD128 module
 * (scripts/build-wasm.sh), compiled once per process and instantiated once
 * per thread over that thread's own linear memory.
 *
 * Memory: the engine memory is a shared WebAssembly.Memory (a
 * SharedArrayBuffer that never detaches when it grows), private to its thread.
 * Feature maps an executor allocates there (engine/tensors.ts: LocalExecutor's
 * intermediates) are read and written by the kernels in place. Any other
 * tensor (a user's input, the pool's SharedArrayBuffers) is copied: a kernel
 * call copies the rectangle it reads in and its output rows back — a memcpy
 * per plane, a few percent of a convolution but as much as a whole pooling
 * layer, which is why executors keep intermediates in engine memory. Packed
 * weights are copied once per layer and thread and stay (engine/packed.ts).
 *
 * The same kernels also exist natively (engine/native.ts, engine/choice.ts):
 * the addon is bound to this same memory and takes the same byte offsets, so
 * `Engine.k` is either the wasm exports or the addon's functions and every
 * call site is the same.
 */

/** The part of the WebAssembly API used here (the ES2022 lib does not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: (new (bytes: Uint8Array) => object) & { customSections(module: object, name: string): ArrayBuffer[] };
  Instance: new (module: object, imports?: object) => { readonly exports: Record<string, unknown> };
  RuntimeError: new (...a: unknown[]) => Error;
}
interface WasmMemory { readonly buffer: ArrayBufferLike; grow(pages: number): number }

/** The kernels that take one call struct; the native engine also runs several at once (Engine.calls). */
export type StructKernel = 'conv2d_depthwise' | 'pool2d' | 'elementwise' | 'resize_nearest' | 'conv_transpose_s2';

/** Signatures of the exported kernels (pointers are byte offsets into the engine memory). */
export interface KernelExports {
  conv2d_patch_hwc(src: number, C: number, chanStride: number, rowStride: number, rows: number, cols: number, dst: number, PW: number, Cp: number, top: number, left: number, len: number): void;
  conv2d_tiles_8x4(w: number, toff: number, x: number, T: number, C: number, qoff: number, npos: number, nb: number, acc: number, ldc: number, lo: number, hi: number, ep: number): void;
  conv2d_depthwise(call: number, count?: number, stride?: number): void;
  conv2d_pointwise(call: number): void;
  dense_rows(w: number, x: number, K: number, ldx: number, rows: number, panels: number, y: number, ldy: number, ep: number): void;
  pool2d(call: number, count?: number, stride?: number): void;
  global_pool(op: number, src: number, planes: number, len: number, dst: number): void;
  elementwise(call: number, count?: number, stride?: number): void;
  resize_nearest(call: number, count?: number, stride?: number): void;
  conv_transpose_s2(call: number, count?: number, stride?: number): void;
  [name: string]: (...args: number[]) => number | void;
}

const WASM_URL = new URL('../../wasm/tessera.wasm', import.meta.url);
const PAGE = 65536;

function api(): WasmApi {
  const wa = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wa) throw new TesseraError('UNAVAILABLE', 'this JavaScript runtime has no WebAssembly; Tessera\'s kernels need WebAssembly with SIMD (Node.js 20.19+)');
  return wa;
}

let compiled: object | undefined;

/** The fingerprint of the kernel sources the wasm module was built from (scripts/kernels-id.sh; its custom section), or undefined in an older build. */
export function engineKernelsId(): string | undefined {
  const [section] = api().Module.customSections(engineModule(), 'tessera_kernels_id');
  return section ? new TextDecoder().decode(section) : undefined;
}

/** The compiled module (once per thread; a worker may be handed one with `useEngineModule`). */
export function engineModule(): object {
  if (compiled) return compiled;
  const wa = api();
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(WASM_URL);
  } catch (e) {
    throw new TesseraError('UNAVAILABLE',
      `the kernel engine ${WASM_URL.pathname} is missing (${(e as Error).message}); build it with \`npm run build -w @tessera/tensor\` (needs clang-16, installed by tools/setup.sh)`,
      { path: WASM_URL.pathname }, { cause: e });
  }
  if (!wa.validate(bytes)) {
    throw new TesseraError('UNAVAILABLE',
      `this runtime cannot load Tessera's kernel engine ${WASM_URL.pathname}: WebAssembly SIMD128 is required (Node.js 20.19+ has it), running Node ${process.versions.node}`,
      { path: WASM_URL.pathname, node: process.versions.node });
  }
  compiled = new wa.Module(bytes);
  return compiled;
}

/** Installs an already compiled module (posted from the main thread), so a worker need not compile again. */
export function useEngineModule(module: object): void {
  if (!engine) compiled = module;
}

/** One thread's engine: the instance, its memory, a heap over it, and typed views rebuilt after growth. */
export class Engine {
  /** The kernels in use: the wasm exports or the native addon's (`use`). */
  k: KernelExports;
  /** Which engine `k` is. */
  info: EngineInfo = { kind: 'wasm', mode: 'exact' };
  readonly heap: Heap;
  private readonly wasm: KernelExports;
  /** Native kernel sets bound to this memory, by 'isa/mode/threads'. */
  private readonly natives = new Map<string, NativeKernels>();
  private nativeBase: bigint | undefined;
  private readonly memory: WasmMemory;
  private buf: ArrayBufferLike | undefined;
  private f32v: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private i32v: Int32Array<ArrayBufferLike> = new Int32Array(0);

  /** Every SharedArrayBuffer object this memory has had (one per size it grew to): tensors keep the one they were made with. */
  private readonly buffers = new WeakSet<object>();

  constructor(module: object) {
    // 16 pages (1 MiB) to start, 4 GiB at most (wasm32); shared, so views survive growth.
    this.memory = new (api().Memory)({ initial: 16, maximum: 65536, shared: true });
    const inst = new (api().Instance)(module, { env: { memory: this.memory } });
    this.k = this.wasm = inst.exports as unknown as KernelExports;
    const heapBase = (inst.exports.__heap_base as { value: number }).value;
    this.heap = new Heap(heapBase, this.memory.buffer.byteLength, (bytes) => {
      const pages = Math.ceil(bytes / PAGE);
      try {
        this.memory.grow(pages);
      } catch (e) {
        throw new TesseraError('RESOURCE_EXHAUSTED',
          `the kernel engine cannot grow its memory by ${pages * PAGE} bytes beyond ${this.memory.buffer.byteLength} (4 GiB is WebAssembly's limit)`,
          { bytes: pages * PAGE, size: this.memory.buffer.byteLength }, { cause: e });
      }
      this.refresh();
      return this.memory.buffer.byteLength;
    });
  }

  /** Runs the kernels on `info`'s engine from now on (resolveEngine made sure it runs here). */
  use(info: EngineInfo): void {
    if (info.kind === 'wasm') {
      this.k = this.wasm;
    } else {
      const key = `${info.isa}/${info.mode}/${info.threads ?? 1}`;
      let k = this.natives.get(key);
      if (!k) {
        const addon = loadNative().addon;
        if (!addon) throw new TesseraError('UNAVAILABLE', 'the native engine is not loaded', { info });
        const bytes = new Uint8Array(this.buffer());
        const bound = addon.bind(bytes, info.isa!, info.mode, info.threads ?? 1);
        // A kernel an older addon lacks runs on wasm: the same memory, offsets and (exact) bits.
        k = Object.assign(Object.create(null) as object, this.wasm, bound) as NativeKernels;
        this.nativeBase = addon.address(bytes);
        this.natives.set(key, k);
      }
      this.k = k;
    }
    this.info = info;
  }

  /** Threads a kernel call may be split across: the native engine's intra-op threads (engine option `threads`), else 1. */
  get threads(): number {
    return this.info.kind === 'native' ? this.info.threads ?? 1 : 1;
  }

  /**
   * Runs `count` independent calls of a one-struct kernel, the structs at
   * `at + i · stride` (disjoint outputs and scratch): across the intra-op
   * threads on the native engine, one after another otherwise.
   */
  calls(kernel: StructKernel, at: number, count: number, stride: number): void {
    if (count > 1 && this.threads > 1) return void this.k[kernel](at, count, stride);
    for (let i = 0; i < count; i++) this.k[kernel](at + i * stride);
  }

  /** Whether `buffer` is (a view of) this engine's memory. */
  owns(buffer: ArrayBufferLike): boolean {
    return this.buffers.has(buffer);
  }

  /** The memory's current buffer (recorded as this engine's). */
  buffer(): ArrayBufferLike {
    this.refresh();
    return this.buf!;
  }

  /** Float32 view of the whole memory; valid until the next allocation. */
  f32(): Float32Array<ArrayBufferLike> {
    this.refresh();
    return this.f32v;
  }

  /** Int32 view of the whole memory; valid until the next allocation. */
  i32(): Int32Array<ArrayBufferLike> {
    this.refresh();
    return this.i32v;
  }

  private refresh(): void {
    if (this.buf !== this.memory.buffer) {
      this.buf = this.memory.buffer;
      this.buffers.add(this.buf);
      this.f32v = new Float32Array(this.buf);
      this.i32v = new Int32Array(this.buf);
      // Shared wasm memory grows in place; native kernels hold its base address, so make sure.
      if (this.nativeBase !== undefined && loadNative().addon!.address(new Uint8Array(this.buf)) !== this.nativeBase) {
        throw new TesseraError('KERNEL_FAILED', 'the engine memory moved when it grew: the native kernels cannot follow it', {});
      }
      for (const k of this.natives.values()) k.setLimit(this.buf.byteLength);
    }
  }
}

let engine: Engine | undefined;

/** Runs every kernel on tiny inputs (engine/warm-up.ts); installed there, so this file needs no op imports. */
let warmUp: (() => void) | undefined;
export function setWarmUp(f: () => void): void {
  warmUp = f;
}

/**
 * This thread's engine, created on first use and warmed up at once: V8 runs
 * a wasm function on its baseline tier until it has run enough, and a call
 * never leaves the tier it started on (a pooling layer ran 3× slower for its
 * first dozen calls), so every kernel runs on tiny inputs first (~30 ms).
 */
export function kernelEngine(): Engine {
  if (!engine) {
    const e = engine = new Engine(engineModule());
    warmUp?.();
    try {
      e.use(resolveEngine());
    } catch (err) {
      engine = undefined; // TESSERA_ENGINE asked for what cannot run: every call says so, none runs on a silent fallback
      throw err;
    }
  }
  return engine;
}

/** Switches this thread's kernels to the engine `opts` resolve to (an executor calls it before its layers); returns it. */
export function useEngine(info: EngineInfo): EngineInfo {
  const e = kernelEngine();
  if (e.info !== info) e.use(info);
  return info;
}

/** Resolves `opts` (engine/choice.ts) and switches this thread to it. */
export function selectEngine(opts?: EngineOptions): EngineInfo {
  return useEngine(resolveEngine(opts));
}

/** The engine this thread's kernels run on now. */
export function engineInfo(): EngineInfo {
  return kernelEngine().info;
}

/**
 * Runs `body` (which calls into wasm) and turns a trap into a TesseraError
 * naming the op and region. A trap means a bound was not checked before the
 * call: a bug, reported instead of a crashed worker.
 */
export function guarded<T>(op: string, r: Region, body: () => T): T {
  try {
    return body();
  } catch (e) {
    if (isTesseraError(e)) throw e;
    if (e instanceof api().RuntimeError || (e instanceof Error && (e as { code?: string }).code === 'NATIVE_FAILED')) {
      throw new TesseraError('KERNEL_FAILED', `${op} kernel trapped on region ${fmtRegion(r)}: ${(e as Error).message}`, { op, region: r }, { cause: e });
    }
    throw e;
  }
}

let scratchAt = 0, scratchSize = 0;

/**
 * This thread's scratch area of at least `bytes` (patches, partial sums,
 * per-call tables): one block, reused by every kernel call, grown when a call
 * needs more. Valid until the next `scratch` call.
 */
export function scratch(e: Engine, bytes: number): number {
  if (bytes > scratchSize) {
    const size = Math.max(bytes, Math.ceil(scratchSize * 1.5));
    if (scratchSize) e.heap.release(scratchAt);
    scratchSize = 0;
    scratchAt = e.heap.alloc(size);
    scratchSize = size;
  }
  return scratchAt;
}
