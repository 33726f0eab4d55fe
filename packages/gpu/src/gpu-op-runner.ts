import {
  TesseraError, Tensor, checkKeys, checkRegion, fmtRegion, fullRegion, getOp, weightShapes, type OpSpec, type Region, type Weights,
} from '@tessera/tensor';
import { computeOp } from './compute.js';
import { BACKEND_OPTION_KEYS, GpuBackend, type GpuBackendName, type GpuBackendOptions, type GpuStats } from './gpu-backend.js';
import { pasteBox } from './layout.js';

/**
 * Runs single ops on the GPU (tests and benchmarks): one backend and kernel
 * cache reused across calls, so a benchmark times launches, not compiles.
 */
export class GpuOpRunner {
  private readonly be: GpuBackend;

  constructor(opts: GpuBackendOptions = {}) {
    checkKeys('GpuOpRunner options', opts, BACKEND_OPTION_KEYS);
    this.be = new GpuBackend(opts);
  }

  get backend(): GpuBackendName {
    return this.be.backend;
  }

  /** gpu.js' kernel class that runs (HeadlessGLKernel, WebAssemblyKernel, CPUKernel). */
  get kernelClass(): string {
    return this.be.kernelClass;
  }

  get fallbackReason(): string | undefined {
    return this.be.fallbackReason;
  }

  get stats(): Readonly<GpuStats> {
    return { ...this.be.stats };
  }

  /**
   * Computes `region` (default all) of op `spec` and writes it into `out`
   * (allocated with the output shape when not given; elements outside the
   * region are left as they are).
   */
  run(spec: OpSpec, inputs: readonly Tensor[], weights: Weights = {}, region?: Region, out?: Tensor): Tensor {
    const def = getOp(spec.op);
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TesseraError('BAD_ARGUMENT', `${spec.op} input ${i} must be a Tensor`);
    });
    const shape = def.outputShape(spec, inputs.map((t) => t.shape), weightShapes(weights));
    const r = region ?? fullRegion(shape);
    checkRegion(r, shape, `${spec.op} region`);
    const o = out ?? Tensor.zeros(shape);
    if (!o.isContiguous || o.shape.join() !== shape.join()) {
      throw new TesseraError('SHAPE_MISMATCH', `${spec.op} output must be a contiguous tensor of shape [${shape.join(', ')}]`);
    }
    this.be.stats.runs++;
    const ins = inputs.map((t) => this.be.hostValue(t.toFloat32Array(), t.shape, fullRegion(t.shape)));
    const res = computeOp(this.be, spec, weights, ins, r, `${spec.op} ${fmtRegion(r)}`);
    try {
      pasteBox(this.be.readOut(res), o.data.subarray(o.offset), shape, r);
    } finally {
      this.be.release(res);
    }
    return o;
  }

  async close(): Promise<void> {
    await this.be.close();
  }
}

export interface GpuOpResult {
  readonly output: Tensor;
  readonly backend: GpuBackendName;
  readonly kernelClass: string;
  readonly fallbackReason: string | undefined;
}

const RUN_OP_KEYS: readonly string[] = [...BACKEND_OPTION_KEYS, 'region'];

/** One op on a fresh backend of `mode`, closed afterwards: the output and the backend that really ran it. */
export async function runGpuOp(
  spec: OpSpec, inputs: readonly Tensor[], weights: Weights = {}, opts: GpuBackendOptions & { region?: Region } = {},
): Promise<GpuOpResult> {
  checkKeys('runGpuOp options', opts, RUN_OP_KEYS);
  const { region, ...backendOpts } = opts;
  const runner = new GpuOpRunner(backendOpts);
  try {
    const output = runner.run(spec, inputs, weights, region);
    return { output, backend: runner.backend, kernelClass: runner.kernelClass, fallbackReason: runner.fallbackReason };
  } finally {
    await runner.close();
  }
}
