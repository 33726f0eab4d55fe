import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { regionRuns } from '../runs.js';
import { engineBinary } from '../../engine/elementwise.js';
import { withEngineOperands } from '../../engine/staged.js';
import { addOutputShape, type AddSpec } from './spec.js';

/*
 * Coalesced runs over all inputs and the output. Two inputs (the residual
 * case) add straight into the output; more inputs accumulate a run in a
 * double buffer input by input, which is the same left-to-right sum per
 * element as the reference. Two inputs in engine memory (an executor's
 * residual add) go to the engine's SIMD kernel (kernels/elementwise.c): the
 * same float32 add; so do two large operands elsewhere (a worker's tile of
 * shared maps), staged through engine memory.
 */
export function addFast(inputs: readonly Tensor[], weights: Weights, spec: AddSpec, out: Tensor, r: Region): void {
  checkKernelCall(addOutputShape, spec, inputs, weights, out, r, 'add');
  const m = inputs.length;
  if (m === 2 && (engineBinary('add', inputs[0]!, inputs[1]!, out, r)
    || withEngineOperands(inputs, out, r, ([a, b], o) => engineBinary('add', a!, b!, o, r)))) return;
  const runs = regionRuns([...inputs, out], r);
  const len = runs.len, dst = out.data;
  const oa = runs.starts[m]!, os = runs.steps[m]!;
  const a = inputs[0]!.data, b = inputs[1]!.data;
  const aa = runs.starts[0]!, ba = runs.starts[1]!, as = runs.steps[0]!, bs = runs.steps[1]!;
  if (m === 2) {
    const unit = as === 1 && bs === 1 && os === 1;
    for (let k = 0; k < runs.count; k++) {
      let i = aa[k]!, j = ba[k]!, o = oa[k]!;
      if (unit) for (const e = o + len; o < e; i++, j++, o++) dst[o] = a[i]! + b[j]!;
      else for (let q = 0; q < len; q++, i += as, j += bs, o += os) dst[o] = a[i]! + b[j]!;
    }
    return;
  }
  const acc = new Float64Array(len);
  for (let k = 0; k < runs.count; k++) {
    let i = aa[k]!, j = ba[k]!;
    for (let q = 0; q < len; q++, i += as, j += bs) acc[q] = a[i]! + b[j]!;
    for (let t = 2; t < m; t++) {
      const src = inputs[t]!.data, st = runs.steps[t]!;
      let p = runs.starts[t]![k]!;
      for (let q = 0; q < len; q++, p += st) acc[q] += src[p]!;
    }
    let o = oa[k]!;
    for (let q = 0; q < len; q++, o += os) dst[o] = acc[q]!;
  }
}
