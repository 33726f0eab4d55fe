import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { softmaxOutputShape, type SoftmaxSpec } from './spec.js';

/*
 * Channels are a plane apart in NCHW, so a per-pixel channel loop strides
 * through memory. Instead each (n, row) is done in three sweeps over the
 * channels, each sweep walking a row of pixels: max, sum of exp(x − max),
 * then the outputs. Per pixel that is the reference's arithmetic in the
 * reference's order (max and sum over c ascending, every channel), so the
 * result is bit-identical to it and independent of the region.
 */
export function softmaxFast(inputs: readonly Tensor[], weights: Weights, spec: SoftmaxSpec, out: Tensor, r: Region): void {
  checkKernelCall(softmaxOutputShape, spec, inputs, weights, out, r, 'softmax');
  const x = inputs[0]!;
  const [, C] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const src = x.data, dst = out.data;
  const nx = r.x1 - r.x0;
  const mx = new Float64Array(nx), sum = new Float64Array(nx);
  for (let n = r.n0; n < r.n1; n++) {
    for (let y = r.y0; y < r.y1; y++) {
      const row = x.offset + n * sn + y * sh + r.x0 * sw;
      mx.fill(-Infinity);
      sum.fill(0);
      for (let c = 0; c < C; c++) {
        for (let j = 0, p = row + c * sc; j < nx; j++, p += sw) {
          const v = src[p]!;
          const m = mx[j]!;
          if (v > m || v !== v) mx[j] = v; // NaN wins, as in Math.max (a ±0 tie is harmless: x − 0 and x − (−0) have one exp)
        }
      }
      for (let c = 0; c < C; c++) {
        for (let j = 0, p = row + c * sc; j < nx; j++, p += sw) sum[j] += Math.exp(src[p]! - mx[j]!);
      }
      const orow = out.offset + n * on + y * oh + r.x0 * ow;
      for (let c = r.c0; c < r.c1; c++) {
        for (let j = 0, p = row + c * sc, o = orow + c * oc; j < nx; j++, p += sw, o += ow) dst[o] = Math.exp(src[p]! - mx[j]!) / sum[j]!;
      }
    }
  }
}
