import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { regionRuns } from '../runs.js';
import { engineScaleShift } from '../../engine/elementwise.js';
import { withEngineOperands } from '../../engine/staged.js';
import { scaleShiftOutputShape, type ScaleShiftSpec } from './spec.js';

/*
 * Runs that never cross a channel (so scale and shift are loop constants),
 * coalesced over rows when memory allows; unit-stride runs get their own loop.
 *
 * Numerics: exactly the kernel engine's epilogue step (kernels/engine.h), so a
 * conv2d or dense with fused scale/shift equals conv2d then scaleShift bit for
 * bit: a float32 multiply, then a float32 add,
 *   out = fround(fround(x · s) + t)      (out = fround(x · s) without a shift).
 * x and s are float32, so x · s is exact in a double and `Math.fround` is the
 * float32 multiply; the sum of two float32 values rounded to a double and
 * then to float32 (the store) is the correctly rounded float32 sum. The
 * float64 reference (x · s + t, one rounding) may differ in the last bit.
 * Operands in engine memory go to the engine's SIMD kernel
 * (kernels/elementwise.c), which does the same two float32 steps; large
 * operands elsewhere are staged through engine memory for it.
 */
export function scaleShiftFast(inputs: readonly Tensor[], weights: Weights, spec: ScaleShiftSpec, out: Tensor, r: Region): void {
  checkKernelCall(scaleShiftOutputShape, spec, inputs, weights, out, r, 'scaleShift');
  const x = inputs[0]!;
  const scale = weights.scale!.toFloat32Array();
  const shift = weights.shift?.toFloat32Array();
  if (engineScaleShift(x, scale, shift, out, r) || withEngineOperands([x], out, r, ([sx], o) => engineScaleShift(sx!, scale, shift, o, r))) return;
  const runs = regionRuns([x, out], r, undefined, true);
  const src = x.data, dst = out.data;
  const ia = runs.starts[0]!, oa = runs.starts[1]!, is = runs.steps[0]!, os = runs.steps[1]!, len = runs.len;
  const chan = runs.channels!;
  const unit = is === 1 && os === 1;
  for (let k = 0; k < runs.count; k++) {
    let i = ia[k]!, o = oa[k]!;
    const s = scale[chan[k]!]!;
    if (shift) {
      const b = shift[chan[k]!]!;
      if (unit) for (const e = i + len; i < e; i++, o++) dst[o] = Math.fround(src[i]! * s) + b;
      else for (let j = 0; j < len; j++, i += is, o += os) dst[o] = Math.fround(src[i]! * s) + b;
    } else {
      if (unit) for (const e = i + len; i < e; i++, o++) dst[o] = src[i]! * s;
      else for (let j = 0; j < len; j++, i += is, o += os) dst[o] = src[i]! * s;
    }
  }
}
