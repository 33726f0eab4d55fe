import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { activationOutputShape, type ActivationSpec } from './spec.js';

/** The scalar definition of each activation (double precision; the store rounds to float32); `slope` is prelu's for this channel. */
export function activate(spec: ActivationSpec, v: number, slope = 0): number {
  switch (spec.op) {
    case 'prelu': return v < 0 ? v * slope : v; // NaN and −0 pass through (x ≥ 0 branch of ONNX)
    case 'hardSigmoid': return clamp01(spec.alpha * v + spec.beta);
    case 'hardSwish': return v * clamp01(v / 6 + 0.5);
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

/** max(0, min(1, v)); NaN stays NaN. */
export function clamp01(v: number): number {
  return v > 1 ? 1 : v < 0 ? 0 : v;
}

export function activationReference(inputs: readonly Tensor[], weights: Weights, spec: ActivationSpec, out: Tensor, r: Region): void {
  checkKernelCall(activationOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'activation');
  const x = inputs[0]!;
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const slope = weights.slope;
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++) {
      const s = slope ? slope.data[slope.offset + (slope.shape[0] === 1 ? 0 : c) * slope.strides[0]!]! : 0;
      for (let y = r.y0; y < r.y1; y++)
        for (let xx = r.x0; xx < r.x1; xx++) {
          const v = x.data[x.offset + n * sn + c * sc + y * sh + xx * sw]!;
          out.data[out.offset + n * on + c * oc + y * oh + xx * ow] = activate(spec, v, s);
        }
    }
}
