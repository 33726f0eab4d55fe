import {
  TesseraError, fmtRegion, fmtShape, getOp, regionVolume, weightShapes, type OpSpec, type Region, type Shape, type Weights,
} from '@tessera/tensor';
import type { DeviceValue, GpuBackend } from './gpu-backend.js';
import { cropBox, pasteBox } from './layout.js';
import { gpuOpBuilder, type GpuKernelPlan } from './ops/index.js';

/** A one-element stand-in for an input a part does not read (its kernel has no code reading it). */
const UNREAD: Region = { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 1, x0: 0, x1: 1 };

function plan(spec: OpSpec, shapes: readonly Shape[], boxes: readonly Region[], outShape: Shape, region: Region, weights: Weights): GpuKernelPlan {
  const build = gpuOpBuilder(spec.op);
  if (!build) throw new TesseraError('BAD_MODEL', `no GPU kernel for op '${String(spec.op)}'`, { op: spec.op });
  return build({ spec, inputs: shapes.map((shape, i) => ({ shape, box: boxes[i]! })), outShape, region, weights });
}

/**
 * Computes `region` of op `spec` on the GPU. The output shape is validated
 * first (the same checks as the CPU kernels). When the region, an input or a
 * weight slice is larger than one texture, the region is cut into parts that
 * fit: each part's inputs are the rectangles it reads (`OpDef.inputRegion`),
 * cropped on the host and uploaded, and its result is read back into a host
 * array. Otherwise one kernel runs and, on GL, the result stays a texture.
 */
export function computeOp(
  be: GpuBackend, spec: OpSpec, weights: Weights, inputs: readonly DeviceValue[], region: Region, what: string,
  beforePart?: () => void,
): DeviceValue {
  const def = getOp(spec.op);
  const shapes = inputs.map((v) => v.shape);
  const outShape = def.outputShape(spec, shapes, weightShapes(weights));
  const cap = be.capacity;
  const whole = inputs.every((v) => regionVolume(v.box) <= cap) && regionVolume(region) <= cap;
  if (whole) {
    const p = plan(spec, shapes, inputs.map((v) => v.box), outShape, region, weights);
    if (p.weights.every((w) => w.length <= cap)) return be.launch(p, inputs, outShape, region, what);
  }
  be.stats.splitLayers++;
  const hostIns = inputs.map((v) => be.read(v));
  const out = new Float32Array(regionVolume(region));
  const local = (r: Region): Region => ({
    n0: r.n0 - region.n0, n1: r.n1 - region.n0, c0: r.c0 - region.c0, c1: r.c1 - region.c0,
    y0: r.y0 - region.y0, y1: r.y1 - region.y0, x0: r.x0 - region.x0, x1: r.x1 - region.x0,
  });
  const regionShape = [region.n1 - region.n0, region.c1 - region.c0, region.y1 - region.y0, region.x1 - region.x0];
  const parts = splitToFit(region, cap, (part) => {
    const boxes = inputs.map((_, i) => def.inputRegion(spec, part, shapes, outShape, i) ?? UNREAD);
    const p = plan(spec, shapes, boxes, outShape, part, weights);
    const big = [...boxes.map(regionVolume), ...p.weights.map((w) => w.length)].some((n) => n > cap);
    return big ? (boxes.some((b) => regionVolume(b) > cap) ? 'input' : 'weight') : regionVolume(part) > cap ? 'output' : null;
  }, what, outShape);
  for (const part of parts) {
    beforePart?.();
    const boxes = inputs.map((_, i) => def.inputRegion(spec, part, shapes, outShape, i) ?? UNREAD);
    const partIns = boxes.map((b, i) => be.hostValue(b === UNREAD ? new Float32Array(1) : cropBox(hostIns[i]!, shapes[i]!, b, inputs[i]!.box), shapes[i]!, b));
    const p = plan(spec, shapes, boxes, outShape, part, weights);
    const res = be.launch(p, partIns, outShape, part, `${what} part ${fmtRegion(part)}`);
    try {
      pasteBox(be.read(res), out, regionShape, local(part));
    } finally {
      be.release(res);
    }
  }
  return be.hostValue(out, outShape, region);
}

type Overflow = 'input' | 'weight' | 'output' | null;

/**
 * Bisects `region` until every part fits: along y/x/n when an input is too
 * big (most ops read all input channels), along c when a weight slice is,
 * along the longest axis otherwise.
 */
function splitToFit(region: Region, cap: number, overflow: (r: Region) => Overflow, what: string, outShape: Shape): Region[] {
  const out: Region[] = [];
  const todo = [region];
  while (todo.length) {
    const r = todo.pop()!;
    const why = overflow(r);
    if (!why) {
      out.push(r);
      continue;
    }
    const ext = { n: r.n1 - r.n0, c: r.c1 - r.c0, y: r.y1 - r.y0, x: r.x1 - r.x0 };
    const prefer: ('n' | 'c' | 'y' | 'x')[] = why === 'input' ? ['y', 'x', 'n'] : why === 'weight' ? ['c'] : ['y', 'x', 'c', 'n'];
    let axis = prefer.filter((a) => ext[a] > 1).sort((a, b) => ext[b] - ext[a])[0];
    axis ??= (['y', 'x', 'c', 'n'] as const).filter((a) => ext[a] > 1).sort((a, b) => ext[b] - ext[a])[0];
    if (!axis) {
      throw new TesseraError('UNAVAILABLE',
        `${what}: one output element of ${fmtShape(outShape)} needs an ${why} larger than a texture (${cap} elements, maxTextureSize ${Math.sqrt(cap)})`,
        { capacity: cap });
    }
    const lo = r[`${axis}0`], mid = lo + Math.floor(ext[axis] / 2);
    todo.push({ ...r, [`${axis}1`]: mid }, { ...r, [`${axis}0`]: mid });
  }
  return out.sort((a, b) => a.n0 - b.n0 || a.c0 - b.c0 || a.y0 - b.y0 || a.x0 - b.x0);
}
