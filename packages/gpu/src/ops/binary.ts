import type { BinarySpec } from '@tessera/tensor';
import { kernelSource, readInput, threadDecl, type GpuOpBuilder, type InputLayout } from './source.js';

const SIGN = { add: '+', sub: '-', mul: '*', div: '/' } as const;

/** a ∘ b; an input with size 1 along an axis is read at position 0 there (broadcasting). */
export const binaryGpu: GpuOpBuilder<BinarySpec> = ({ spec, inputs, region: r }) => {
  const at = (i: number, t: InputLayout): string => {
    const [n, c, h = 1, w = 1] = t.shape;
    return readInput(i, t, n === 1 ? '0' : 'on', c === 1 ? '0' : 'oc', h === 1 ? '0' : 'oy', w === 1 ? '0' : 'ox');
  };
  const body = `${threadDecl(r)}
  return ${at(0, inputs[0]!)} ${SIGN[spec.fn]} ${at(1, inputs[1]!)};`;
  return { source: kernelSource(2, 0, body), weights: [] };
};
