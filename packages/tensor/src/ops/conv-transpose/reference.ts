import { checkKernelCall } from '../invoke.js';
import type { Kernel } from '../op.js';
import { referenceEpilogue } from '../epilogue.js';
import { activate } from '../activation/reference.js';
import { conv2dTransposeGeometry, conv2dTransposeOutputShape, type Conv2dTransposeSpec } from './spec.js';

/*
 * The oracle, one output element at a time from the gather form (spec.ts):
 * every tap (ci, ky, kx) whose source row iy = (oy + pt − ky·dh)/sh and
 * column ix = (ox + pl − kx·dw)/sw are integers inside the input adds
 * w[ci, co − g·Copg, ky, kx] · x[n, ci, iy, ix]. Sum in doubles, then the
 * epilogue (bias, scale/shift, activation) in doubles, one rounding to
 * float32 at the store.
 */
export const conv2dTransposeReference: Kernel<Conv2dTransposeSpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(conv2dTransposeOutputShape, spec, inputs, weights, out, r, 'conv2dTranspose');
  const x = inputs[0]!;
  const w = weights.weight!;
  const sigmoid = spec.activation === 'sigmoid';
  const epilogue = referenceEpilogue(sigmoid ? { ...spec, activation: undefined } : { ...spec, activation: spec.activation }, weights);
  const g = conv2dTransposeGeometry(spec, x.shape);
  const [cin, copg, kh, kw] = w.dims4();
  const cipg = cin / (spec.groups ?? 1);
  for (let n = r.n0; n < r.n1; n++) {
    for (let co = r.c0; co < r.c1; co++) {
      const grp = Math.floor(co / copg), col = co - grp * copg;
      for (let oy = r.y0; oy < r.y1; oy++) {
        for (let ox = r.x0; ox < r.x1; ox++) {
          let acc = 0;
          for (let ci = grp * cipg; ci < (grp + 1) * cipg; ci++) {
            for (let ky = 0; ky < kh; ky++) {
              const ty = oy + g.pt - ky * g.dh;
              if (ty < 0 || ty % g.sh !== 0 || ty / g.sh >= g.inH) continue;
              for (let kx = 0; kx < kw; kx++) {
                const tx = ox + g.pl - kx * g.dw;
                if (tx < 0 || tx % g.sw !== 0 || tx / g.sw >= g.inW) continue;
                acc += w.get(ci, col, ky, kx) * x.get(n, ci, ty / g.sh, tx / g.sw);
              }
            }
          }
          const v = epilogue(acc, co);
          out.set(sigmoid ? activate({ op: 'sigmoid' }, v) : v, n, co, oy, ox);
        }
      }
    }
  }
};
