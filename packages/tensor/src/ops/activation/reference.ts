import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { activationOutputShape, type ActivationSpec } from './spec.js';

/** The scalar definition of each activation (double precision; the store rounds to float32). */
export function activate(spec: ActivationSpec, v: number): number {
  switch (spec.op) {
    case 'relu': return v > 0 || v !== v ? v : 0; // NaN passes through; −0 → +0
    // −0 counts as negative (sign bit), which only matters for alpha < 0: −0·alpha = +0.
    case 'leakyRelu': return v < 0 || Object.is(v, -0) ? v * spec.alpha : v;
    case 'relu6': return v > 0 ? (v > 6 ? 6 : v) : v !== v ? v : 0; // min(max(v, +0), 6): −0 → +0, NaN passes through
    case 'sigmoid': {
      // Never exp of a large positive number: no Infinity/Infinity = NaN.
      if (v >= 0) return 1 / (1 + Math.exp(-v));
      const e = Math.exp(v);
      return e / (1 + e);
    }
    case 'tanh': return Math.tanh(v);
  }
}

export function activationReference(inputs: readonly Tensor[], weights: Weights, spec: ActivationSpec, out: Tensor, r: Region): void {
  checkKernelCall(activationOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'activation');
  const x = inputs[0]!;
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++)
      for (let y = r.y0; y < r.y1; y++)
        for (let xx = r.x0; xx < r.x1; xx++) {
          const v = x.data[x.offset + n * sn + c * sc + y * sh + xx * sw]!;
          out.data[out.offset + n * on + c * oc + y * oh + xx * ow] = activate(spec, v);
        }
}
