import type { Region } from '../../region.js';
import { dims4, type Shape } from '../../shape.js';
import { checkFinite } from '../../errors.js';
import { checkInputCount, checkSpecOp, checkWeightNames, identityWindow } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/** Element-wise activations on rank-4 (NCHW) or rank-2 (NC) tensors. NaN stays NaN in all of them. */
export interface ReluSpec { readonly op: 'relu' }
/** x for x ≥ 0, alpha·x below (face detector: alpha 0.1). */
export interface LeakyReluSpec { readonly op: 'leakyRelu'; readonly alpha: number }
export interface Relu6Spec { readonly op: 'relu6' }
export interface SigmoidSpec { readonly op: 'sigmoid' }
export interface TanhSpec { readonly op: 'tanh' }
export type ActivationSpec = ReluSpec | LeakyReluSpec | Relu6Spec | SigmoidSpec | TanhSpec;
export type ActivationOp = ActivationSpec['op'];

export const ACTIVATION_OPS: readonly ActivationOp[] = ['relu', 'leakyRelu', 'relu6', 'sigmoid', 'tanh'];
/** Only leakyRelu has a parameter: an `alpha` on relu is an error, not a leaky relu. */
const PLAIN_KEYS: readonly string[] = ['op'];
const LEAKY_KEYS: readonly string[] = ['op', 'alpha'];

export function activationOutputShape(spec: ActivationSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ACTIVATION_OPS, 'activation', (spec as { op?: unknown } | null)?.op === 'leakyRelu' ? LEAKY_KEYS : PLAIN_KEYS);
  checkInputCount(spec.op, inputs, 1);
  checkWeightNames(spec.op, weights, []);
  dims4(inputs[0]!, `${spec.op} input`);
  if (spec.op === 'leakyRelu') checkFinite('leakyRelu alpha', spec.alpha);
  return inputs[0]!;
}

/** Each output element reads the input element at the same place. */
export function activationInputRegion(_spec: ActivationSpec, out: Region): Region {
  return { ...out };
}

export function activationWindow(_spec: ActivationSpec, inputs: readonly Shape[]): Geometry {
  const [, , h, w] = dims4(inputs[0]!, 'activation input');
  return identityWindow(h, w);
}

/** Per element: relu 1 (compare), leakyRelu and relu6 2, sigmoid 4 (exp, add, divide, compare), tanh 4 (rough cost of the exp-based formula). */
const FLOPS_PER_ELEMENT: Readonly<Record<ActivationOp, number>> = { relu: 1, leakyRelu: 2, relu6: 2, sigmoid: 4, tanh: 4 };

export function activationFlops(spec: ActivationSpec, _inputs: readonly Shape[], outShape: Shape): number {
  let n = 1;
  for (const d of outShape) n *= d;
  return n * FLOPS_PER_ELEMENT[spec.op];
}
