import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { concatFast } from './fast.js';
import { concatReference } from './reference.js';
import { concatFlops, concatInputRegion, concatOutputShape, concatWindow, type ConcatSpec } from './spec.js';

export type { ConcatSpec } from './spec.js';
export { concatOffsets } from './spec.js';

export const concatOp: OpDef<ConcatSpec> = {
  op: 'concat',
  arity: 'many',
  weightNames: [],
  requiredWeights: [],
  outputShape: concatOutputShape,
  inputRegion: (spec: ConcatSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
    concatInputRegion(spec, out, inputs, index),
  window: concatWindow,
  flops: concatFlops,
  reference: concatReference,
  fast: concatFast,
};

/** Concatenates NCHW tensors along channels (inputs in order). */
export function concat(inputs: readonly Tensor[], out?: Tensor, region?: Region): Tensor {
  return invokeOp(concatOp, { op: 'concat' }, inputs, {}, out, region, 'fast');
}
export function concatRef(inputs: readonly Tensor[], out?: Tensor, region?: Region): Tensor {
  return invokeOp(concatOp, { op: 'concat' }, inputs, {}, out, region, 'reference');
}
