import type { Region } from '../region.js';
import type { Tensor } from '../tensor.js';
import { engineAddress } from './tensors.js';
import { guarded, kernelEngine, scratch } from './wasm.js';

/*
 * Nearest resize (kernels/resize.c) on feature maps in engine memory, read
 * and written in place. Returns false, having done nothing, when the input or
 * the output is elsewhere or the output's columns are not at unit stride:
 * ops/resize/fast.ts copies the same cells then.
 */

/** Words of the NearestCall struct. */
const CALL_WORDS = 15;

/**
 * Copies the cells `ys` (element offsets of source rows, per output row of
 * `r`) × `xs` (of source columns, per output column) of x into out's region;
 * `repeat` as ops/resize/fast.ts's repeatOf (factor 0: gather).
 */
export function engineNearest(x: Tensor, out: Tensor, r: Region, ys: Int32Array, xs: Int32Array, repeat: { factor: number; phase: number }): boolean {
  const [sn, sc] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  if (ow !== 1) return false;
  const src = engineAddress(x, r.n0, r.c0, 0, 0), dst = engineAddress(out, r.n0, r.c0, r.y0, r.x0);
  if (src < 0 || dst < 0) return false;
  guarded('resize', r, () => {
    const e = kernelEngine();
    const ny = ys.length, nx = xs.length;
    const base = scratch(e, (CALL_WORDS + ny + nx) * 4 + 64);
    const imem = e.i32();
    const i = base / 4, yAt = i + CALL_WORDS, xAt = yAt + ny;
    imem.set(ys, yAt);
    imem.set(xs, xAt);
    imem[i] = src; imem[i + 1] = dst; imem[i + 2] = yAt * 4; imem[i + 3] = xAt * 4;
    imem[i + 4] = r.n1 - r.n0; imem[i + 5] = r.c1 - r.c0; imem[i + 6] = ny; imem[i + 7] = nx;
    imem[i + 8] = sn; imem[i + 9] = sc;
    imem[i + 10] = on; imem[i + 11] = oc; imem[i + 12] = oh;
    imem[i + 13] = repeat.factor; imem[i + 14] = repeat.phase;
    e.k.resize_nearest(base);
  });
  return true;
}
