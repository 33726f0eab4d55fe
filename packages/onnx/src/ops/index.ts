import type { OnnxNode } from '../proto.js';
import type { ImportContext } from '../context.js';
import { activation } from './activation.js';
import { arith, concat } from './arith.js';
import { batchNormalization } from './batch-norm.js';
import { gemm, matMul, softmax } from './classifier.js';
import { conv } from './conv.js';
import { convTranspose } from './conv-transpose.js';
import { cast, concatConstants, constantNode, gather, shape, slice } from './fold.js';
import { pad } from './pad.js';
import { hardSwishChain } from './hard-swish-chain.js';
import { globalPool, pool } from './pool.js';
import { resize } from './resize.js';
import { scaleShiftChain } from './scale-shift-chain.js';
import { transpose } from './transpose.js';
import { flatten, passThrough, reshape, squeeze, unsqueeze } from './views.js';

export type OpHandler = (n: OnnxNode, ctx: ImportContext) => void;

/** ONNX op type (default domain) → handler: the operators Tessera imports. */
export const OP_HANDLERS: Readonly<Record<string, OpHandler>> = {
  Conv: conv, ConvTranspose: convTranspose,
  BatchNormalization: batchNormalization,
  Relu: activation, LeakyRelu: activation, PRelu: activation, HardSigmoid: activation, HardSwish: activation, Sigmoid: activation, Tanh: activation, Clip: activation,
  // x · Clip(x + 3, 0, 6) / 6 becomes one hardSwish layer; any other Add is arithmetic.
  // x · c + d (per-channel or scalar constants) becomes one scaleShift.
  Add: (n, ctx) => { if (!hardSwishChain(n, ctx)) arith(n, ctx); }, Sub: arith,
  Mul: (n, ctx) => { if (!scaleShiftChain(n, ctx)) arith(n, ctx); }, Div: (n, ctx) => { if (!scaleShiftChain(n, ctx)) arith(n, ctx); },
  Concat: (n, ctx) => ((n.input ?? []).every((i) => ctx.values.get(i)?.kind === 'const') ? concatConstants(n, ctx) : concat(n, ctx)),
  MaxPool: pool, AveragePool: pool, LpPool: pool, GlobalAveragePool: globalPool, GlobalMaxPool: globalPool,
  Flatten: flatten, Reshape: reshape, Squeeze: squeeze, Unsqueeze: unsqueeze, Transpose: transpose,
  Pad: pad, Resize: resize, Upsample: resize,
  Gemm: gemm, MatMul: matMul, Softmax: softmax,
  Dropout: passThrough, Identity: passThrough,
  Constant: constantNode, Shape: shape, Gather: gather, Cast: cast, Slice: slice,
};
