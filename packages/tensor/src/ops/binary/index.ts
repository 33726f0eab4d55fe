import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { binaryFast } from './fast.js';
import { binaryReference } from './reference.js';
import { binaryFlops, binaryInputRegion, binaryOutputShape, binaryWindow, type BinaryFn, type BinarySpec } from './spec.js';

export type { BinaryFn, BinarySpec } from './spec.js';
export { BINARY_FNS } from './spec.js';

export const binaryOp: OpDef<BinarySpec> = {
  op: 'binary',
  arity: 2,
  weightNames: [],
  requiredWeights: [],
  outputShape: binaryOutputShape,
  inputRegion: (_spec: BinarySpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
    index === 0 || index === 1 ? binaryInputRegion(out, inputs[index]!) : null,
  window: binaryWindow,
  flops: binaryFlops,
  reference: binaryReference,
  fast: binaryFast,
};

/** a ∘ b (add, sub, mul, div) with broadcasting along axes of size 1. */
export function binary(fn: BinaryFn, a: Tensor, b: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(binaryOp, { op: 'binary', fn }, [a, b], {}, out, region, 'fast');
}
export function binaryRef(fn: BinaryFn, a: Tensor, b: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(binaryOp, { op: 'binary', fn }, [a, b], {}, out, region, 'reference');
}
