import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { concatOutputShape, type ConcatSpec } from './spec.js';

/** Each output element: find the input owning its channel, copy. */
export function concatReference(inputs: readonly Tensor[], weights: Weights, spec: ConcatSpec, out: Tensor, r: Region): void {
  checkKernelCall(concatOutputShape, spec, inputs, weights, out, r, 'concat');
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++) {
      let i = 0, base = 0;
      while (c >= base + inputs[i]!.shape[1]!) base += inputs[i++]!.shape[1]!;
      const t = inputs[i]!;
      for (let y = r.y0; y < r.y1; y++)
        for (let x = r.x0; x < r.x1; x++) out.set(t.get(n, c - base, y, x), n, c, y, x);
    }
}
