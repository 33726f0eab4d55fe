import type { Kernel } from '../op.js';
import { checkKernelCall } from '../invoke.js';
import { engineBinary } from '../../engine/elementwise.js';
import { withEngineOperands } from '../../engine/staged.js';
import { binaryOutputShape, type BinarySpec } from './spec.js';

/*
 * Broadcasting as stride 0: an axis where an input has size 1 contributes
 * nothing to its address, so every element is read at its broadcast
 * position by one loop nest. The store rounds a ∘ b (exact in double for
 * two float32 operands, then rounded once) to the float32 result: the same
 * bits as the reference. Operands in engine memory (an executor's feature
 * maps) go to the engine's SIMD kernel (kernels/elementwise.c) instead, which
 * computes the same float32 operation per element; large operands elsewhere
 * (a worker's tile of shared maps) are staged through engine memory for it.
 */
export const binaryFast: Kernel<BinarySpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(binaryOutputShape, spec, inputs, weights, out, r, 'binary');
  const [a, b] = [inputs[0]!, inputs[1]!];
  if (engineBinary(spec.fn, a, b, out, r) || withEngineOperands([a, b], out, r, ([sa, sb], o) => engineBinary(spec.fn, sa!, sb!, o, r))) return;
  const strides = (t: typeof a): number[] => {
    const d = t.dims4(), s = t.strides4();
    return s.map((v, i) => (d[i] === 1 ? 0 : v));
  };
  const [an, ac, ay, ax] = strides(a), [bn, bc, by, bx] = strides(b);
  const [on, oc, oy, ox] = out.strides4();
  const A = a.data, B = b.data, O = out.data, nx = r.x1 - r.x0;
  for (let n = r.n0; n < r.n1; n++)
    for (let c = r.c0; c < r.c1; c++)
      for (let y = r.y0; y < r.y1; y++) {
        let i = a.offset + n * an + c * ac + y * ay + r.x0 * ax;
        let j = b.offset + n * bn + c * bc + y * by + r.x0 * bx;
        let o = out.offset + n * on + c * oc + y * oy + r.x0 * ox;
        switch (spec.fn) {
          case 'add': for (let k = 0; k < nx; k++, i += ax, j += bx, o += ox) O[o] = A[i]! + B[j]!; break;
          case 'sub': for (let k = 0; k < nx; k++, i += ax, j += bx, o += ox) O[o] = A[i]! - B[j]!; break;
          case 'mul': for (let k = 0; k < nx; k++, i += ax, j += bx, o += ox) O[o] = A[i]! * B[j]!; break;
          case 'div': for (let k = 0; k < nx; k++, i += ax, j += bx, o += ox) O[o] = A[i]! / B[j]!; break;
        }
      }
};
