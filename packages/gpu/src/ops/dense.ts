import type { DenseSpec } from '@tessera/tensor';
import { flatWeight, kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/**
 * out[n, f] = Σ_k x[n, k]·W[k, f] + bias[f], k = (c·H + y)·W + x ascending.
 * Output [N, F] is NC11, so the region's channels are the features f.
 */
export const denseGpu: GpuOpBuilder<DenseSpec> = ({ inputs, region: r, weights }) => {
  const x = inputs[0]!;
  const [, c, h, w] = x.shape.length === 4 ? (x.shape as [number, number, number, number]) : [x.shape[0]!, x.shape[1]!, 1, 1];
  const f = weights.weight!.shape[1]!;
  const ws = [flatWeight(weights.weight!)];
  if (weights.bias) ws.push(flatWeight(weights.bias));
  const body = `${threadDecl(r)}
  let acc = 0.0;
  for (let ci = 0; ci < ${c}; ci++) {
    for (let y = 0; y < ${h}; y++) {
      for (let xx = 0; xx < ${w}; xx++) {
        acc += ${readInput(0, x, 'on', 'ci', 'y', 'xx')} * w0[((ci * ${h} + y) * ${w} + xx) * ${f} + oc];
      }
    }
  }
  ${weights.bias ? 'acc += w1[oc];' : ''}
  return acc;`;
  return { source: kernelSource(1, ws.length, body), weights: ws };
};
