import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { referenceEpilogue } from '../epilogue.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { denseOutputShape, type DenseSpec } from './spec.js';

/**
 * The oracle: out[n, f] = epilogue(Σ_k x[n, k]·W[k, f], f), the sum in
 * doubles over k ascending, the epilogue (bias, scale/shift, activation) in
 * doubles, one rounding to float32 at the store.
 */
export function denseReference(inputs: readonly Tensor[], weights: Weights, spec: DenseSpec, out: Tensor, r: Region): void {
  checkKernelCall(denseOutputShape, spec, inputs, weights, out, r, 'dense');
  const x = inputs[0]!, wt = weights.weight!;
  const epilogue = referenceEpilogue(spec, weights);
  const [, c, h, w] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  for (let n = r.n0; n < r.n1; n++)
    for (let f = r.c0; f < r.c1; f++) {
      let acc = 0;
      let k = 0;
      for (let ci = 0; ci < c; ci++)
        for (let y = 0; y < h; y++)
          for (let xx = 0; xx < w; xx++, k++) acc += x.data[x.offset + n * sn + ci * sc + y * sh + xx * sw]! * wt.get(k, f);
      out.set(Math.fround(epilogue(acc, f)), n, f);
    }
}
