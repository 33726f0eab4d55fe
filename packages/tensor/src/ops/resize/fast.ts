import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import { nearestCopy } from '../../engine/resize.js';
import type { Weights } from '../op.js';
import { nearestSource, resizeOutputShape, resizeScale, resizeSource, resolveResize, type ResizeMode, type ResizeSpec } from './spec.js';

/*
 * Source offsets and lerps are tabulated once per call for the region's
 * rows and columns (each entry a function of its own index only, so tiles
 * agree); the inner loop is four loads and three lerps. Same expression
 * order as the reference: bit-identical to it.
 */
export function resizeFast(inputs: readonly Tensor[], weights: Weights, spec: ResizeSpec, out: Tensor, r: Region): void {
  checkKernelCall(resizeOutputShape, spec, inputs, weights, out, r, 'resize');
  const m = resolveResize(spec);
  const x = inputs[0]!;
  const [, , inH, inW] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  if (m.mode === 'nearest') return nearest(x, out, r, m);
  const scaleY = resizeScale(inH, m.height, m.alignCorners), scaleX = resizeScale(inW, m.width, m.alignCorners);
  const ny = r.y1 - r.y0, nx = r.x1 - r.x0;
  const yLo = new Int32Array(ny), yHi = new Int32Array(ny), yl = new Float64Array(ny);
  for (let i = 0; i < ny; i++) {
    const [lo, hi, l] = resizeSource(r.y0 + i, scaleY, m.halfPixelCenters, inH);
    yLo[i] = lo * sh; yHi[i] = hi * sh; yl[i] = l;
  }
  const xLo = new Int32Array(nx), xHi = new Int32Array(nx), xl = new Float64Array(nx);
  for (let j = 0; j < nx; j++) {
    const [lo, hi, l] = resizeSource(r.x0 + j, scaleX, m.halfPixelCenters, inW);
    xLo[j] = lo * sw; xHi[j] = hi * sw; xl[j] = l;
  }
  const src = x.data, dst = out.data;
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      const plane = x.offset + n * sn + c * sc;
      const oplane = out.offset + n * on + c * oc + r.x0 * ow;
      for (let i = 0; i < ny; i++) {
        const top = plane + yLo[i]!, bot = plane + yHi[i]!, ly = yl[i]!;
        let o = oplane + (r.y0 + i) * oh;
        for (let j = 0; j < nx; j++, o += ow) {
          const a = xLo[j]!, b = xHi[j]!, lx = xl[j]!;
          const tl = src[top + a]!, tr = src[top + b]!, bl = src[bot + a]!, br = src[bot + b]!;
          const t = tl + (tr - tl) * lx;
          const u = bl + (br - bl) * lx;
          dst[o] = t + (u - t) * ly;
        }
      }
    }
  }
}

/** Nearest: the source row and column of each of the region's output rows and columns, copied on the engine (engine/resize.ts). */
function nearest(x: Tensor, out: Tensor, r: Region, m: ResizeMode): void {
  const [, , inH, inW] = x.dims4();
  const ny = r.y1 - r.y0, nx = r.x1 - r.x0;
  const ys = new Int32Array(ny), xs = new Int32Array(nx);
  for (let i = 0; i < ny; i++) ys[i] = nearestSource(r.y0 + i, inH, m.height, m.coordinates, m.nearestMode);
  for (let j = 0; j < nx; j++) xs[j] = nearestSource(r.x0 + j, inW, m.width, m.coordinates, m.nearestMode);
  nearestCopy(x, out, r, ys, xs);
}
