import type { ActivationSpec } from '@tessera/tensor';
import { flatWeight, kernelSource, lit, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/** The activation of `v` as kernel statements assigning `r` (same formulas as the reference `activate`). */
export function activationCode(spec: ActivationSpec): string {
  switch (spec.op) {
    // prelu's slope for this channel is `s` (activationGpu reads it from w0).
    case 'prelu': return 'let r = v; if (v < 0.0) { r = v * s; }';
    case 'hardSigmoid': return `let r = Math.min(Math.max(${lit(spec.alpha)} * v + ${lit(spec.beta)}, 0.0), 1.0);`;
    case 'hardSwish': return 'let r = v * Math.min(Math.max(v / 6.0 + 0.5, 0.0), 1.0);';
    case 'relu': return 'let r = 0.0; if (v > 0.0) { r = v; }';
    case 'leakyRelu': return `let r = v; if (v < 0.0) { r = v * ${lit(spec.alpha)}; }`;
    case 'relu6': return 'let r = Math.min(Math.max(v, 0.0), 6.0);';
    // Never exp of a large positive number, as the reference.
    case 'sigmoid': return 'let r = 0.0; if (v >= 0.0) { r = 1.0 / (1.0 + Math.exp(-v)); } else { const e = Math.exp(v); r = e / (1.0 + e); }';
    // tanh from one exp of a non-positive number (GLSL ES 1.0 has no tanh): no overflow.
    case 'tanh': return 'const e = Math.exp(-2.0 * Math.abs(v)); let r = (1.0 - e) / (1.0 + e); if (v < 0.0) { r = -r; }';
  }
}

export const activationGpu: GpuOpBuilder<ActivationSpec> = ({ spec, inputs, region: r, weights }) => {
  const slope = spec.op === 'prelu' ? weights.slope! : undefined;
  const body = `${threadDecl(r)}
  const v = ${readInput(0, inputs[0]!, 'on', 'oc', 'oy', 'ox')};
  ${slope ? `const s = w0[${slope.shape[0] === 1 ? '0' : 'oc'}];` : ''}
  ${activationCode(spec)}
  return r;`;
  return slope ? { source: kernelSource(1, 1, body), weights: [flatWeight(slope)] } : { source: kernelSource(1, 0, body), weights: [] };
};
