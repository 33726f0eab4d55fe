import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { globalPoolOutputShape, poolGeometry, poolOutputShape, type GlobalPoolSpec, type Pool2dSpec } from './spec.js';

/*
 * The oracle: one output at a time, every tap of the window tested against
 * the input bounds. Sums run in double precision in tap order (ky, then kx);
 * max propagates NaN, like a sum does.
 */

export function poolReference(inputs: readonly Tensor[], weights: Weights, spec: Pool2dSpec, out: Tensor, r: Region): void {
  checkKernelCall(poolOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'pool');
  const x = inputs[0]!;
  const g = poolGeometry(spec, x.shape);
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      for (let oy = r.y0; oy < r.y1; oy++) {
        for (let ox = r.x0; ox < r.x1; ox++) {
          let acc = spec.op === 'maxPool' ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.pt + ky * g.dh;
            if (iy < 0 || iy >= g.inH) continue; // padding: not a value
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.pl + kx * g.dw;
              if (ix < 0 || ix >= g.inW) continue;
              const v = x.data[x.offset + n * sn + c * sc + iy * sh + ix * sw]!;
              count++;
              if (spec.op === 'maxPool') {
                if (v > acc || Number.isNaN(v)) acc = v;
              } else if (spec.op === 'avgPool') {
                acc += v;
              } else {
                acc += v * v;
              }
            }
          }
          const value = spec.op === 'avgPool' ? acc / count : spec.op === 'l2Pool' ? Math.sqrt(acc) : acc;
          out.data[out.offset + n * on + c * oc + oy * oh + ox * ow] = value;
        }
      }
    }
  }
}

export function globalPoolReference(inputs: readonly Tensor[], weights: Weights, spec: GlobalPoolSpec, out: Tensor, r: Region): void {
  checkKernelCall(globalPoolOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'global pool');
  const x = inputs[0]!;
  const [, , h, w] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc] = out.strides4();
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      let acc = spec.op === 'globalMaxPool' ? -Infinity : 0;
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const v = x.data[x.offset + n * sn + c * sc + y * sh + xx * sw]!;
          if (spec.op === 'globalMaxPool') {
            if (v > acc || Number.isNaN(v)) acc = v;
          } else {
            acc += v;
          }
        }
      }
      out.data[out.offset + n * on + c * oc] = spec.op === 'globalAvgPool' ? acc / (h * w) : acc;
    }
  }
}
