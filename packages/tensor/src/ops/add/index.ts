import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { addFast } from './fast.js';
import { addReference } from './reference.js';
import { addFlops, addInputRegion, addOutputShape, addWindow, type AddSpec } from './spec.js';

export type { AddSpec } from './spec.js';

export const addOp: OpDef<AddSpec> = {
  op: 'add',
  arity: 'many',
  weightNames: [],
  requiredWeights: [],
  outputShape: addOutputShape,
  inputRegion: (spec: AddSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
    index >= 0 && index < inputs.length ? addInputRegion(spec, out) : null,
  window: addWindow,
  flops: addFlops,
  reference: addReference,
  fast: addFast,
};

/** Element-wise sum of two or more tensors of one shape, in input order. */
export function add(inputs: readonly Tensor[], out?: Tensor, region?: Region): Tensor {
  return invokeOp(addOp, { op: 'add' }, inputs, {}, out, region, 'fast');
}
export function addRef(inputs: readonly Tensor[], out?: Tensor, region?: Region): Tensor {
  return invokeOp(addOp, { op: 'add' }, inputs, {}, out, region, 'reference');
}
