import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { scaleShiftOutputShape, type ScaleShiftSpec } from './spec.js';

/** out = x·scale[c] (+ shift[c]), one element at a time, in double precision. */
export function scaleShiftReference(inputs: readonly Tensor[], weights: Weights, spec: ScaleShiftSpec, out: Tensor, r: Region): void {
  checkKernelCall(scaleShiftOutputShape, spec, inputs, weights, out, r, 'scaleShift');
  const x = inputs[0]!;
  const scale = weights.scale!, shift = weights.shift;
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++)
      for (let y = r.y0; y < r.y1; y++)
        for (let xx = r.x0; xx < r.x1; xx++) {
          const v = x.data[x.offset + n * sn + c * sc + y * sh + xx * sw]!;
          const s = scale.get(c);
          out.data[out.offset + n * on + c * oc + y * oh + xx * ow] = shift ? v * s + shift.get(c) : v * s;
        }
}
