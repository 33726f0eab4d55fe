import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { copyRuns, fillRuns, regionRuns } from '../runs.js';
import { padInputRegion, padOutputShape, padSource, resolvePad, type PadSpec, type ResolvedPad } from './spec.js';

/*
 * Fill the region with the pad value, then copy the input box it overlaps
 * on top, both as coalesced runs (memset/memcpy for long contiguous runs).
 * The overlap is written twice, but both writes are inside the region and
 * each element's final value is one copy or the constant.
 */
export function padFast(inputs: readonly Tensor[], weights: Weights, spec: PadSpec, out: Tensor, r: Region): void {
  checkKernelCall(padOutputShape, spec, inputs, weights, out, r, 'pad');
  const x = inputs[0]!;
  const p = resolvePad(spec);
  if (p.mode !== 'constant') return gather(x, out, r, p);
  const ir = padInputRegion(spec, r, [x.shape]);
  const inner = ir && { n0: ir.n0, n1: ir.n1, c0: ir.c0 + p.cb, c1: ir.c1 + p.cb, y0: ir.y0 + p.top, y1: ir.y1 + p.top, x0: ir.x0 + p.left, x1: ir.x1 + p.left };
  const covered = inner && inner.c0 === r.c0 && inner.c1 === r.c1 && inner.y0 === r.y0 && inner.y1 === r.y1 && inner.x0 === r.x0 && inner.x1 === r.x1;
  if (!covered) fillRuns(out.data, regionRuns([out], r), p.value);
  if (ir && inner) {
    const runs = regionRuns([x, out], ir, [undefined, [inner.n0, inner.c0, inner.y0, inner.x0]]);
    copyRuns(x.data, out.data, runs);
  }
}

/** reflect / edge: source row and column offsets tabulated for the region, then a gather-copy per row. */
function gather(x: Tensor, out: Tensor, r: Region, p: ResolvedPad): void {
  const mode = p.mode as 'reflect' | 'edge';
  const [, , h, w] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const ny = r.y1 - r.y0, nx = r.x1 - r.x0;
  const ys = new Int32Array(ny), xs = new Int32Array(nx);
  for (let i = 0; i < ny; i++) ys[i] = padSource(r.y0 + i - p.top, h, mode) * sh;
  for (let j = 0; j < nx; j++) xs[j] = padSource(r.x0 + j - p.left, w, mode) * sw;
  const src = x.data, dst = out.data;
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++) {
      const plane = x.offset + n * sn + c * sc;
      for (let i = 0; i < ny; i++) {
        const row = plane + ys[i]!;
        let o = out.offset + n * on + c * oc + (r.y0 + i) * oh + r.x0 * ow;
        for (let j = 0; j < nx; j++, o += ow) dst[o] = src[row + xs[j]!]!;
      }
    }
}
