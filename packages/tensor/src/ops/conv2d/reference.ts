import { checkKernelCall } from '../invoke.js';
import type { Kernel } from '../op.js';
import { referenceEpilogue } from '../epilogue.js';
import { conv2dCheckedOutputShape, conv2dGeometry, type Conv2dSpec } from './spec.js';

/*
 * The oracle: one output element at a time, straight from the definition.
 *
 *   out[n, co, oy, ox] = bias[co] + Σ_{ci, ky, kx} w[co, ci, ky', kx'] · in[n, g·Cpg + ci, iy, ix]
 *   iy = oy·sh − pt + ky·dh,  ix = ox·sw − pl + kx·dw,
 *   (ky', kx') = (ky, kx), or (kh−1−ky, kw−1−kx) with flip (true convolution)
 *
 * Padding is zero: a tap outside the input multiplies 0 (not skipped). The
 * sum runs in doubles, then the epilogue (bias, scale/shift, activation) in
 * doubles, with one rounding to float32 at the store: the float64 oracle the
 * float32 production kernel is measured against (op.ts).
 */
export const conv2dReference: Kernel<Conv2dSpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(conv2dCheckedOutputShape, spec, inputs, weights, out, r, 'conv2d');
  const x = inputs[0]!;
  const w = weights.weight!;
  const epilogue = referenceEpilogue(spec, weights);
  const g = conv2dGeometry(spec, x.shape);
  const [cout, cpg, kh, kw] = w.dims4();
  const opg = cout / (spec.groups ?? 1);
  const flip = spec.flip === true;
  const [xn, xc, xh, xw] = x.strides4();
  const [wo, wi, wy, wx] = w.strides4();
  const [on, oc, oh, ow] = out.strides4();
  for (let n = r.n0; n < r.n1; n++) {
    for (let co = r.c0; co < r.c1; co++) {
      const ci0 = Math.floor(co / opg) * cpg; // first input channel of this output's group
      for (let oy = r.y0; oy < r.y1; oy++) {
        for (let ox = r.x0; ox < r.x1; ox++) {
          let acc = 0;
          for (let ci = 0; ci < cpg; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * g.sh - g.pt + ky * g.dh;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * g.sw - g.pl + kx * g.dw;
                const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
                const v = inside ? x.data[x.offset + n * xn + (ci0 + ci) * xc + iy * xh + ix * xw]! : 0;
                const ty = flip ? kh - 1 - ky : ky, tx = flip ? kw - 1 - kx : kx;
                acc += w.data[w.offset + co * wo + ci * wi + ty * wy + tx * wx]! * v;
              }
            }
          }
          out.data[out.offset + n * on + co * oc + oy * oh + ox * ow] = Math.fround(epilogue(acc, co));
        }
      }
    }
  }
};
