import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { addOutputShape, type AddSpec } from './spec.js';

/** One element at a time: x0 + x1 + ... left to right, in double precision. */
export function addReference(inputs: readonly Tensor[], weights: Weights, spec: AddSpec, out: Tensor, r: Region): void {
  checkKernelCall(addOutputShape, spec, inputs, weights, out, r, 'add');
  const strides = inputs.map((t) => t.strides4());
  const [on, oc, oh, ow] = out.strides4();
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++)
      for (let y = r.y0; y < r.y1; y++)
        for (let x = r.x0; x < r.x1; x++) {
          let s = 0;
          for (let i = 0; i < inputs.length; i++) {
            const t = inputs[i]!, [sn, sc, sh, sw] = strides[i]!;
            const v = t.data[t.offset + n * sn + c * sc + y * sh + x * sw]!;
            s = i === 0 ? v : s + v;
          }
          out.data[out.offset + n * on + c * oc + y * oh + x * ow] = s;
        }
}
