import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef, Weights } from '../op.js';
import { conv2dTransposeFast } from './fast.js';
import { conv2dTransposeReference } from './reference.js';
import {
  CONV2D_TRANSPOSE_WEIGHTS, conv2dTransposeFlops, conv2dTransposeInputRegion, conv2dTransposeOutputShape, type Conv2dTransposeSpec,
} from './spec.js';

export type { Conv2dTransposeSpec, TransposeGeometry } from './spec.js';
export { conv2dTransposeGeometry, conv2dTransposeInputRegion, conv2dTransposeFlops, transposeTapSpan } from './spec.js';

export const conv2dTransposeOp: OpDef<Conv2dTransposeSpec> = {
  op: 'conv2dTranspose',
  arity: 1,
  weightNames: CONV2D_TRANSPOSE_WEIGHTS,
  requiredWeights: ['weight'],
  outputShape: conv2dTransposeOutputShape,
  inputRegion: (spec: Conv2dTransposeSpec, out: Region, inputs: readonly Shape[], outShape: Shape, index: number) =>
    index === 0 ? conv2dTransposeInputRegion(spec, out, inputs, outShape) : null,
  // An upsampling op has no forward window; receptive-field maths use conv2dTransposeGeometry.
  window: () => null,
  flops: conv2dTransposeFlops,
  reference: conv2dTransposeReference,
  fast: conv2dTransposeFast,
};

export type Conv2dTransposeArgs = Omit<Conv2dTransposeSpec, 'op'> & { readonly op?: 'conv2dTranspose' };

function weightsOf(weight: Tensor, bias: Tensor | null | undefined): Weights {
  return bias ? { weight, bias } : { weight };
}

/** Transposed convolution (weight [Cin, Cout/groups, kh, kw]) with the fast kernel on `region` of `out` (default: all, allocated). */
export function conv2dTranspose(input: Tensor, weight: Tensor, bias: Tensor | null, spec: Conv2dTransposeArgs, out?: Tensor, region?: Region): Tensor {
  return invokeOp(conv2dTransposeOp, { ...spec, op: 'conv2dTranspose' }, [input], weightsOf(weight, bias), out, region, 'fast');
}

/** conv2dTranspose through the float64 reference kernel. */
export function conv2dTransposeRef(input: Tensor, weight: Tensor, bias: Tensor | null, spec: Conv2dTransposeArgs, out?: Tensor, region?: Region): Tensor {
  return invokeOp(conv2dTransposeOp, { ...spec, op: 'conv2dTranspose' }, [input], weightsOf(weight, bias), out, region, 'reference');
}
