import type { ConcatSpec } from '@tessera/tensor';
import { kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/**
 * Each output channel copies from the input that owns it. Only inputs whose
 * channels meet the region get code; the others are still arguments (a
 * part may be handed a one-element stand-in for them).
 */
export const concatGpu: GpuOpBuilder<ConcatSpec> = ({ inputs, region: r }) => {
  const branches: string[] = [];
  let base = 0;
  inputs.forEach((l, i) => {
    const c = l.shape[1]!;
    if (base < r.c1 && base + c > r.c0) {
      branches.push(`if (oc >= ${base} && oc < ${base + c}) { v = ${readInput(i, l, 'on', `oc - ${base}`, 'oy', 'ox')}; }`);
    }
    base += c;
  });
  const body = `${threadDecl(r)}
  let v = 0.0;
  ${branches.join('\n  ')}
  return v;`;
  return { source: kernelSource(inputs.length, 0, body), weights: [] };
};
