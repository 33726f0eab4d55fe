import type { ActivationSpec } from '@tessera/tensor';
import { kernelSource, lit, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/** The activation of `v` as kernel statements assigning `r` (same formulas as the reference `activate`). */
export function activationCode(spec: ActivationSpec): string {
  switch (spec.op) {
    case 'relu': return 'let r = 0.0; if (v > 0.0) { r = v; }';
    case 'leakyRelu': return `let r = v; if (v < 0.0) { r = v * ${lit(spec.alpha)}; }`;
    case 'relu6': return 'let r = Math.min(Math.max(v, 0.0), 6.0);';
    // Never exp of a large positive number, as the reference.
    case 'sigmoid': return 'let r = 0.0; if (v >= 0.0) { r = 1.0 / (1.0 + Math.exp(-v)); } else { const e = Math.exp(v); r = e / (1.0 + e); }';
    // tanh from one exp of a non-positive number (GLSL ES 1.0 has no tanh): no overflow.
    case 'tanh': return 'const e = Math.exp(-2.0 * Math.abs(v)); let r = (1.0 - e) / (1.0 + e); if (v < 0.0) { r = -r; }';
  }
}

export const activationGpu: GpuOpBuilder<ActivationSpec> = ({ spec, inputs, region: r }) => {
  const body = `${threadDecl(r)}
  const v = ${readInput(0, inputs[0]!, 'on', 'oc', 'oy', 'ox')};
  ${activationCode(spec)}
  return r;`;
  return { source: kernelSource(1, 0, body), weights: [] };
};
