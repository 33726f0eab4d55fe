import { TesseraError } from '../errors.js';
import { checkSize } from '../alloc.js';
import { fullRegion, type Region } from '../region.js';
import type { Tensor } from '../tensor.js';
import { invokeOp, shapesOfWeights } from './invoke.js';
import { conv2dOp } from './conv2d/index.js';
import type { Conv2dSpec } from './conv2d/spec.js';
import { conv2dTransposeOp } from './conv-transpose/index.js';
import type { Conv2dTransposeSpec } from './conv-transpose/spec.js';
import { avgPoolOp, globalAvgPoolOp, globalMaxPoolOp, l2PoolOp, maxPoolOp } from './pool/index.js';
import type { GlobalPoolSpec, Pool2dSpec } from './pool/spec.js';
import { hardSigmoidOp, hardSwishOp, leakyReluOp, preluOp, relu6Op, reluOp, sigmoidOp, tanhOp } from './activation/index.js';
import type { ActivationSpec } from './activation/spec.js';
import { scaleShiftOp } from './scale-shift/index.js';
import type { ScaleShiftSpec } from './scale-shift/spec.js';
import { addOp } from './add/index.js';
import type { AddSpec } from './add/spec.js';
import { binaryOp } from './binary/index.js';
import type { BinarySpec } from './binary/spec.js';
import { concatOp } from './concat/index.js';
import type { ConcatSpec } from './concat/spec.js';
import { padOp } from './pad/index.js';
import type { PadSpec } from './pad/spec.js';
import { resizeOp } from './resize/index.js';
import type { ResizeSpec } from './resize/spec.js';
import { denseOp } from './dense/index.js';
import type { DenseSpec } from './dense/spec.js';
import { softmaxOp } from './softmax/index.js';
import type { SoftmaxSpec } from './softmax/spec.js';
import type { OpDef, Weights } from './op.js';

/** Every op spec Tessera can run: the vocabulary of models, plans, GPU kernels and wire messages. */
export type OpSpec =
  | Conv2dSpec | Conv2dTransposeSpec | Pool2dSpec | GlobalPoolSpec | ActivationSpec | ScaleShiftSpec
  | AddSpec | BinarySpec | ConcatSpec | PadSpec | ResizeSpec | DenseSpec | SoftmaxSpec;

export type OpType = OpSpec['op'];

const OPS: Readonly<Record<OpType, OpDef<any>>> = sized({
  conv2d: conv2dOp, conv2dTranspose: conv2dTransposeOp,
  maxPool: maxPoolOp, avgPool: avgPoolOp, l2Pool: l2PoolOp,
  globalAvgPool: globalAvgPoolOp, globalMaxPool: globalMaxPoolOp,
  relu: reluOp, leakyRelu: leakyReluOp, relu6: relu6Op, sigmoid: sigmoidOp, tanh: tanhOp,
  prelu: preluOp, hardSigmoid: hardSigmoidOp, hardSwish: hardSwishOp,
  scaleShift: scaleShiftOp, add: addOp, binary: binaryOp, concat: concatOp, pad: padOp,
  resize: resizeOp, dense: denseOp, softmax: softmaxOp,
});

/**
 * Every op's outputShape, as models and plans see it, also refuses an output
 * no tensor can hold (RESOURCE_EXHAUSTED): a layer padding or resizing to
 * 1e6² fails when the model's shapes are inferred, not at allocation.
 */
function sized(ops: Record<OpType, OpDef<any>>): Record<OpType, OpDef<any>> {
  const out = {} as Record<OpType, OpDef<any>>;
  for (const [k, def] of Object.entries(ops) as [OpType, OpDef<any>][]) {
    out[k] = { ...def, outputShape: (spec, inputs, weights) => {
      const shape = def.outputShape(spec, inputs, weights);
      checkSize(shape, `${def.op} output`);
      return shape;
    } };
  }
  return out;
}

export const OP_TYPES: readonly OpType[] = Object.freeze(Object.keys(OPS) as OpType[]);

export function isOpType(t: unknown): t is OpType {
  return typeof t === 'string' && Object.prototype.hasOwnProperty.call(OPS, t);
}

/** The definition of an op type; BAD_MODEL for an unknown type (a model or message naming an op we do not have). */
export function getOp<S extends OpSpec>(op: S['op']): OpDef<S> {
  if (!isOpType(op)) {
    throw new TesseraError('BAD_MODEL', `unknown op '${String(op)}'; known ops: ${OP_TYPES.join(', ')}`, { op });
  }
  return OPS[op] as OpDef<S>;
}

/** Shapes of named weights (the one implementation lives with the kernels' checks). */
export { shapesOfWeights as weightShapes };

export type Impl = 'fast' | 'reference';

/**
 * Runs one op on `region` of `out` (default: all of it). Every kernel checks
 * its spec, shapes and region itself before touching memory.
 */
export function runOp(spec: OpSpec, inputs: readonly Tensor[], weights: Weights, out: Tensor, region?: Region, impl: Impl = 'fast'): Tensor {
  getOp(spec.op)[impl](inputs, weights, spec, out, region ?? fullRegion(out.shape));
  return out;
}

/** Allocates the output and runs the whole op. */
export function applyOp(spec: OpSpec, inputs: readonly Tensor[], weights: Weights = {}, impl: Impl = 'fast'): Tensor {
  return invokeOp(getOp(spec.op), spec, inputs, weights, undefined, undefined, impl);
}
