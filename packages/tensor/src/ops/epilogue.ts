import { TesseraError, checkFinite } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkVector } from './invoke.js';
import { checkEnum } from '../options.js';
import type { WeightShapes, Weights } from './op.js';
import { activate } from './activation/reference.js';
import type { ActivationSpec } from './activation/spec.js';

/*
 * What conv2d and dense may do to each output after the sum, in this order:
 *   v = sum + bias[c]                     (weight `bias`)
 *   v = v · scale[c] + shift[c]           (weights `scale` and `shift`: a folded batch-norm)
 *   v = activation(v)                     (spec `activation`; `alpha`, `beta` of leakyRelu and hardSigmoid)
 *   v = v · postScale[c] + postShift[c]   (conv2d's weights `postScale` and `postShift`: a scaleShift after the
 *                                          activation, as PP-LCNetV3 has after each hardSwish)
 * Each step is one float32 operation per element, exactly what the scaleShift
 * and activation layers compute, so a fused layer equals the unfused chain
 * bit for bit (nn's fuseLayers relies on it).
 */
export type FusedActivation = 'relu' | 'relu6' | 'leakyRelu' | 'hardSigmoid' | 'hardSwish';
export const FUSED_ACTIVATIONS: readonly FusedActivation[] = ['relu', 'relu6', 'leakyRelu', 'hardSigmoid', 'hardSwish'];

/** Spec fields of the fused epilogue. */
export interface EpilogueSpec {
  readonly activation?: FusedActivation;
  /** Slope below zero of `activation: 'leakyRelu'`; the factor of `'hardSigmoid'`. */
  readonly alpha?: number;
  /** The offset of `activation: 'hardSigmoid'`. */
  readonly beta?: number;
}

/** The spec keys of EpilogueSpec: legitimate keys of every op that has the epilogue. */
export const EPILOGUE_KEYS = ['activation', 'alpha', 'beta'] as const;

/** Codes of kernels/engine.h. */
export const ACT_CODE: Readonly<Record<FusedActivation | 'none', number>> = { none: 0, relu: 1, relu6: 2, leakyRelu: 3, hardSigmoid: 4, hardSwish: 5 };

/** The element-wise activation a fused epilogue applies (the spec of the activation layer it absorbed), or undefined. */
export function epilogueActivation(spec: EpilogueSpec): ActivationSpec | undefined {
  switch (spec.activation) {
    case undefined: return undefined;
    case 'leakyRelu': return { op: 'leakyRelu', alpha: spec.alpha! };
    case 'hardSigmoid': return { op: 'hardSigmoid', alpha: spec.alpha!, beta: spec.beta! };
    default: return { op: spec.activation };
  }
}

/** Checks the epilogue fields of a spec and its scale/shift weights against `channels` outputs. */
export function checkEpilogue(what: string, spec: EpilogueSpec, weights: WeightShapes, channels: number): void {
  const a = checkEnum(`${what} activation`, spec.activation, FUSED_ACTIVATIONS);
  if (a === 'leakyRelu' || a === 'hardSigmoid') {
    if (spec.alpha === undefined) throw new TesseraError('BAD_ARGUMENT', `${what} activation '${a}' needs alpha`);
    checkFinite(`${what} alpha`, spec.alpha);
  } else if (spec.alpha !== undefined) {
    throw new TesseraError('BAD_ARGUMENT', `${what} alpha ${String(spec.alpha)} is only meaningful with activation 'leakyRelu' or 'hardSigmoid'`, { alpha: spec.alpha });
  }
  if (a === 'hardSigmoid') {
    if (spec.beta === undefined) throw new TesseraError('BAD_ARGUMENT', `${what} activation 'hardSigmoid' needs beta`);
    checkFinite(`${what} beta`, spec.beta);
  } else if (spec.beta !== undefined) {
    throw new TesseraError('BAD_ARGUMENT', `${what} beta ${String(spec.beta)} is only meaningful with activation 'hardSigmoid'`, { beta: spec.beta });
  }
  const { scale, shift } = weights;
  if (scale) checkVector(`${what} scale`, scale, channels, 'one per output channel');
  if (shift) checkVector(`${what} shift`, shift, channels, 'one per output channel');
  if ((scale === undefined) !== (shift === undefined)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} takes scale and shift together (a folded scaleShift), got only ${scale ? 'scale' : 'shift'}`);
  }
  const { postScale, postShift } = weights;
  if (postScale) checkVector(`${what} postScale`, postScale, channels, 'one per output channel');
  if (postShift) checkVector(`${what} postShift`, postShift, channels, 'one per output channel');
  if ((postScale === undefined) !== (postShift === undefined)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} takes postScale and postShift together (a scaleShift after the activation), got only ${postScale ? 'postScale' : 'postShift'}`);
  }
}

/** The epilogue in float64, for the reference kernels. */
export function referenceEpilogue(spec: EpilogueSpec, weights: Weights): (v: number, c: number) => number {
  const at = (t: Tensor | undefined, c: number) => t!.data[t!.offset + c * t!.strides[0]!]!;
  const { bias, scale, shift, postScale, postShift } = weights;
  const act = epilogueActivation(spec);
  return (v, c) => {
    if (bias) v += at(bias, c);
    if (scale) v = v * at(scale, c) + at(shift, c);
    if (act) v = activate(act, v);
    return postScale ? v * at(postScale, c) + at(postShift, c) : v;
  };
}

/** Per-channel float32 vectors of the epilogue, read for channels [c0, c1) (zeros past the end or when absent). */
export function epilogueVectors(weights: Weights, c0: number, count: number, limit: number, dst: EpilogueVectors): void {
  const fill = (t: Tensor | undefined, out: Float32Array | null) => {
    if (!out) return;
    // A contiguous vector covering every channel asked for: one copy.
    if (t && t.strides[0] === 1 && c0 + count <= limit) return void out.set(t.data.subarray(t.offset + c0, t.offset + c0 + count));
    for (let i = 0; i < count; i++) {
      const c = c0 + i;
      out[i] = t && c < limit ? t.data[t.offset + c * t.strides[0]!]! : 0;
    }
  };
  fill(weights.bias, dst.bias);
  fill(weights.scale, dst.scale);
  fill(weights.shift, dst.shift);
  fill(weights.postScale, dst.postScale ?? null);
  fill(weights.postShift, dst.postShift ?? null);
}

/** Where epilogueVectors writes (null: the layer has no such vector; the post pair only for layers that may have one). */
export interface EpilogueVectors {
  bias: Float32Array;
  scale: Float32Array | null;
  shift: Float32Array | null;
  postScale?: Float32Array | null;
  postShift?: Float32Array | null;
}

/** Int32 words of the Epilogue struct (kernels/engine.h). */
export const EPILOGUE_WORDS = 8;

/**
 * Writes the engine's Epilogue struct (kernels/engine.h) at byte address `at`:
 * the addresses of the bias, scale and shift vectors (scale 0: no
 * scale/shift), the activation code, alpha, beta, and the addresses of the
 * post-activation scale and shift (0: none).
 */
export function writeEpilogue(imem: Int32Array<ArrayBufferLike>, fmem: Float32Array<ArrayBufferLike>, at: number, bias: number, scale: number, shift: number, spec: EpilogueSpec, postScale = 0, postShift = 0): void {
  const i = at / 4;
  imem[i] = bias;
  imem[i + 1] = scale;
  imem[i + 2] = scale ? shift : 0;
  imem[i + 3] = ACT_CODE[spec.activation ?? 'none'];
  // hardSwish is hardSigmoid(1/6, 1/2) times v (ops/activation/fast.ts); the stores round both to float32.
  fmem[i + 4] = spec.activation === 'hardSwish' ? 1 / 6 : spec.alpha ?? 0;
  fmem[i + 5] = spec.activation === 'hardSwish' ? 0.5 : spec.beta ?? 0;
  imem[i + 6] = postScale;
  imem[i + 7] = postScale ? postShift : 0;
}
