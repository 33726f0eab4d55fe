import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { denseFast } from './fast.js';
import { denseReference } from './reference.js';
import { DENSE_WEIGHTS, denseFlops, denseInputRegion, denseOutputShape, type DenseSpec } from './spec.js';

export type { DenseSpec } from './spec.js';
export { DENSE_WEIGHTS } from './spec.js';
export { denseFast } from './fast.js';
export { denseReference } from './reference.js';

export const denseOp: OpDef<DenseSpec> = {
  op: 'dense',
  arity: 1,
  weightNames: DENSE_WEIGHTS,
  requiredWeights: ['weight'],
  outputShape: denseOutputShape,
  inputRegion: (spec: DenseSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
    index === 0 ? denseInputRegion(spec, out, inputs) : null,
  window: () => null,
  flops: denseFlops,
  reference: denseReference,
  fast: denseFast,
};

/** x·weight (+ bias): input [N, K] or [N, C, H, W] (K = C·H·W), weight [K, F], bias [F] → [N, F]. */
export function dense(input: Tensor, weight: Tensor, bias?: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(denseOp, { op: 'dense' }, [input], { weight, bias }, out, region, 'fast');
}
export function denseRef(input: Tensor, weight: Tensor, bias?: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(denseOp, { op: 'dense' }, [input], { weight, bias }, out, region, 'reference');
}
