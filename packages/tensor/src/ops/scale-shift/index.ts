import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { scaleShiftFast } from './fast.js';
import { scaleShiftReference } from './reference.js';
import { scaleShiftFlops, scaleShiftInputRegion, scaleShiftOutputShape, scaleShiftWindow, type ScaleShiftSpec } from './spec.js';

export type { ScaleShiftSpec } from './spec.js';

export const scaleShiftOp: OpDef<ScaleShiftSpec> = {
  op: 'scaleShift',
  arity: 1,
  weightNames: ['scale', 'shift'],
  requiredWeights: ['scale'],
  outputShape: scaleShiftOutputShape,
  inputRegion: (spec: ScaleShiftSpec, out: Region, _inputs: readonly Shape[], _outShape: Shape, index: number) =>
    index === 0 ? scaleShiftInputRegion(spec, out) : null,
  window: scaleShiftWindow,
  flops: scaleShiftFlops,
  reference: scaleShiftReference,
  fast: scaleShiftFast,
};

/** out = x·scale[c] + shift[c] per channel c (shift optional): a folded batch-norm. */
export function scaleShift(input: Tensor, scale: Tensor, shift?: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(scaleShiftOp, { op: 'scaleShift' }, [input], { scale, shift }, out, region, 'fast');
}
export function scaleShiftRef(input: Tensor, scale: Tensor, shift?: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(scaleShiftOp, { op: 'scaleShift' }, [input], { scale, shift }, out, region, 'reference');
}
