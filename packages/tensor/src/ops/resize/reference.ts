import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { nearestSource, resizeOutputShape, resolveResize, type ResizeSpec } from './spec.js';

/** TF's formula (see spec.ts) written out per output element; nearest copies the cell nearestSource picks. */
export function resizeReference(inputs: readonly Tensor[], weights: Weights, spec: ResizeSpec, out: Tensor, r: Region): void {
  checkKernelCall(resizeOutputShape, spec, inputs, weights, out, r, 'resize');
  const m = resolveResize(spec);
  const x = inputs[0]!;
  const [, , inH, inW] = x.dims4();
  if (m.mode === 'nearest') {
    for (let n = r.n0; n < r.n1; n++)
      for (let c = r.c0; c < r.c1; c++)
        for (let oy = r.y0; oy < r.y1; oy++)
          for (let ox = r.x0; ox < r.x1; ox++) {
            const iy = nearestSource(oy, inH, m.height, m.coordinates, m.nearestMode);
            const ix = nearestSource(ox, inW, m.width, m.coordinates, m.nearestMode);
            out.set(x.get(n, c, iy, ix), n, c, oy, ox);
          }
    return;
  }
  const scaleY = m.alignCorners && m.height > 1 ? (inH - 1) / (m.height - 1) : inH / m.height;
  const scaleX = m.alignCorners && m.width > 1 ? (inW - 1) / (m.width - 1) : inW / m.width;
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++)
      for (let oy = r.y0; oy < r.y1; oy++) {
        const sy = m.halfPixelCenters ? (oy + 0.5) * scaleY - 0.5 : oy * scaleY;
        const yLo = Math.min(Math.max(Math.floor(sy), 0), inH - 1);
        const yHi = Math.max(0, Math.min(Math.ceil(sy), inH - 1));
        const yl = sy - Math.floor(sy);
        for (let ox = r.x0; ox < r.x1; ox++) {
          const sx = m.halfPixelCenters ? (ox + 0.5) * scaleX - 0.5 : ox * scaleX;
          const xLo = Math.min(Math.max(Math.floor(sx), 0), inW - 1);
          const xHi = Math.max(0, Math.min(Math.ceil(sx), inW - 1));
          const xl = sx - Math.floor(sx);
          const tl = x.get(n, c, yLo, xLo), tr = x.get(n, c, yLo, xHi);
          const bl = x.get(n, c, yHi, xLo), br = x.get(n, c, yHi, xHi);
          const top = tl + (tr - tl) * xl;
          const bottom = bl + (br - bl) * xl;
          out.set(top + (bottom - top) * yl, n, c, oy, ox);
        }
      }
}
