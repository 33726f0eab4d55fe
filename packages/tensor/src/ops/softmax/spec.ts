import type { Region } from '../../region.js';
import { dims4, type Shape } from '../../shape.js';
import { ONLY_OP, checkInputCount, checkSpecOp, checkWeightNames, identityWindow } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/**
 * Softmax over axis 1 (channels) of [N, C] or [N, C, H, W], per (n, y, x):
 * out_c = exp(x_c − m) / Σ_j exp(x_j − m) with m = max_j x_j, so no exp
 * overflows. The max and the sum (j ascending, double) are always over all
 * C channels, whatever channels the region asks for.
 */
export interface SoftmaxSpec { readonly op: 'softmax' }

export function softmaxOutputShape(spec: SoftmaxSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['softmax'], 'softmax', ONLY_OP);
  checkInputCount('softmax', inputs, 1);
  checkWeightNames('softmax', weights, []);
  dims4(inputs[0]!, 'softmax input');
  return inputs[0]!;
}

/** Every channel of the region's pixels. */
export function softmaxInputRegion(_spec: SoftmaxSpec, out: Region, inputs: readonly Shape[]): Region {
  const [, c] = dims4(inputs[0]!, 'softmax input');
  return { ...out, c0: 0, c1: c };
}

export function softmaxWindow(_spec: SoftmaxSpec, inputs: readonly Shape[]): Geometry {
  const [, , h, w] = dims4(inputs[0]!, 'softmax input');
  return identityWindow(h, w);
}

/** Per element: a compare (max), subtract, exp, add (sum) and divide. */
export function softmaxFlops(_spec: SoftmaxSpec, _inputs: readonly Shape[], outShape: Shape): number {
  let n = 1;
  for (const d of outShape) n *= d;
  return 5 * n;
}
