import { TesseraError, checkFinite } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { checkVector } from './invoke.js';
import { checkEnum } from '../options.js';
import type { WeightShapes, Weights } from './op.js';

/*
 * What conv2d and dense may do to each output after the sum, in this order:
 *   v = sum + bias[c]                     (weight `bias`)
 *   v = v · scale[c] + shift[c]           (weights `scale` and `shift`: a folded batch-norm)
 *   v = activation(v)                     (spec `activation`, leakyRelu's `alpha`)
 * Each step is one float32 operation per element, exactly what the scaleShift
 * and activation layers compute, so a fused layer equals the unfused chain
 * bit for bit (nn's fuseLayers relies on it).
 */
export type FusedActivation = 'relu' | 'relu6' | 'leakyRelu';
export const FUSED_ACTIVATIONS: readonly FusedActivation[] = ['relu', 'relu6', 'leakyRelu'];

/** Spec fields of the fused epilogue. */
export interface EpilogueSpec {
  readonly activation?: FusedActivation;
  /** Slope below zero of `activation: 'leakyRelu'`. */
  readonly alpha?: number;
}

/** The spec keys of EpilogueSpec: legitimate keys of every op that has the epilogue. */
export const EPILOGUE_KEYS = ['activation', 'alpha'] as const;

/** Codes of kernels/engine.h. */
export const ACT_CODE: Readonly<Record<FusedActivation | 'none', number>> = { none: 0, relu: 1, relu6: 2, leakyRelu: 3 };

/** Checks the epilogue fields of a spec and its scale/shift weights against `channels` outputs. */
export function checkEpilogue(what: string, spec: EpilogueSpec, weights: WeightShapes, channels: number): void {
  const a = checkEnum(`${what} activation`, spec.activation, FUSED_ACTIVATIONS);
  if (a === 'leakyRelu') {
    if (spec.alpha === undefined) throw new TesseraError('BAD_ARGUMENT', `${what} activation 'leakyRelu' needs alpha`);
    checkFinite(`${what} alpha`, spec.alpha);
  } else if (spec.alpha !== undefined) {
    throw new TesseraError('BAD_ARGUMENT', `${what} alpha ${String(spec.alpha)} is only meaningful with activation 'leakyRelu'`, { alpha: spec.alpha });
  }
  const { scale, shift } = weights;
  if (scale) checkVector(`${what} scale`, scale, channels, 'one per output channel');
  if (shift) checkVector(`${what} shift`, shift, channels, 'one per output channel');
  if ((scale === undefined) !== (shift === undefined)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} takes scale and shift together (a folded scaleShift), got only ${scale ? 'scale' : 'shift'}`);
  }
}

/** The epilogue in float64, for the reference kernels. */
export function referenceEpilogue(spec: EpilogueSpec, weights: Weights): (v: number, c: number) => number {
  const at = (t: Tensor | undefined, c: number) => t!.data[t!.offset + c * t!.strides[0]!]!;
  const { bias, scale, shift } = weights;
  const alpha = spec.alpha ?? 0;
  const act = spec.activation;
  return (v, c) => {
    if (bias) v += at(bias, c);
    if (scale) v = v * at(scale, c) + at(shift, c);
    if (act === 'relu') return v > 0 || v !== v ? v : 0;
    if (act === 'relu6') return v !== v ? v : Math.min(Math.max(v, 0), 6);
    if (act === 'leakyRelu') return v < 0 ? v * alpha : v;
    return v;
  };
}

/** Per-channel float32 vectors of the epilogue, read for channels [c0, c1) (zeros past the end or when absent). */
export function epilogueVectors(weights: Weights, c0: number, count: number, limit: number, dst: { bias: Float32Array; scale: Float32Array | null; shift: Float32Array | null }): void {
  const fill = (t: Tensor | undefined, out: Float32Array | null) => {
    if (!out) return;
    for (let i = 0; i < count; i++) {
      const c = c0 + i;
      out[i] = t && c < limit ? t.data[t.offset + c * t.strides[0]!]! : 0;
    }
  };
  fill(weights.bias, dst.bias);
  fill(weights.scale, dst.scale);
  fill(weights.shift, dst.shift);
}

/**
 * Writes the engine's Epilogue struct (kernels/engine.h) at byte address `at`:
 * the addresses of the bias, scale and shift vectors (scale 0: no
 * scale/shift), the activation code and alpha.
 */
export function writeEpilogue(imem: Int32Array<ArrayBufferLike>, fmem: Float32Array<ArrayBufferLike>, at: number, bias: number, scale: number, shift: number, spec: EpilogueSpec): void {
  const i = at / 4;
  imem[i] = bias;
  imem[i + 1] = scale;
  imem[i + 2] = scale ? shift : 0;
  imem[i + 3] = ACT_CODE[spec.activation ?? 'none'];
  fmem[i + 4] = spec.alpha ?? 0;
}
