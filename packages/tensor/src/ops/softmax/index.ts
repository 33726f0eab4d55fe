import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { softmaxFast } from './fast.js';
import { softmaxReference } from './reference.js';
import { softmaxFlops, softmaxInputRegion, softmaxOutputShape, softmaxWindow, type SoftmaxSpec } from './spec.js';

export type { SoftmaxSpec } from './spec.js';

export const softmaxOp: OpDef<SoftmaxSpec> = {
  op: 'softmax',
  arity: 1,
  weightNames: [],
  requiredWeights: [],
  outputShape: softmaxOutputShape,
  inputRegion: (spec: SoftmaxSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
    index === 0 ? softmaxInputRegion(spec, out, inputs) : null,
  window: softmaxWindow,
  flops: softmaxFlops,
  reference: softmaxReference,
  fast: softmaxFast,
};

/** Numerically stable softmax over channels (axis 1) of a rank-2 or rank-4 tensor. */
export function softmax(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(softmaxOp, { op: 'softmax' }, [input], {}, out, region, 'fast');
}
export function softmaxRef(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(softmaxOp, { op: 'softmax' }, [input], {}, out, region, 'reference');
}
