import { regionVolume, type Region } from '../region.js';
import { copyRegion, type Tensor } from '../tensor.js';
import { enginePartial, inEngine, releaseEngineTensor } from './tensors.js';

/** Regions smaller than this run on the TypeScript kernel: the copies would cost more than they save. */
const MIN_STAGED = 2048;

/**
 * Runs an engine-only element-wise kernel (engineBinary, engineScaleShift:
 * they decline operands outside engine memory) on operands that live
 * elsewhere — the shared feature maps a worker thread's tile reads and
 * writes: each such input's part of `r` is copied into engine memory, the
 * kernel runs there, the result is copied back. The same bits as either
 * kernel; the copies cost a fraction of the TypeScript loop (a residual add
 * on a tile of a shared map ran ~10× slower there than in engine memory).
 * An input axis of size 1 (broadcast) is staged at size 1. Returns false,
 * having done nothing, for a small region, when every operand is in engine
 * memory already, or when `run` declines.
 */
export function withEngineOperands(inputs: readonly Tensor[], out: Tensor, r: Region, run: (inputs: readonly Tensor[], out: Tensor) => boolean): boolean {
  // Nothing to stage (all in engine memory already) declines too, so a kernel may call this from its own fallback.
  if (regionVolume(r) < MIN_STAGED || (inEngine(out) && inputs.every(inEngine))) return false;
  const temps: Tensor[] = [];
  try {
    const staged = inputs.map((t) => {
      if (inEngine(t)) return t;
      const d = t.dims4();
      const tr: Region = {
        n0: d[0] === 1 ? 0 : r.n0, n1: d[0] === 1 ? 1 : r.n1, c0: d[1] === 1 ? 0 : r.c0, c1: d[1] === 1 ? 1 : r.c1,
        y0: d[2] === 1 ? 0 : r.y0, y1: d[2] === 1 ? 1 : r.y1, x0: d[3] === 1 ? 0 : r.x0, x1: d[3] === 1 ? 1 : r.x1,
      };
      const p = enginePartial(t.shape, tr);
      temps.push(p);
      copyRegion(t, p, tr);
      return p;
    });
    const target = inEngine(out) ? out : enginePartial(out.shape, r);
    if (target !== out) temps.push(target);
    if (!run(staged, target)) return false;
    if (target !== out) copyRegion(target, out, r);
    return true;
  } finally {
    temps.forEach(releaseEngineTensor);
  }
}
