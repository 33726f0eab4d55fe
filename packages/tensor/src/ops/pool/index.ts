import { TesseraError } from '../../errors.js';
import type { Region } from '../../region.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { invokeOp } from '../invoke.js';
import type { OpDef, WeightShapes } from '../op.js';
import type { WindowSpec } from '../window.js';
import { globalPoolFast, poolFast } from './fast.js';
import { globalPoolReference, poolReference } from './reference.js';
import {
  globalPoolFlops, globalPoolInputRegion, globalPoolOutputShape, poolFlops, poolGeometry, poolInputRegion, poolOutputShape,
  type GlobalPoolOp, type GlobalPoolSpec, type Pool2dSpec, type PoolOp,
} from './spec.js';

export type { GlobalPoolOp, GlobalPoolSpec, Pool2dSpec, PoolOp } from './spec.js';
export { poolGeometry, tapRange } from './spec.js';

/** Each OpDef accepts only its own op name, so a spec can never run the wrong pooling. */
function ownOp(def: string, spec: { op?: unknown } | null | undefined): void {
  if (spec && typeof spec === 'object' && spec.op !== def) {
    throw new TesseraError('BAD_ARGUMENT', `${def} got a spec for ${JSON.stringify(spec.op)}`, { op: spec.op });
  }
}

function poolDef(op: PoolOp): OpDef<Pool2dSpec> {
  return {
    op,
    arity: 1,
    weightNames: [],
    requiredWeights: [],
    outputShape: (spec: Pool2dSpec, inputs: readonly Shape[], weights: WeightShapes) => {
      ownOp(op, spec);
      return poolOutputShape(spec, inputs, weights);
    },
    inputRegion: (spec: Pool2dSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
      index === 0 ? poolInputRegion(spec, out, inputs) : null,
    window: (spec: Pool2dSpec, inputs: readonly Shape[]) => poolGeometry(spec, inputs[0]!),
    flops: poolFlops,
    reference: poolReference,
    fast: poolFast,
  };
}

function globalPoolDef(op: GlobalPoolOp): OpDef<GlobalPoolSpec> {
  return {
    op,
    arity: 1,
    weightNames: [],
    requiredWeights: [],
    outputShape: (spec: GlobalPoolSpec, inputs: readonly Shape[], weights: WeightShapes) => {
      ownOp(op, spec);
      return globalPoolOutputShape(spec, inputs, weights);
    },
    inputRegion: (spec: GlobalPoolSpec, out: Region, inputs: readonly Shape[], _outShape: Shape, index: number) =>
      index === 0 ? globalPoolInputRegion(spec, out, inputs) : null,
    window: () => null,
    flops: globalPoolFlops,
    reference: globalPoolReference,
    fast: globalPoolFast,
  };
}

export const maxPoolOp = poolDef('maxPool');
export const avgPoolOp = poolDef('avgPool');
export const l2PoolOp = poolDef('l2Pool');
export const globalAvgPoolOp = globalPoolDef('globalAvgPool');
export const globalMaxPoolOp = globalPoolDef('globalMaxPool');

/** Max over each window; padded cells are ignored. Stride defaults to the kernel. */
export function maxPool(input: Tensor, window: WindowSpec, out?: Tensor, region?: Region): Tensor {
  return invokeOp(maxPoolOp, { ...window, op: 'maxPool' }, [input], {}, out, region, 'fast');
}
export function maxPoolRef(input: Tensor, window: WindowSpec, out?: Tensor, region?: Region): Tensor {
  return invokeOp(maxPoolOp, { ...window, op: 'maxPool' }, [input], {}, out, region, 'reference');
}

/** Mean over the real (non-padded) cells of each window. */
export function avgPool(input: Tensor, window: WindowSpec, out?: Tensor, region?: Region): Tensor {
  return invokeOp(avgPoolOp, { ...window, op: 'avgPool' }, [input], {}, out, region, 'fast');
}
export function avgPoolRef(input: Tensor, window: WindowSpec, out?: Tensor, region?: Region): Tensor {
  return invokeOp(avgPoolOp, { ...window, op: 'avgPool' }, [input], {}, out, region, 'reference');
}

/** sqrt of the sum of squares over the real cells of each window (the seed's L2 pooling). */
export function l2Pool(input: Tensor, window: WindowSpec, out?: Tensor, region?: Region): Tensor {
  return invokeOp(l2PoolOp, { ...window, op: 'l2Pool' }, [input], {}, out, region, 'fast');
}
export function l2PoolRef(input: Tensor, window: WindowSpec, out?: Tensor, region?: Region): Tensor {
  return invokeOp(l2PoolOp, { ...window, op: 'l2Pool' }, [input], {}, out, region, 'reference');
}

/** Mean over H×W per channel: [N, C, H, W] → [N, C, 1, 1]. */
export function globalAvgPool(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(globalAvgPoolOp, { op: 'globalAvgPool' }, [input], {}, out, region, 'fast');
}
export function globalAvgPoolRef(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(globalAvgPoolOp, { op: 'globalAvgPool' }, [input], {}, out, region, 'reference');
}

/** Max over H×W per channel: [N, C, H, W] → [N, C, 1, 1]. */
export function globalMaxPool(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(globalMaxPoolOp, { op: 'globalMaxPool' }, [input], {}, out, region, 'fast');
}
export function globalMaxPoolRef(input: Tensor, out?: Tensor, region?: Region): Tensor {
  return invokeOp(globalMaxPoolOp, { op: 'globalMaxPool' }, [input], {}, out, region, 'reference');
}
