import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef } from '../op.js';
import { resizeFast } from './fast.js';
import { resizeReference } from './reference.js';
import { resizeFlops, resizeInputRegion, resizeOutputShape, type ResizeSpec } from './spec.js';

export type { ResizeSpec, ResizeInterpolation, NearestCoordinates, NearestRounding } from './spec.js';
export { resizeScale, resizeSource, nearestSource, NEAREST_COORDINATES, NEAREST_ROUNDINGS } from './spec.js';

export const resizeOp: OpDef<ResizeSpec> = {
  op: 'resize',
  arity: 1,
  weightNames: [],
  requiredWeights: [],
  outputShape: resizeOutputShape,
  inputRegion: (spec: ResizeSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
    index === 0 ? resizeInputRegion(spec, out, inputs) : null,
  window: () => null,
  flops: resizeFlops,
  reference: resizeReference,
  fast: resizeFast,
};

export type ResizeOptions = Omit<ResizeSpec, 'op'>;

/** Resize to height×width: bilinear exactly as TensorFlow's resizeBilinear (defaults: alignCorners and halfPixelCenters false), or `mode: 'nearest'`. */
export function resizeBilinear(input: Tensor, size: ResizeOptions, out?: Tensor, region?: Region): Tensor {
  return invokeOp(resizeOp, { ...size, op: 'resize' }, [input], {}, out, region, 'fast');
}
export function resizeBilinearRef(input: Tensor, size: ResizeOptions, out?: Tensor, region?: Region): Tensor {
  return invokeOp(resizeOp, { ...size, op: 'resize' }, [input], {}, out, region, 'reference');
}
