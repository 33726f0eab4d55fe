import type { ScaleShiftSpec } from '@tessera/tensor';
import { flatWeight, kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/** out = x·scale[c] (+ shift[c]); the vectors are passed sliced to the region's channels. */
export const scaleShiftGpu: GpuOpBuilder<ScaleShiftSpec> = ({ inputs, region: r, weights }) => {
  const ws = [flatWeight(weights.scale!, r.c0, r.c1)];
  if (weights.shift) ws.push(flatWeight(weights.shift, r.c0, r.c1));
  const body = `${threadDecl(r)}
  const v = ${readInput(0, inputs[0]!, 'on', 'oc', 'oy', 'ox')};
  return ${weights.shift ? `v * w0[oc - rc0] + w1[oc - rc0]` : `v * w0[oc - rc0]`};`;
  return { source: kernelSource(1, ws.length, body), weights: ws };
};
