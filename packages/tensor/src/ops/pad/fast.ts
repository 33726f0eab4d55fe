import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { copyRuns, fillRuns, regionRuns } from '../runs.js';
import { padInputRegion, padOutputShape, resolvePad, type PadSpec } from './spec.js';

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
  const ir = padInputRegion(spec, r, [x.shape]);
  const inner = ir && { n0: ir.n0, n1: ir.n1, c0: ir.c0 + p.cb, c1: ir.c1 + p.cb, y0: ir.y0 + p.top, y1: ir.y1 + p.top, x0: ir.x0 + p.left, x1: ir.x1 + p.left };
  const covered = inner && inner.c0 === r.c0 && inner.c1 === r.c1 && inner.y0 === r.y0 && inner.y1 === r.y1 && inner.x0 === r.x0 && inner.x1 === r.x1;
  if (!covered) fillRuns(out.data, regionRuns([out], r), p.value);
  if (ir && inner) {
    const runs = regionRuns([x, out], ir, [undefined, [inner.n0, inner.c0, inner.y0, inner.x0]]);
    copyRuns(x.data, out.data, runs);
  }
}
