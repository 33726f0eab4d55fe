import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef, Weights } from '../op.js';
import { conv2dFast } from './fast.js';
import { conv2dReference } from './reference.js';
import { CONV2D_WEIGHTS, conv2dCheckedOutputShape, conv2dFlops, conv2dGeometry, conv2dInputRegion, type Conv2dSpec } from './spec.js';

export type { Conv2dSpec } from './spec.js';
export { conv2dGeometry, conv2dOutputShape, conv2dInputRegion, conv2dFlops } from './spec.js';
export { conv2dFast } from './fast.js';
export { conv2dReference } from './reference.js';

export const conv2dOp: OpDef<Conv2dSpec> = {
  op: 'conv2d',
  arity: 1,
  weightNames: CONV2D_WEIGHTS,
  requiredWeights: ['weight'],
  outputShape: conv2dCheckedOutputShape,
  inputRegion: (spec: Conv2dSpec, out: Region, inputs: readonly Shape[], outShape: Shape, index: number) =>
    index === 0 ? conv2dInputRegion(spec, out, inputs, outShape) : null,
  window: (spec: Conv2dSpec, inputs: readonly Shape[]) => conv2dGeometry(spec, inputs[0]!),
  flops: conv2dFlops,
  reference: conv2dReference,
  fast: conv2dFast,
};

/** What the convenience functions accept: a conv2d spec, `op` optional. */
export type Conv2dArgs = Omit<Conv2dSpec, 'op'> & { readonly op?: 'conv2d' };

function weightsOf(weight: Tensor, bias: Tensor | null | undefined): Weights {
  return bias ? { weight, bias } : { weight };
}

/**
 * 2-D cross-correlation (what CNNs call convolution), or true convolution
 * with `flip: true`. Checks the shapes, allocates `out` when not given and
 * fills `region` of it (the whole output by default) with the fast kernel.
 * Throws TesseraError SHAPE_MISMATCH when `out` has the wrong shape.
 */
export function conv2d(input: Tensor, weight: Tensor, bias: Tensor | null, spec: Conv2dArgs, out?: Tensor, region?: Region): Tensor {
  return invokeOp(conv2dOp, { ...spec, op: 'conv2d' }, [input], weightsOf(weight, bias), out, region, 'fast');
}

/** conv2d through the reference kernel: the oracle for tests and the baseline for benchmarks. */
export function conv2dRef(input: Tensor, weight: Tensor, bias: Tensor | null, spec: Conv2dArgs, out?: Tensor, region?: Region): Tensor {
  return invokeOp(conv2dOp, { ...spec, op: 'conv2d' }, [input], weightsOf(weight, bias), out, region, 'reference');
}
