import { TesseraError } from '../../errors.js';
import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef, WeightShapes } from '../op.js';
import { activationFast } from './fast.js';
import { activationReference } from './reference.js';
import {
  activationFlops, activationInputRegion, activationOutputShape, activationWeightNames, activationWindow,
  type ActivationSpec, type HardSigmoidSpec, type HardSwishSpec, type LeakyReluSpec, type PreluSpec, type Relu6Spec, type ReluSpec,
  type SigmoidSpec, type TanhSpec,
} from './spec.js';

export type {
  ActivationOp, ActivationSpec, HardSigmoidSpec, HardSwishSpec, LeakyReluSpec, PreluSpec, Relu6Spec, ReluSpec, SigmoidSpec, TanhSpec,
} from './spec.js';
export { activate } from './reference.js';

function activationDef<S extends ActivationSpec>(op: S['op']): OpDef<S> {
  return {
    op,
    arity: 1,
    weightNames: activationWeightNames(op),
    requiredWeights: activationWeightNames(op),
    outputShape: (spec: S, inputs: readonly Shape[], weights: WeightShapes) => {
      // Each OpDef runs only its own activation.
      if (spec && typeof spec === 'object' && spec.op !== op) {
        throw new TesseraError('BAD_ARGUMENT', `${op} got a spec for ${JSON.stringify(spec.op)}`, { op: spec.op });
      }
      return activationOutputShape(spec, inputs, weights);
    },
    inputRegion: (spec: S, out: Region, _inputs: readonly Shape[], _outShape: Shape, index: number) =>
      index === 0 ? activationInputRegion(spec, out) : null,
    window: activationWindow,
    flops: activationFlops,
    reference: activationReference,
    fast: activationFast,
  };
}

export const reluOp = activationDef<ReluSpec>('relu');
export const leakyReluOp = activationDef<LeakyReluSpec>('leakyRelu');
export const relu6Op = activationDef<Relu6Spec>('relu6');
export const sigmoidOp = activationDef<SigmoidSpec>('sigmoid');
export const tanhOp = activationDef<TanhSpec>('tanh');
export const preluOp = activationDef<PreluSpec>('prelu');
export const hardSigmoidOp = activationDef<HardSigmoidSpec>('hardSigmoid');
export const hardSwishOp = activationDef<HardSwishSpec>('hardSwish');

/** max(x, 0) element-wise. */
export function relu(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(reluOp, { op: 'relu' }, [input], {}, out, region, 'fast');
}
export function reluRef(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(reluOp, { op: 'relu' }, [input], {}, out, region, 'reference');
}

/** x for x ≥ 0, alpha·x below. */
export function leakyRelu(input: Tensor, alpha: number, out?: Tensor, region?: Region): Tensor {
  return invokeOp(leakyReluOp, { op: 'leakyRelu', alpha }, [input], {}, out, region, 'fast');
}
export function leakyReluRef(input: Tensor, alpha: number, out?: Tensor, region?: Region): Tensor {
  return invokeOp(leakyReluOp, { op: 'leakyRelu', alpha }, [input], {}, out, region, 'reference');
}

/** min(max(x, 0), 6) element-wise. */
export function relu6(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(relu6Op, { op: 'relu6' }, [input], {}, out, region, 'fast');
}
export function relu6Ref(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(relu6Op, { op: 'relu6' }, [input], {}, out, region, 'reference');
}

/** 1 / (1 + e^−x), computed so that no |x| overflows to NaN. */
export function sigmoid(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(sigmoidOp, { op: 'sigmoid' }, [input], {}, out, region, 'fast');
}
export function sigmoidRef(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(sigmoidOp, { op: 'sigmoid' }, [input], {}, out, region, 'reference');
}

/** Hyperbolic tangent element-wise. */
export function tanh(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(tanhOp, { op: 'tanh' }, [input], {}, out, region, 'fast');
}
export function tanhRef(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(tanhOp, { op: 'tanh' }, [input], {}, out, region, 'reference');
}

/** x for x ≥ 0, slope·x below; `slope` [C] (per channel) or [1]. */
export function prelu(input: Tensor, slope: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(preluOp, { op: 'prelu' }, [input], { slope }, out, region, 'fast');
}
export function preluRef(input: Tensor, slope: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(preluOp, { op: 'prelu' }, [input], { slope }, out, region, 'reference');
}

/** max(0, min(1, alpha·x + beta)). */
export function hardSigmoid(input: Tensor, alpha: number, beta: number, out?: Tensor, region?: Region): Tensor {
  return invokeOp(hardSigmoidOp, { op: 'hardSigmoid', alpha, beta }, [input], {}, out, region, 'fast');
}
export function hardSigmoidRef(input: Tensor, alpha: number, beta: number, out?: Tensor, region?: Region): Tensor {
  return invokeOp(hardSigmoidOp, { op: 'hardSigmoid', alpha, beta }, [input], {}, out, region, 'reference');
}

/** x · max(0, min(1, x/6 + 1/2)). */
export function hardSwish(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(hardSwishOp, { op: 'hardSwish' }, [input], {}, out, region, 'fast');
}
export function hardSwishRef(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(hardSwishOp, { op: 'hardSwish' }, [input], {}, out, region, 'reference');
}
