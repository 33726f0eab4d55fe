import { padSource, type PadSpec } from '@tessera/tensor';
import { kernelSource, lit, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/**
 * Each output element: the input element it comes from, or the pad value (the
 * spec was checked by outputShape). reflect / edge: a gather through per-row
 * and per-column tables of source cells (padSource, as the CPU kernels).
 */
export const padGpu: GpuOpBuilder<PadSpec> = ({ spec, inputs, region: r }) => {
  const x = inputs[0]!;
  const [, c, h, w] = x.shape as [number, number, number, number];
  const mode = spec.mode ?? 'constant';
  if (mode !== 'constant') {
    const cells = (o0: number, o1: number, pad: number, size: number): Float32Array => Float32Array.from({ length: o1 - o0 }, (_, i) => padSource(o0 + i - pad, size, mode));
    const body = `${threadDecl(r)}
  const iy = w0[oy - ry0];
  const ix = w1[ox - rx0];
  return ${readInput(0, x, 'on', 'oc', 'iy', 'ix')};`;
    return { source: kernelSource(1, 2, body), weights: [cells(r.y0, r.y1, spec.top, h), cells(r.x0, r.x1, spec.left, w)] };
  }
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
