import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { padFast } from './fast.js';
import { padReference } from './reference.js';
import { padFlops, padInputRegion, padOutputShape, padWindow, type PadSpec } from './spec.js';

export type { PadSpec, PadMode } from './spec.js';
export { PAD_MODES, padSource } from './spec.js';

export const padOp: OpDef<PadSpec> = {
  op: 'pad',
  arity: 1,
  weightNames: [],
  requiredWeights: [],
  outputShape: padOutputShape,
  inputRegion: (spec: PadSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
    index === 0 ? padInputRegion(spec, out, inputs) : null,
  window: padWindow,
  flops: padFlops,
  reference: padReference,
  fast: padFast,
};

/** Constant padding of rows, columns and optionally channels (value defaults to 0), or reflect/edge padding of rows and columns. */
export function pad(input: Tensor, padding: Omit<PadSpec, 'op'>, out?: Tensor, region?: Region): Tensor {
  return invokeOp(padOp, { ...padding, op: 'pad' }, [input], {}, out, region, 'fast');
}
export function padRef(input: Tensor, padding: Omit<PadSpec, 'op'>, out?: Tensor, region?: Region): Tensor {
  return invokeOp(padOp, { ...padding, op: 'pad' }, [input], {}, out, region, 'reference');
}
