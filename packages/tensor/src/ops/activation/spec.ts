import type { Region } from '../../region.js';
import { dims4, type Shape } from '../../shape.js';
import { TesseraError, checkFinite, fmtShape } from '../../errors.js';
import { checkInputCount, checkSpecOp, checkWeightNames, identityWindow } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/** Element-wise activations on rank-4 (NCHW) or rank-2 (NC) tensors. NaN stays NaN in all of them. */
export interface ReluSpec { readonly op: 'relu' }
/** x for x ≥ 0, alpha·x below (face detector: alpha 0.1). */
export interface LeakyReluSpec { readonly op: 'leakyRelu'; readonly alpha: number }
export interface Relu6Spec { readonly op: 'relu6' }
export interface SigmoidSpec { readonly op: 'sigmoid' }
export interface TanhSpec { readonly op: 'tanh' }
/** x for x ≥ 0, slope·x below, with a learned `slope` weight: [C] (one per channel) or [1] (ONNX PRelu). */
export interface PreluSpec { readonly op: 'prelu' }
/** max(0, min(1, alpha·x + beta)) (ONNX HardSigmoid; its defaults are alpha 0.2, beta 0.5). */
export interface HardSigmoidSpec { readonly op: 'hardSigmoid'; readonly alpha: number; readonly beta: number }
/** x · max(0, min(1, x/6 + 1/2)) (ONNX HardSwish, MobileNetV3). */
export interface HardSwishSpec { readonly op: 'hardSwish' }
export type ActivationSpec = ReluSpec | LeakyReluSpec | Relu6Spec | SigmoidSpec | TanhSpec | PreluSpec | HardSigmoidSpec | HardSwishSpec;
export type ActivationOp = ActivationSpec['op'];

export const ACTIVATION_OPS: readonly ActivationOp[] = ['relu', 'leakyRelu', 'relu6', 'sigmoid', 'tanh', 'prelu', 'hardSigmoid', 'hardSwish'];
/** The keys of each activation's spec: an `alpha` on relu is an error, not a leaky relu. */
const KEYS: Readonly<Record<string, readonly string[]>> = { leakyRelu: ['op', 'alpha'], hardSigmoid: ['op', 'alpha', 'beta'] };
const PLAIN_KEYS: readonly string[] = ['op'];
/** Weights of each activation (only prelu has one). */
export function activationWeightNames(op: ActivationOp): readonly string[] {
  return op === 'prelu' ? ['slope'] : [];
}

export function activationOutputShape(spec: ActivationSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  const op = (spec as { op?: unknown } | null)?.op;
  checkSpecOp(spec, ACTIVATION_OPS, 'activation', (typeof op === 'string' ? KEYS[op] : undefined) ?? PLAIN_KEYS);
  checkInputCount(spec.op, inputs, 1);
  checkWeightNames(spec.op, weights, activationWeightNames(spec.op));
  const shape = inputs[0]!;
  dims4(shape, `${spec.op} input`);
  if (spec.op === 'leakyRelu') checkFinite('leakyRelu alpha', spec.alpha);
  if (spec.op === 'hardSigmoid') {
    checkFinite('hardSigmoid alpha', spec.alpha);
    checkFinite('hardSigmoid beta', spec.beta);
  }
  if (spec.op === 'prelu') {
    const s = weights.slope;
    if (!s) throw new TesseraError('BAD_ARGUMENT', 'prelu needs a slope weight [C] or [1]');
    const c = shape[1]!;
    if (s.length !== 1 || (s[0] !== c && s[0] !== 1)) {
      throw new TesseraError('SHAPE_MISMATCH', `prelu slope ${fmtShape(s)} must be [${c}] (one per channel) or [1] (one for all)`, { slope: s, channels: c });
    }
  }
  return shape;
}

/** Each output element reads the input element at the same place. */
export function activationInputRegion(_spec: ActivationSpec, out: Region): Region {
  return { ...out };
}

export function activationWindow(_spec: ActivationSpec, inputs: readonly Shape[]): Geometry {
  const [, , h, w] = dims4(inputs[0]!, 'activation input');
  return identityWindow(h, w);
}

/** Per element: relu 1 (compare), leakyRelu, prelu and relu6 2, sigmoid 4 (exp, add, divide, compare), tanh 4 (rough cost of the exp-based formula), hardSigmoid 4 (multiply, add, two clamps), hardSwish 5. */
const FLOPS_PER_ELEMENT: Readonly<Record<ActivationOp, number>> = { relu: 1, leakyRelu: 2, relu6: 2, sigmoid: 4, tanh: 4, prelu: 2, hardSigmoid: 4, hardSwish: 5 };

export function activationFlops(spec: ActivationSpec, _inputs: readonly Shape[], outShape: Shape): number {
  let n = 1;
  for (const d of outShape) n *= d;
  return n * FLOPS_PER_ELEMENT[spec.op];
}
