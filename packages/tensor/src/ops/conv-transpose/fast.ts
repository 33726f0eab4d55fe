import { checkKernelCall } from '../invoke.js';
import type { Kernel } from '../op.js';
import { conv2dTransposeGeometry, conv2dTransposeOutputShape, type Conv2dTransposeSpec } from './spec.js';

/*
 * Production transposed convolution in float32, one fixed order per output
 * element: taps ky, then kx, then input channels of the group from the first,
 * each a float32 multiply then a float32 add into an accumulator starting at
 * +0; then the bias (one float32 add). Taps with no input cell are skipped
 * (the reference skips them too), and whether a tap hits depends on the
 * element's own coordinates only, so any cut of the output gives the same bits.
 *
 * Loop order: per output row, the valid ky (a residue class of oy + pt
 * modulo sh) are found once; the inner loop runs along the row over the
 * columns whose kx tap hits (every sw-th column), accumulating into a
 * Float32Array row (each store rounds to float32; the sum of two float32
 * values rounded once from double is the float32 sum).
 */
export const conv2dTransposeFast: Kernel<Conv2dTransposeSpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(conv2dTransposeOutputShape, spec, inputs, weights, out, r, 'conv2dTranspose');
  const x = inputs[0]!;
  const w = weights.weight!, bias = weights.bias;
  const g = conv2dTransposeGeometry(spec, x.shape);
  const [cin, copg, kh, kw] = w.dims4();
  const cipg = cin / (spec.groups ?? 1);
  const [xn, xc, xh, xw] = x.strides4();
  const [wi, wo, wy, wx] = w.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const xd = x.data, wd = w.data, od = out.data;
  const nx = r.x1 - r.x0;
  const { sh, sw, dh, pt, inH } = g;
  const acc = new Float32Array(nx);
  // Per kx: the first region column its tap hits, and the input column of that hit.
  const firstJ = new Int32Array(kw), firstIx = new Int32Array(kw), countJ = new Int32Array(kw);
  for (let kx = 0; kx < kw; kx++) {
    let j = 0;
    while (j < nx && ((r.x0 + j + g.pl - kx * g.dw) % g.sw + g.sw) % g.sw !== 0) j++;
    let ix = (r.x0 + j + g.pl - kx * g.dw) / g.sw;
    // Skip hits left of the input, stop at its right edge.
    while (j < nx && ix < 0) { j += g.sw; ix++; }
    firstJ[kx] = j; firstIx[kx] = ix;
    let c = 0;
    for (let jj = j, ii = ix; jj < nx && ii < g.inW; jj += g.sw, ii++) c++;
    countJ[kx] = c;
  }
  for (let n = r.n0; n < r.n1; n++) {
    for (let co = r.c0; co < r.c1; co++) {
      const grp = Math.floor(co / copg), col = co - grp * copg;
      const ci0 = grp * cipg;
      const b = bias ? bias.data[bias.offset + co * bias.strides[0]!]! : 0;
      for (let oy = r.y0; oy < r.y1; oy++) {
        acc.fill(0);
        for (let ky = 0; ky < kh; ky++) {
          const ty = oy + pt - ky * dh;
          if (ty < 0 || ty % sh !== 0) continue;
          const iy = ty / sh;
          if (iy >= inH) continue;
          for (let kx = 0; kx < kw; kx++) {
            const cnt = countJ[kx]!;
            if (cnt === 0) continue;
            const j0 = firstJ[kx]!;
            let wi0 = w.offset + ci0 * wi + col * wo + ky * wy + kx * wx;
            let xi0 = x.offset + n * xn + ci0 * xc + iy * xh + firstIx[kx]! * xw;
            for (let ci = 0; ci < cipg; ci++, wi0 += wi, xi0 += xc) accumulate(acc, xd, wd[wi0]!, xi0, xw, j0, sw, cnt);
          }
        }
        let o = out.offset + n * on + co * oc + oy * oh + r.x0 * ow;
        if (bias) for (let j = 0; j < nx; j++, o += ow) od[o] = acc[j]! + b;
        else for (let j = 0; j < nx; j++, o += ow) od[o] = acc[j]!;
      }
    }
  }
};

/** acc[j0 + k·sw] += fround(wv · x[xi + k·xw]) for k < cnt: the hot loop, kept monomorphic and small. */
function accumulate(acc: Float32Array, xd: Float32Array, wv: number, xi: number, xw: number, j0: number, sw: number, cnt: number): void {
  for (let k = 0, j = j0; k < cnt; k++, j += sw, xi += xw) acc[j] = acc[j]! + Math.fround(wv * xd[xi]!);
}
