import type { PadSpec } from '@tessera/tensor';
import { kernelSource, lit, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/** Each output element: the input element it comes from, or the pad value (the spec was checked by outputShape). */
export const padGpu: GpuOpBuilder<PadSpec> = ({ spec, inputs, region: r }) => {
  const x = inputs[0]!;
  const [, c, h, w] = x.shape as [number, number, number, number];
  const cb = spec.channelsBefore ?? 0;
  const body = `${threadDecl(r)}
  const ic = oc - ${cb};
  const iy = oy - ${spec.top};
  const ix = ox - ${spec.left};
  let v = ${lit(spec.value ?? 0)};
  if (ic >= 0 && ic < ${c} && iy >= 0 && iy < ${h} && ix >= 0 && ix < ${w}) {
    v = ${readInput(0, x, 'on', 'ic', 'iy', 'ix')};
  }
  return v;`;
  return { source: kernelSource(1, 0, body), weights: [] };
};
