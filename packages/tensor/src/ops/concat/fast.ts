import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { copyRuns, regionRuns } from '../runs.js';
import { concatInputRegion, concatOffsets, concatOutputShape, type ConcatSpec } from './spec.js';

/*
 * For each input that supplies channels of the region: copy its part as
 * coalesced runs (one run when both sides are contiguous). Long unit-stride
 * runs use TypedArray.set (a memcpy); short ones a plain loop.
 */
export function concatFast(inputs: readonly Tensor[], weights: Weights, spec: ConcatSpec, out: Tensor, r: Region): void {
  checkKernelCall(concatOutputShape, spec, inputs, weights, out, r, 'concat');
  const shapes = inputs.map((t) => t.shape);
  const offs = concatOffsets(shapes);
  const dst = out.data;
  for (let i = 0; i < inputs.length; i++) {
    const ir = concatInputRegion(spec, r, shapes, i);
    if (!ir) continue;
    const t = inputs[i]!, src = t.data;
    const outOrigin = [ir.n0, ir.c0 + offs[i]!, ir.y0, ir.x0] as const;
    const runs = regionRuns([t, out], ir, [undefined, outOrigin]);
    copyRuns(src, dst, runs);
  }
}
