import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { globalPoolOutputShape, poolOutputShape, type GlobalPoolSpec, type Pool2dSpec } from './spec.js';

/*
 * The oracle, straight from the definition and independent of the
 * production geometry (spec.ts, fast.ts): the window's parameters are read
 * from the spec here, and each output visits all kh × kw taps, input cell
 * iy = oy·sh − pt + ky·dh, ix = ox·sw − pl + kx·dw, skipping cells outside
 * the input (padding is not a value). Sums run in double precision in tap
 * order (ky, then kx); max propagates NaN, like a sum does. The spec is
 * validated by the shared outputShape check before.
 */

type Pair = number | readonly [number, number] | undefined;
const pairOf = (v: Pair, dflt: readonly [number, number]): readonly [number, number] =>
  v === undefined ? dflt : typeof v === 'number' ? [v, v] : v;

/** Kernel, stride (default: the kernel), dilation and the four pads; 'same' as TensorFlow defines it. */
function windowOf(spec: Pool2dSpec, inH: number, inW: number) {
  const [kh, kw] = pairOf(spec.kernel, [1, 1]);
  const [sh, sw] = pairOf(spec.stride, [kh, kw]);
  const [dh, dw] = pairOf(spec.dilation, [1, 1]);
  const p = spec.padding ?? 'valid';
  let pt = 0, pb = 0, pl = 0, pr = 0;
  if (p === 'same') {
    // Output ceil(in / stride); the total padding that needs, the odd cell at the bottom / right.
    const th = Math.max((Math.ceil(inH / sh) - 1) * sh + (kh - 1) * dh + 1 - inH, 0);
    const tw = Math.max((Math.ceil(inW / sw) - 1) * sw + (kw - 1) * dw + 1 - inW, 0);
    pt = Math.floor(th / 2); pb = th - pt; pl = Math.floor(tw / 2); pr = tw - pl;
  } else if (typeof p === 'number') {
    pt = pb = pl = pr = p;
  } else if (typeof p === 'object') {
    ({ top: pt, bottom: pb, left: pl, right: pr } = p);
  }
  return { kh, kw, sh, sw, dh, dw, pt, pl, pb, pr };
}

export function poolReference(inputs: readonly Tensor[], weights: Weights, spec: Pool2dSpec, out: Tensor, r: Region): void {
  checkKernelCall(poolOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'pool');
  const x = inputs[0]!;
  const [, , inH, inW] = x.dims4();
  const g = windowOf(spec, inH, inW);
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      for (let oy = r.y0; oy < r.y1; oy++) {
        for (let ox = r.x0; ox < r.x1; ox++) {
          let acc = spec.op === 'maxPool' ? -Infinity : 0;
          let count = 0;
          for (let ky = 0; ky < g.kh; ky++) {
            for (let kx = 0; kx < g.kw; kx++) {
              const iy = oy * g.sh - g.pt + ky * g.dh, ix = ox * g.sw - g.pl + kx * g.dw;
              if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue; // padding: not a value
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
