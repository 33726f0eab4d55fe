import type { Kernel } from '../op.js';
import { checkKernelCall } from '../invoke.js';
import { binaryOutputShape, type BinarySpec } from './spec.js';

/** a ∘ b in double precision per element, each input read at its broadcast position; one rounding at the store. */
export const binaryReference: Kernel<BinarySpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(binaryOutputShape, spec, inputs, weights, out, r, 'binary');
  const a = inputs[0]!, b = inputs[1]!;
  const da = a.dims4(), db = b.dims4();
  const at = (d: readonly number[], i: number, v: number): number => (d[i] === 1 ? 0 : v);
  const rank2 = out.shape.length === 2;
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++)
      for (let y = r.y0; y < r.y1; y++)
        for (let x = r.x0; x < r.x1; x++) {
          const u = rank2 ? a.get(at(da, 0, n), at(da, 1, c)) : a.get(at(da, 0, n), at(da, 1, c), at(da, 2, y), at(da, 3, x));
          const v = rank2 ? b.get(at(db, 0, n), at(db, 1, c)) : b.get(at(db, 0, n), at(db, 1, c), at(db, 2, y), at(db, 3, x));
          const o = spec.fn === 'add' ? u + v : spec.fn === 'sub' ? u - v : spec.fn === 'mul' ? u * v : u / v;
          if (rank2) out.set(o, n, c);
          else out.set(o, n, c, y, x);
        }
};
