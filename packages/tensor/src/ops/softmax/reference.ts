import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { softmaxOutputShape, type SoftmaxSpec } from './spec.js';

/** Per pixel: max over all channels, sum of shifted exps, then each asked channel. */
export function softmaxReference(inputs: readonly Tensor[], weights: Weights, spec: SoftmaxSpec, out: Tensor, r: Region): void {
  checkKernelCall(softmaxOutputShape, spec, inputs, weights, out, r, 'softmax');
  const x = inputs[0]!;
  const [, C] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const at = (n: number, c: number, y: number, xx: number): number => x.data[x.offset + n * sn + c * sc + y * sh + xx * sw]!;
  for (let n = r.n0; n < r.n1; n++)
    for (let y = r.y0; y < r.y1; y++)
      for (let xx = r.x0; xx < r.x1; xx++) {
        let m = -Infinity;
        for (let c = 0; c < C; c++) m = Math.max(m, at(n, c, y, xx)); // Math.max keeps NaN
        let sum = 0;
        for (let c = 0; c < C; c++) sum += Math.exp(at(n, c, y, xx) - m);
        for (let c = r.c0; c < r.c1; c++) out.data[out.offset + n * on + c * oc + y * oh + xx * ow] = Math.exp(at(n, c, y, xx) - m) / sum;
      }
}
