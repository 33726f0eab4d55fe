import type { OpSpec, OpType } from '@tessera/tensor';
import { activationGpu } from './activation.js';
import { addGpu } from './add.js';
import { binaryGpu } from './binary.js';
import { concatGpu } from './concat.js';
import { conv2dGpu } from './conv2d.js';
import { conv2dTransposeGpu } from './conv-transpose.js';
import { denseGpu } from './dense.js';
import { padGpu } from './pad.js';
import { globalPoolGpu, poolGpu } from './pool.js';
import { resizeGpu } from './resize.js';
import { scaleShiftGpu } from './scale-shift.js';
import { softmaxGpu } from './softmax.js';
import type { GpuOpBuilder } from './source.js';

export type { GpuOpBuilder, GpuKernelPlan, GpuKernelRequest, InputLayout } from './source.js';

/** The GPU kernel builder of every op type; typed as a full Record so a new op type fails to compile until it has one. */
export const GPU_OPS: Readonly<Record<OpType, GpuOpBuilder<any>>> = Object.freeze({
  conv2d: conv2dGpu, conv2dTranspose: conv2dTransposeGpu,
  maxPool: poolGpu, avgPool: poolGpu, l2Pool: poolGpu,
  globalAvgPool: globalPoolGpu, globalMaxPool: globalPoolGpu,
  relu: activationGpu, leakyRelu: activationGpu, relu6: activationGpu, sigmoid: activationGpu, tanh: activationGpu,
  prelu: activationGpu, hardSigmoid: activationGpu, hardSwish: activationGpu,
  scaleShift: scaleShiftGpu, add: addGpu, binary: binaryGpu, concat: concatGpu, pad: padGpu,
  resize: resizeGpu, dense: denseGpu, softmax: softmaxGpu,
});

export function gpuOpBuilder<S extends OpSpec>(op: S['op']): GpuOpBuilder<S> | undefined {
  return Object.prototype.hasOwnProperty.call(GPU_OPS, op) ? (GPU_OPS[op] as GpuOpBuilder<S>) : undefined;
}
