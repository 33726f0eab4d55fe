import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { regionRuns, type Runs } from '../runs.js';
import { engineActivation, engineSigmoidTanh } from '../../engine/elementwise.js';
import { activationOutputShape, type ActivationSpec } from './spec.js';

/*
 * Fast activations: the region is coalesced into runs (a contiguous region
 * is one run), and each op has its own loop with the formula inlined, with a
 * unit-stride variant for contiguous runs.
 *
 * relu, relu6 and leakyRelu compute exactly what the kernel engine's fused
 * epilogue computes (kernels/engine.h `activate`), so a conv2d or dense with
 * a fused activation equals the unfused layers bit for bit (ops/epilogue.ts):
 *   relu  max(v, +0)             NaN stays NaN, −0 → +0
 *   relu6 min(max(v, +0), 6)     NaN stays NaN, −0 → +0
 *   leaky v · fround(alpha), one float32 rounding, where v's sign bit is set
 * relu and relu6 equal the reference (`activate`) for every input; leakyRelu
 * differs from its float64 reference (v · alpha unrounded) by at most one
 * float32 rounding of alpha, well inside FAST_TOLERANCE. sigmoid and
 * tanh always run on the engine (kernels/sigmoid.h, float32 steps with its
 * own exp; a feature map elsewhere is staged through engine memory), within a
 * few float32 roundings of the float64 reference. prelu, hardSigmoid and
 * hardSwish work in float32 steps (each multiply and add rounded), within
 * a few float32 roundings of their float64 references.
 *
 * The activations of the epilogue (relu, relu6, leakyRelu, hardSigmoid,
 * hardSwish) on tensors in engine memory run on the engine's SIMD kernel
 * (kernels/elementwise.c, engine.h `activate`): the same bits.
 */

export function activationFast(inputs: readonly Tensor[], weights: Weights, spec: ActivationSpec, out: Tensor, r: Region): void {
  checkKernelCall(activationOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'activation');
  const x = inputs[0]!;
  if (spec.op === 'prelu') return prelu(x, out, r, weights.slope!);
  if (spec.op === 'sigmoid' || spec.op === 'tanh') return engineSigmoidTanh(spec.op, x, out, r);
  if (engineActivation(spec.op === 'leakyRelu' ? { activation: spec.op, alpha: spec.alpha }
    : spec.op === 'hardSigmoid' ? { activation: spec.op, alpha: spec.alpha, beta: spec.beta } : { activation: spec.op }, x, out, r)) return;
  const runs = regionRuns([x, out], r);
  switch (spec.op) {
    case 'hardSigmoid': return hardSigmoid(x.data, out.data, runs, spec.alpha, spec.beta);
    case 'hardSwish': return hardSigmoid(x.data, out.data, runs, 1 / 6, 0.5, true);
    case 'relu': return relu(x.data, out.data, runs);
    case 'leakyRelu': return leakyRelu(x.data, out.data, runs, spec.alpha);
    case 'relu6': return relu6(x.data, out.data, runs);
  }
}

/** The float32 bits of a tensor's data, for the branch-free relu and leakyRelu. */
function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/*
 * relu and leakyRelu branch on the sign, which on real feature maps is close
 * to a coin flip: a mispredicted branch per element made them ~4× slower
 * than a copy. They work on the float32 bits instead.
 */

/**
 * relu on the bits: an element whose sign bit is set and which is not a NaN
 * becomes +0; everything else is kept. That is the reference's
 * `v > 0 || v !== v ? v : 0` (−0 and −Infinity → +0, NaN stays NaN).
 */
function relu(src: Float32Array, dst: Float32Array, runs: Runs): void {
  const sb = bits(src), db = bits(dst);
  const ia = runs.starts[0]!, oa = runs.starts[1]!, is = runs.steps[0]!, os = runs.steps[1]!, len = runs.len;
  for (let k = 0; k < runs.count; k++) {
    let i = ia[k]!, o = oa[k]!;
    if (is === 1 && os === 1) {
      for (const e = i + len; i < e; i++, o++) {
        const b = sb[i]!;
        // zero = 1 for a negative non-NaN (|bits| ≤ 0x7f800000, the bits of Infinity)
        const zero = (b >>> 31) & (((b & 0x7fffffff) - 0x7f800001) >>> 31);
        db[o] = b & (zero - 1);
      }
    } else {
      for (let j = 0; j < len; j++, i += is, o += os) {
        const b = sb[i]!;
        const zero = (b >>> 31) & (((b & 0x7fffffff) - 0x7f800001) >>> 31);
        db[o] = b & (zero - 1);
      }
    }
  }
}

/**
 * leakyRelu as v · [1, fround(alpha)][sign bit]: a table load instead of a
 * branch. Negatives and −0 (sign bit set) are multiplied by alpha, NaN stays
 * NaN. The product of two float32 values is exact in a double, so the store's
 * rounding makes it the float32 multiply of the engine (v · alpha rounded to
 * float32 first), not the double rounding of v · alpha in float64.
 */
function leakyRelu(src: Float32Array, dst: Float32Array, runs: Runs, alpha: number): void {
  const sb = bits(src);
  const mul = new Float64Array([1, Math.fround(alpha)]);
  const ia = runs.starts[0]!, oa = runs.starts[1]!, is = runs.steps[0]!, os = runs.steps[1]!, len = runs.len;
  for (let k = 0; k < runs.count; k++) {
    let i = ia[k]!, o = oa[k]!;
    if (is === 1 && os === 1) {
      for (const e = i + len; i < e; i++, o++) dst[o] = src[i]! * mul[sb[i]! >>> 31]!;
    } else {
      for (let j = 0; j < len; j++, i += is, o += os) dst[o] = src[i]! * mul[sb[i]! >>> 31]!;
    }
  }
}

/** relu6 as min(max(v, +0), 6): −0 and negatives → +0, NaN stays NaN (the `v > 0` test is false for all three). */
function relu6(src: Float32Array, dst: Float32Array, runs: Runs): void {
  const ia = runs.starts[0]!, oa = runs.starts[1]!, is = runs.steps[0]!, os = runs.steps[1]!, len = runs.len;
  for (let k = 0; k < runs.count; k++) {
    let i = ia[k]!, o = oa[k]!;
    if (is === 1 && os === 1) {
      for (const e = i + len; i < e; i++, o++) { const v = src[i]!; dst[o] = v > 0 ? (v > 6 ? 6 : v) : v !== v ? v : 0; }
    } else {
      for (let j = 0; j < len; j++, i += is, o += os) { const v = src[i]!; dst[o] = v > 0 ? (v > 6 ? 6 : v) : v !== v ? v : 0; }
    }
  }
}

/** prelu per channel: runs never cross a channel, so each run has one slope (float32 multiply). */
function prelu(x: Tensor, out: Tensor, r: Region, slope: Tensor): void {
  const runs = regionRuns([x, out], r, undefined, true);
  const src = x.data, dst = out.data;
  const ia = runs.starts[0]!, oa = runs.starts[1]!, is = runs.steps[0]!, os = runs.steps[1]!, len = runs.len;
  const one = slope.shape[0] === 1;
  for (let k = 0; k < runs.count; k++) {
    const c = runs.channels![k]!;
    const s = slope.data[slope.offset + (one ? 0 : c) * slope.strides[0]!]!;
    let i = ia[k]!, o = oa[k]!;
    for (let j = 0; j < len; j++, i += is, o += os) { const v = src[i]!; dst[o] = v < 0 ? v * s : v; }
  }
}

/**
 * hardSigmoid as max(0, min(1, fround(fround(alpha·v) + beta))), alpha and beta
 * rounded to float32; with `swish`, times v (hardSwish: alpha 1/6, beta 1/2).
 */
function hardSigmoid(src: Float32Array, dst: Float32Array, runs: Runs, alpha: number, beta: number, swish = false): void {
  const a = Math.fround(alpha), b = Math.fround(beta), f = Math.fround;
  const ia = runs.starts[0]!, oa = runs.starts[1]!, is = runs.steps[0]!, os = runs.steps[1]!, len = runs.len;
  for (let k = 0; k < runs.count; k++) {
    let i = ia[k]!, o = oa[k]!;
    for (let j = 0; j < len; j++, i += is, o += os) {
      const v = src[i]!;
      const t = f(f(a * v) + b);
      const h = t > 1 ? 1 : t < 0 ? 0 : t;
      dst[o] = swish ? v * h : h;
    }
  }
}
