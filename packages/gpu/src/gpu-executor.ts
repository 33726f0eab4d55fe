import { TesseraError, Tensor, checkInt, checkKeys, fmtShape, fullRegion, sizeOf, type Shape } from '@tessera/tensor';
import {
  RUN_ALL_OPTION_KEYS, checkMemoryBudget, checkOneInput, checkOneOutput, checkOut, checkRunOptions, inputTensors, outputRecord, remainingReads, resolveMemoryBudget,
  throwIfAborted, type Executor, type Model, type ModelInputs, type RunAllOptions, type RunOptions,
} from '@tessera/nn';
import { computeOp } from './compute.js';
import { BACKEND_OPTION_KEYS, GpuBackend, type DeviceValue, type GpuBackendName, type GpuMode, type GpuStats } from './gpu-backend.js';

export interface GpuExecutorOptions {
  mode?: GpuMode;
  /** Largest texture side used (default the GL limit, ≤ 16384); smaller values force layers to run in parts (tests). */
  maxTextureSize?: number;
  /** Compiled kernels kept, least recently used evicted (default 64). */
  kernelCacheSize?: number;
  /** Testing aid: layer index whose kernel launch fails with KERNEL_FAILED. */
  failAtLayer?: number;
  /**
   * Most bytes of feature maps a run may hold at once (model.peakMemory: this
   * executor releases each map after its last reader, as LocalExecutor does);
   * a run over it is refused with RESOURCE_EXHAUSTED before anything is
   * uploaded or allocated. Default: half of os.totalmem(); Infinity turns the check off.
   */
  maxMemoryBytes?: number;
}

/** Options are strict: a misspelt `mdoe` would otherwise run on the default backend. */
const OPTION_KEYS: readonly string[] = [...BACKEND_OPTION_KEYS, 'failAtLayer', 'maxMemoryBytes'];

/**
 * Runs a model layer by layer on gpu.js. On GL each layer's output stays a
 * texture that the next layers read directly; only the model outputs are read
 * back, at the end. A texture is deleted as soon as its last reader ran (as
 * LocalExecutor drops arrays), and everything still held is released on
 * every exit path. Layers too big for one texture run in parts (computeOp).
 */
export class GpuExecutor implements Executor {
  private readonly be: GpuBackend;
  private closed = false;
  /** Testing aid: the launch of this layer fails with KERNEL_FAILED (set to undefined to stop). */
  failAtLayer: number | undefined;
  /** The memory budget of one run, in bytes (maxMemoryBytes). */
  readonly maxMemoryBytes: number;

  constructor(opts: GpuExecutorOptions = {}) {
    checkKeys('GpuExecutor options', opts, OPTION_KEYS);
    if (opts.failAtLayer !== undefined) checkInt('GpuExecutor failAtLayer', opts.failAtLayer, 0);
    this.maxMemoryBytes = resolveMemoryBudget('GpuExecutor maxMemoryBytes', opts.maxMemoryBytes);
    this.be = new GpuBackend(opts);
    this.failAtLayer = opts.failAtLayer;
  }

  /** The backend that really runs ('gl' | 'webasm' | 'cpu'). */
  get backend(): GpuBackendName {
    return this.be.backend;
  }

  /** With mode 'auto': why GL (or WebAssembly) was not used; undefined when nothing fell back. */
  /** gpu.js' kernel class that runs (HeadlessGLKernel, WebAssemblyKernel, CPUKernel). */
  get kernelClass(): string {
    return this.be.kernelClass;
  }

  get fallbackReason(): string | undefined {
    return this.be.fallbackReason;
  }

  get maxTextureSize(): number {
    return this.be.maxTextureSize;
  }

  get stats(): Readonly<GpuStats> {
    return { ...this.be.stats };
  }

  async run(model: Model, input: Tensor, opts: RunOptions = {}): Promise<Tensor> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'GpuExecutor is closed');
    checkRunOptions('GpuExecutor.run', opts);
    checkOneOutput(model, 'GpuExecutor.run');
    checkOneInput(model, 'GpuExecutor.run');
    return (await this.runOutputs(model, [input], opts.signal, opts.out))[0]!;
  }

  /** Every output of the model by name, from one run: each output stays on the device until the end, then is read back. */
  async runAll(model: Model, input: ModelInputs, opts: RunAllOptions = {}): Promise<Record<string, Tensor>> {
    if (this.closed) throw new TesseraError('UNAVAILABLE', 'GpuExecutor is closed');
    checkRunOptions('GpuExecutor.runAll', opts, RUN_ALL_OPTION_KEYS);
    return outputRecord(model, await this.runOutputs(model, inputTensors(model, input, 'GpuExecutor.runAll'), opts.signal, undefined));
  }

  /** The outputs in the model's output order; `out` (one-output models) receives the output. */
  private async runOutputs(model: Model, inputs: readonly Tensor[], signal: AbortSignal | undefined, out: Tensor | undefined): Promise<Tensor[]> {
    const what = `run of model '${model.name}'`;
    throwIfAborted(signal, what);
    for (const input of inputs) {
      if (!(input instanceof Tensor)) throw new TesseraError('BAD_ARGUMENT', `${what}: input must be a Tensor, got ${Object.prototype.toString.call(input)}`);
    }
    const inShapes = inputs.map((x) => x.shape);
    const shapes = model.shapes(inShapes);
    // `out` is honoured, as by the other executors (it used to be ignored).
    if (out) checkOut(out, shapes[model.output]!, inputs[0]!, what);
    checkMemoryBudget(model, inShapes, model.peakMemory(inShapes).steps, this.maxMemoryBytes, what);
    const be = this.be;
    be.stats.runs++;
    const values = new Array<DeviceValue | undefined>(model.layers.length);
    const remaining = remainingReads(model);
    const inputValues = inputs.map((x) => be.hostValue(x.toFloat32Array(), x.shape, fullRegion(x.shape)));
    try {
      for (const l of model.layers) {
        if (l.index > 0) await new Promise<void>((r) => setImmediate(r));
        throwIfAborted(signal, `${what} at layer ${l.index} '${l.name}'`);
        const ins = l.inputs.map((s) => (s < 0 ? inputValues[-1 - s]! : values[s]!));
        values[l.index] = model.withLayer(l, () => {
          if (this.failAtLayer === l.index) {
            throw new TesseraError('KERNEL_FAILED', `injected kernel failure (failAtLayer ${l.index})`);
          }
          return computeOp(be, l.spec, l.weights, ins, fullRegion(shapes[l.index]!), `layer ${l.index} '${l.name}'`,
            () => throwIfAborted(signal, `${what} at layer ${l.index} '${l.name}'`));
        });
        for (const src of l.inputs) {
          if (src >= 0 && --remaining[src]! === 0 && !model.isOutput(src)) {
            be.release(values[src]);
            values[src] = undefined;
          }
        }
      }
      return model.outputs.map((o) => {
        const outShape: Shape = shapes[o.layer]!;
        const data = be.readOut(values[o.layer]!);
        if (data.length !== sizeOf(outShape)) {
          throw new TesseraError('KERNEL_FAILED', `${what}: output '${o.name}' has ${data.length} values, shape ${fmtShape(outShape)} needs ${sizeOf(outShape)}`);
        }
        if (out) {
          out.data.set(data, out.offset);
          return out;
        }
        // A host value may be the executor's own array: copy so the caller owns it.
        return new Tensor(inputValues.some((v) => v.host === data) ? data.slice() : data, outShape);
      });
    } finally {
      for (let i = 0; i < values.length; i++) {
        be.release(values[i]);
        values[i] = undefined;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.be.close();
  }
}
