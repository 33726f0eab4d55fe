import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { padOutputShape, padSource, resolvePad, type PadSpec } from './spec.js';

/** Each output element: the input element it comes from (mirrored or repeated at the edges in reflect/edge mode), or the pad value. */
export function padReference(inputs: readonly Tensor[], weights: Weights, spec: PadSpec, out: Tensor, r: Region): void {
  checkKernelCall(padOutputShape, spec, inputs, weights, out, r, 'pad');
  const x = inputs[0]!;
  const [, c, h, w] = x.dims4();
  const p = resolvePad(spec);
  if (p.mode !== 'constant') {
    const mode = p.mode;
    for (let n = r.n0; n < r.n1; n++)
      for (let oc = r.c0; oc < r.c1; oc++)
        for (let oy = r.y0; oy < r.y1; oy++)
          for (let ox = r.x0; ox < r.x1; ox++) out.set(x.get(n, oc, padSource(oy - p.top, h, mode), padSource(ox - p.left, w, mode)), n, oc, oy, ox);
    return;
  }
  for (let n = r.n0; n < r.n1; n++)
    for (let oc = r.c0; oc < r.c1; oc++)
      for (let oy = r.y0; oy < r.y1; oy++)
        for (let ox = r.x0; ox < r.x1; ox++) {
          const ic = oc - p.cb, iy = oy - p.top, ix = ox - p.left;
          const inside = ic >= 0 && ic < c && iy >= 0 && iy < h && ix >= 0 && ix < w;
          out.set(inside ? x.get(n, ic, iy, ix) : p.value, n, oc, oy, ox);
        }
}
