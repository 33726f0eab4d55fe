import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import { engineNearest } from '../../engine/resize.js';
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

/**
 * Nearest: source row and column offsets tabulated for the region, then a
 * copy. Feature maps in engine memory (output columns at unit stride) go to
 * kernels/resize.c; elsewhere a strided gather here, where a row with the
 * same source row as the one above is a copy of that output row.
 */
function nearest(x: Tensor, out: Tensor, r: Region, m: ResizeMode): void {
  const [, , inH, inW] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const ny = r.y1 - r.y0, nx = r.x1 - r.x0;
  const ys = new Int32Array(ny), xs = new Int32Array(nx);
  for (let i = 0; i < ny; i++) ys[i] = nearestSource(r.y0 + i, inH, m.height, m.coordinates, m.nearestMode) * sh;
  for (let j = 0; j < nx; j++) xs[j] = nearestSource(r.x0 + j, inW, m.width, m.coordinates, m.nearestMode) * sw;
  if (engineNearest(x, out, r, ys, xs, sw === 1 ? repeatOf(xs) : { factor: 0, phase: 0 })) return;
  const src = x.data, dst = out.data;
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      const plane = x.offset + n * sn + c * sc;
      const oplane = out.offset + n * on + c * oc + r.x0 * ow;
      for (let i = 0; i < ny; i++) {
        const row = plane + ys[i]!;
        let o = oplane + (r.y0 + i) * oh;
        if (i > 0 && ys[i] === ys[i - 1] && ow === 1) {
          dst.copyWithin(o, o - oh, o - oh + nx);
          continue;
        }
        for (let j = 0; j < nx; j++, o += ow) dst[o] = src[row + xs[j]!]!;
      }
    }
  }
}

/**
 * Whether unit-stride source columns `xs` are an integer upscale: xs[j] =
 * xs[0] + ⌊(j + phase)/factor⌋ for every j (factor 0: they are not). The
 * factor is the length of the second run of equal offsets (the first may be
 * cut by the region's start), checked over the whole row.
 */
export function repeatOf(xs: Int32Array): { factor: number; phase: number } {
  const none = { factor: 0, phase: 0 };
  const n = xs.length;
  let first = 1;
  while (first < n && xs[first] === xs[0]) first++;
  let factor = first;
  if (first < n) {
    let j = first + 1;
    while (j < n && xs[j] === xs[first]) j++;
    factor = j - first;
    if (j === n && factor < first) factor = first; // the row ends inside the second run
  }
  if (first > factor) return none;
  const phase = factor - first;
  for (let j = 0; j < n; j++) if (xs[j] !== xs[0]! + Math.floor((j + phase) / factor)) return none;
  return { factor, phase };
}
