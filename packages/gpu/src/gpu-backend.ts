import { createRequire } from 'node:module';
import { GPU, Input, type IKernelRunShortcut, type Texture } from 'gpu.js';
import { TesseraError, checkEnum, checkInt, fmtRegion, fmtShape, regionVolume, type Region, type Shape } from '@tessera/tensor';
import { KernelCache } from './kernel-cache.js';
import { boxDims } from './layout.js';
import type { GpuKernelPlan } from './ops/index.js';
import { originArgs } from './ops/source.js';

/** What to run on: a GL context (headless-gl), WebAssembly, plain JS, or the best that works. */
export type GpuMode = 'gl' | 'webasm' | 'cpu' | 'auto';
/** The backend that really runs kernels (read from gpu.js' kernel class, not from the mode asked for). */
export type GpuBackendName = 'gl' | 'webasm' | 'cpu';

export interface GpuBackendOptions {
  mode?: GpuMode;
  /** Largest texture side (default: the GL limit, at most 16384); a value holds at most its square of elements. */
  maxTextureSize?: number;
  /** Compiled kernels kept (LRU, default 64). */
  kernelCacheSize?: number;
}

/** The keys of GpuBackendOptions, for the public constructors' checkKeys. */
export const BACKEND_OPTION_KEYS: readonly string[] = ['mode', 'maxTextureSize', 'kernelCacheSize'];
const MODES: readonly GpuMode[] = ['gl', 'webasm', 'cpu', 'auto'];

export interface GpuStats {
  /** Model runs (executor) or op runs (runner). */
  runs: number;
  kernelsCompiled: number;
  cacheHits: number;
  /** Kernel launches. */
  launches: number;
  /** Device → host copies (GL texture reads; on webasm/cpu the final copy out counts the same). */
  readbacks: number;
  /** GL textures held right now (always 0 on webasm/cpu, whose values are host arrays). */
  texturesLive: number;
  /** Most GL textures ever held at once: shows intermediates are freed as soon as their last reader ran. */
  texturesPeak: number;
  /** Layers or ops run in several parts because a value did not fit a texture. */
  splitLayers: number;
}

/**
 * A feature map (or a box of one, see layout.ts) held by the backend: a GL
 * texture, or a host array (model inputs, split results, and every value on
 * webasm/cpu, where gpu.js returns arrays).
 */
export interface DeviceValue {
  readonly shape: Shape;
  readonly box: Region;
  readonly texture?: Texture;
  readonly host?: Float32Array;
  released: boolean;
}

const KERNEL_BACKEND: Readonly<Record<string, GpuBackendName>> = {
  HeadlessGLKernel: 'gl', WebGLKernel: 'gl', WebGL2Kernel: 'gl', WebAssemblyKernel: 'webasm', CPUKernel: 'cpu',
};

/** Maps gpu.js' kernel class name to the backend it is. */
export function backendOfKernel(name: string): GpuBackendName {
  const b = KERNEL_BACKEND[name];
  if (!b) throw new TesseraError('UNAVAILABLE', `gpu.js chose an unknown kernel class '${name}'`, { kernel: name });
  return b;
}

const GPU_MODE: Readonly<Record<GpuBackendName, string>> = { gl: 'headlessgl', webasm: 'webasm', cpu: 'cpu' };

/** Why no headless GL context can be made here, or null when one can. */
export function glUnavailableReason(): string | null {
  const req = createRequire(import.meta.url);
  try {
    // gl is gpu.js' optional dependency: resolve it from gpu.js, as gpu.js does.
    createRequire(req.resolve('gpu.js'))('gl');
  } catch (e) {
    return `the 'gl' module is missing or did not build (${(e as Error).message.split('\n')[0]}); gpu.js would silently use another backend`;
  }
  if (GPU.isHeadlessGLSupported) return null;
  const display = process.env.DISPLAY;
  return display
    ? `headless-gl could not create a GL context on DISPLAY=${display} (is the X server running?)`
    : 'no DISPLAY set: headless-gl needs an X display (run under tools/with-xvfb.sh or xvfb-run)';
}

function webasmUnavailableReason(): string | null {
  return GPU.isWebAssemblySupported ? null : 'WebAssembly is not supported by this Node.js';
}

type Kernel = IKernelRunShortcut & { destroy(): void };

/**
 * Starts gpu.js in the mode of backend `want` and checks that its kernel
 * class is that backend: never a silent fallback (gpu.js may pick another
 * kernel type than the mode names).
 */
function startGpu(want: GpuBackendName): { gpu: GPU; kernelName: string } {
  let gpu: GPU;
  try {
    gpu = new GPU({ mode: GPU_MODE[want] as 'headlessgl' });
  } catch (e) {
    throw new TesseraError('UNAVAILABLE', `gpu.js could not start mode '${GPU_MODE[want]}': ${(e as Error).message}`, { backend: want }, { cause: e });
  }
  const kernelName = (gpu as unknown as { Kernel: { name: string } }).Kernel.name;
  if (KERNEL_BACKEND[kernelName] !== want) {
    void Promise.resolve(gpu.destroy()).catch(() => undefined);
    throw new TesseraError('UNAVAILABLE', `asked gpu.js for ${want} (mode '${GPU_MODE[want]}') but it runs ${kernelName}`, { backend: want, kernel: kernelName });
  }
  return { gpu, kernelName };
}

/**
 * One gpu.js instance and what it holds: compiled kernels (LRU cache),
 * textures, counters. Every texture it hands out is counted until released,
 * so `stats.texturesLive` shows leaks directly.
 */
export class GpuBackend {
  readonly backend: GpuBackendName;
  /** gpu.js' kernel class that runs (HeadlessGLKernel, WebAssemblyKernel, CPUKernel). */
  readonly kernelClass: string;
  /** Set when mode 'auto' did not get GL (or WebAssembly): what failed, in words. */
  readonly fallbackReason: string | undefined;
  readonly maxTextureSize: number;
  readonly stats: GpuStats = { runs: 0, kernelsCompiled: 0, cacheHits: 0, launches: 0, readbacks: 0, texturesLive: 0, texturesPeak: 0, splitLayers: 0 };
  private readonly gpu: GPU;
  private readonly cache: KernelCache<Kernel>;
  private closed = false;

  constructor(opts: GpuBackendOptions = {}) {
    const mode = checkEnum('GPU mode', opts.mode, MODES) ?? 'auto';
    // Checked before gpu.js starts, so a bad option leaks no context.
    const maxTex = checkInt('maxTextureSize', opts.maxTextureSize ?? 16384, 1);
    const cacheSize = checkInt('kernelCacheSize', opts.kernelCacheSize ?? 64, 1);
    const reasons: string[] = [];
    let started: { gpu: GPU; kernelName: string } | undefined;
    if (mode === 'auto') {
      // gl, then webasm, then cpu; each step down records why.
      for (const b of ['gl', 'webasm', 'cpu'] as const) {
        const why = b === 'gl' ? glUnavailableReason() : b === 'webasm' ? webasmUnavailableReason() : null;
        if (!why) {
          try {
            started = startGpu(b);
            break;
          } catch (e) {
            if (b === 'cpu') throw e;
            reasons.push(`${b} unavailable: ${(e as Error).message}`);
            continue;
          }
        }
        reasons.push(`${b} unavailable: ${why}`);
      }
    } else {
      const why = mode === 'gl' ? glUnavailableReason() : mode === 'webasm' ? webasmUnavailableReason() : null;
      if (why) throw new TesseraError('UNAVAILABLE', `GPU mode '${mode}' is unavailable: ${why}`, { mode, reason: why });
      started = startGpu(mode);
    }
    const { gpu, kernelName } = started!;
    const real = backendOfKernel(kernelName);
    this.gpu = gpu;
    this.backend = real;
    this.kernelClass = kernelName;
    this.fallbackReason = reasons.length ? reasons.join('; ') : undefined;
    const glMax = real === 'gl' ? glMaxTextureSize(gpu) : 16384;
    this.maxTextureSize = Math.min(glMax, 16384, maxTex);
    this.cache = new KernelCache<Kernel>(cacheSize);
  }

  /** Most elements one value (texture) may hold. */
  get capacity(): number {
    return this.maxTextureSize * this.maxTextureSize;
  }

  get cachedKernels(): number {
    return this.cache.size;
  }

  /** A host array as a value holding `box` of a tensor of `shape` (contiguous, box-shaped). */
  hostValue(host: Float32Array, shape: Shape, box: Region): DeviceValue {
    if (host.length !== regionVolume(box)) {
      throw new TesseraError('SHAPE_MISMATCH', `${host.length} values do not fill ${fmtRegion(box)} of ${fmtShape(shape)}`);
    }
    return { shape, box, host, released: false };
  }

  /**
   * Runs a kernel plan over `region` of an output of `outShape`; inputs are
   * the plan's feature maps in order. GL keeps the result as a texture.
   */
  launch(plan: GpuKernelPlan, inputs: readonly DeviceValue[], outShape: Shape, region: Region, what: string): DeviceValue {
    this.checkOpen();
    const dims = boxDims(region);
    const kinds = inputs.map((v) => (v.texture ? 't' : 'a')).join('');
    // Input array sizes are part of a compiled gpu.js kernel (box extents of parts vary at the edges).
    const sizes = inputs.map((v) => boxDims(v.box).join('x')).join(',');
    const key = `${kinds}|${sizes}|${plan.weights.map((w) => w.length).join(',')}|${dims.join('x')}|${plan.source}`;
    const hitsBefore = this.cache.hits;
    let result: unknown;
    try {
      const kernel = this.cache.get(key, () => this.gpu.createKernel(plan.source, {
        output: dims, pipeline: true, immutable: true, precision: 'single', tactic: 'precision',
      }) as unknown as Kernel);
      const args: unknown[] = inputs.map((v) => {
        if (v.released) throw new TesseraError('KERNEL_FAILED', `${what}: an input was already released`);
        return v.texture ?? new Input(v.host! as unknown as number[], boxDims(v.box));
      });
      args.push(...plan.weights, ...originArgs(region, inputs.map((v) => v.box)));
      result = (kernel as unknown as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      // gpu.js builds on the first call: a kernel that failed is dropped, not kept to fail again.
      this.cache.delete(key);
      throw new TesseraError('KERNEL_FAILED', `${what}: gpu.js ${this.backend} kernel failed: ${(e as Error).message}`, { backend: this.backend }, { cause: e });
    } finally {
      this.stats.cacheHits += this.cache.hits - hitsBefore;
      this.stats.kernelsCompiled = this.cache.compiled;
    }
    this.stats.launches++;
    if (isTexture(result)) {
      this.stats.texturesLive++;
      this.stats.texturesPeak = Math.max(this.stats.texturesPeak, this.stats.texturesLive);
      return { shape: outShape, box: region, texture: result, released: false };
    }
    return { shape: outShape, box: region, host: flatten(result, regionVolume(region)), released: false };
  }

  /** The value's elements (box-shaped, row-major); a texture is read back (counted). */
  read(v: DeviceValue): Float32Array {
    this.checkOpen();
    if (v.released) throw new TesseraError('KERNEL_FAILED', 'read of a released GPU value');
    if (v.host) return v.host;
    const n = regionVolume(v.box);
    // RGBA float pixels, the value in R (precision 'single', one channel per texel): every 4th float.
    const raw = (v.texture as unknown as { renderRawOutput(): Float32Array }).renderRawOutput();
    this.stats.readbacks++;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = raw[4 * i]!;
    return out;
  }

  /** Host copy out of the device for the final result: counts as a readback on every backend. */
  readOut(v: DeviceValue): Float32Array {
    if (v.texture) return this.read(v);
    this.stats.readbacks++;
    return this.read(v);
  }

  release(v: DeviceValue | undefined): void {
    if (!v || v.released) return;
    v.released = true;
    if (v.texture) {
      this.stats.texturesLive--;
      try {
        v.texture.delete();
      } catch {
        // Context already destroyed: nothing left to free.
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cache.clear();
    await Promise.resolve(this.gpu.destroy()).catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.closed) throw new TesseraError('UNAVAILABLE', `GPU backend (${this.backend}) is closed`);
  }
}

function isTexture(v: unknown): v is Texture {
  return v !== null && typeof v === 'object' && typeof (v as { delete?: unknown }).delete === 'function' && !ArrayBuffer.isView(v);
}

function glMaxTextureSize(gpu: GPU): number {
  const K = (gpu as unknown as { Kernel: { features?: { maxTextureSize?: number } } }).Kernel;
  const m = K.features?.maxTextureSize;
  return typeof m === 'number' && m > 0 ? m : 16384;
}

/** gpu.js' nested [z][y] Float32Array(x) result (cpu/webasm) as one flat array. */
function flatten(r: unknown, n: number): Float32Array {
  if (r instanceof Float32Array) return r.length === n ? r : r.slice(0, n);
  const out = new Float32Array(n);
  let k = 0;
  const walk = (a: unknown): void => {
    if (ArrayBuffer.isView(a)) {
      out.set(a as Float32Array, k);
      k += (a as Float32Array).length;
    } else if (Array.isArray(a)) {
      for (const b of a) walk(b);
    } else {
      throw new TesseraError('KERNEL_FAILED', `gpu.js returned ${Object.prototype.toString.call(a)}, expected arrays of numbers`);
    }
  };
  walk(r);
  if (k !== n) throw new TesseraError('KERNEL_FAILED', `gpu.js returned ${k} values, expected ${n}`);
  return out;
}
