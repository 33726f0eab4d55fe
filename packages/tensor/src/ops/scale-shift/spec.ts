import type { Region } from '../../region.js';
import { dims4, type Shape } from '../../shape.js';
import { TesseraError } from '../../errors.js';
import { ONLY_OP, checkInputCount, checkSpecOp, checkVector, checkWeightNames, identityWindow } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/**
 * Per-channel affine map out = x·scale[c] + shift[c] (a batch-norm folded
 * into two vectors; face-api's `mul` + `add`). Weights: `scale` [C]
 * (required), `shift` [C] (optional). Rank 4 (NCHW) or rank 2 (NC).
 */
export interface ScaleShiftSpec { readonly op: 'scaleShift' }

export const SCALE_SHIFT_WEIGHTS = ['scale', 'shift'] as const;

export function scaleShiftOutputShape(spec: ScaleShiftSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['scaleShift'], 'scaleShift', ONLY_OP);
  checkInputCount('scaleShift', inputs, 1);
  checkWeightNames('scaleShift', weights, SCALE_SHIFT_WEIGHTS);
  const [, c] = dims4(inputs[0]!, 'scaleShift input');
  const scale = weights.scale;
  if (!scale) throw new TesseraError('BAD_ARGUMENT', `scaleShift needs a scale tensor [${c}]`);
  checkVector('scaleShift scale', scale, c, `one per channel of input ${JSON.stringify(inputs[0])}`);
  if (weights.shift) checkVector('scaleShift shift', weights.shift, c, `one per channel of input ${JSON.stringify(inputs[0])}`);
  return inputs[0]!;
}

export function scaleShiftInputRegion(_spec: ScaleShiftSpec, out: Region): Region {
  return { ...out };
}

export function scaleShiftWindow(_spec: ScaleShiftSpec, inputs: readonly Shape[]): Geometry {
  const [, , h, w] = dims4(inputs[0]!, 'scaleShift input');
  return identityWindow(h, w);
}

/** A multiply and an add per element (flops are counted with the shift present). */
export function scaleShiftFlops(_spec: ScaleShiftSpec, _inputs: readonly Shape[], outShape: Shape): number {
  let n = 1;
  for (const d of outShape) n *= d;
  return 2 * n;
}
