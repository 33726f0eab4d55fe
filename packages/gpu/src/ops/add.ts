import type { AddSpec } from '@tessera/tensor';
import { kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/** x0 + x1 + … left to right; one kernel argument per input, however many there are. */
export const addGpu: GpuOpBuilder<AddSpec> = ({ inputs, region: r }) => {
  const terms = inputs.map((l, i) => readInput(i, l, 'on', 'oc', 'oy', 'ox'));
  const body = `${threadDecl(r)}
  let s = ${terms[0]};
  ${terms.slice(1).map((t) => `s += ${t};`).join('\n  ')}
  return s;`;
  return { source: kernelSource(inputs.length, 0, body), weights: [] };
};
