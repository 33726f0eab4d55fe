import type { SoftmaxSpec } from '@tessera/tensor';
import { kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/** Per pixel: max over all C channels, sum of shifted exps, then this channel (whatever channels the region asks for). */
export const softmaxGpu: GpuOpBuilder<SoftmaxSpec> = ({ inputs, region: r }) => {
  const x = inputs[0]!;
  const c = x.shape[1]!;
  const at = (ch: string): string => readInput(0, x, 'on', ch, 'oy', 'ox');
  const body = `${threadDecl(r)}
  let m = ${at('0')};
  for (let j = 1; j < ${c}; j++) {
    m = Math.max(m, ${at('j')});
  }
  let sum = 0.0;
  for (let j = 0; j < ${c}; j++) {
    sum += Math.exp(${at('j')} - m);
  }
  return Math.exp(${at('oc')} - m) / sum;`;
  return { source: kernelSource(1, 0, body), weights: [] };
};
