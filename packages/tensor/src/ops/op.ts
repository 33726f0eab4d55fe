import type { Region } from '../region.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Named weight tensors of one layer (e.g. `weight`, `bias`, `scale`, `shift`). */
export type Weights = Readonly<Record<string, Tensor | undefined>>;
export type WeightShapes = Readonly<Record<string, Shape | undefined>>;

/**
 * A kernel fills `region` of `out` from full input views (DESIGN.md §3).
 * It writes nothing outside `region`, and each output element is computed by
 * the same arithmetic in the same order whatever region it is part of, so any
 * split of the output gives bit-identical results.
 *
 * The numeric contract of the two implementations every op has:
 * - `reference`: plain loops accumulating in float64, one rounding to float32
 *   at the store. The oracle of the tests; never used to run models.
 * - `fast` (production): float32 arithmetic in one fixed order per output
 *   element — conv2d sums taps (ky, kx), then input channels, from +0; dense sums k = 0…K−1; each
 *   step a float32 multiply then a float32 add (never a fused multiply-add),
 *   then the epilogue (bias, scale/shift, activation: ops/epilogue.ts). The
 *   order never depends on the region, tile, thread or machine, and no
 *   algorithm is switched by region size (no Winograd, no split-K), so
 *   LocalExecutor, PoolExecutor and ClusterExecutor give identical bits.
 *   The hot ops (conv2d, dense, pools) run in the WebAssembly SIMD kernel
 *   engine (kernels/*.c, src/engine/); element-wise ops stay TypeScript, each
 *   step rounded to float32 as the epilogue rounds it (so fusing them into a
 *   conv changes no bit); an add of three or more inputs sums in double and
 *   rounds once, still one fixed order per element.
 * - Tolerance: production agrees with the reference within
 *   FAST_TOLERANCE · max|ref| per output (see its comment).
 */
export type Kernel<S> = (inputs: readonly Tensor[], weights: Weights, spec: S, out: Tensor, region: Region) => void;

/** 2-D window of a windowed op, resolved against an input size; pads are explicit. */
export interface Geometry {
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number;
  readonly pt: number; readonly pb: number; readonly pl: number; readonly pr: number;
  readonly inH: number; readonly inW: number;
  readonly outH: number; readonly outW: number;
}

/**
 * Everything Tessera knows about one op type: shape and region algebra,
 * cost, and its two implementations. The nn graph, the scheduler, the GPU
 * and the cluster all work from this one description.
 */
export interface OpDef<S extends { readonly op: string } = { readonly op: string }> {
  readonly op: S['op'];
  /** Number of feature-map inputs; 'many' means one or more. */
  readonly arity: number | 'many';
  /** Weight names the op accepts; those in `requiredWeights` must be present. */
  readonly weightNames: readonly string[];
  readonly requiredWeights: readonly string[];
  /** Validates spec, input shapes and weight shapes; returns the output shape. Throws TesseraError. */
  outputShape(spec: S, inputs: readonly Shape[], weights: WeightShapes): Shape;
  /**
   * The rectangle of input `index` read to compute `out` (halo included,
   * clipped to the input), or null when that input is not read at all.
   */
  inputRegion(spec: S, out: Region, inputs: readonly Shape[], outShape: Shape, index: number): Region | null;
  /** The 2-D window for receptive-field maths; null for ops with no fixed window (resize, dense, global pools). */
  window(spec: S, inputs: readonly Shape[]): Geometry | null;
  /** Floating-point operations to compute the whole output (a multiply-add counts 2). */
  flops(spec: S, inputs: readonly Shape[], outShape: Shape): number;
  readonly reference: Kernel<S>;
  readonly fast: Kernel<S>;
}

/**
 * Largest |fast − reference| allowed, relative to the largest |reference|
 * output of the same op call. A float32 sum of K products has a worst-case
 * relative error of about K · 2⁻²⁴ of Σ|terms| (6e-8 per term); for random
 * data the error grows like √K · 2⁻²⁴ instead. For K ≤ 4608 taps (3×3 ×
 * 512 channels) √K · 2⁻²⁴ ≈ 4e-6, and Σ|terms| / max|ref| stays below a few
 * units on such data, so 2e-5 holds with margin while a wrong tap, a missed
 * bias or a swapped channel (errors of order 1) cannot pass.
 */
export const FAST_TOLERANCE = 2e-5;
