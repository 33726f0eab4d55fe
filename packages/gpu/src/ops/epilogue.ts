import { epilogueActivation, type EpilogueSpec, type Region, type Weights } from '@tessera/tensor';
import { activationCode } from './activation.js';
import { flatWeight } from './source.js';

/**
 * The fused epilogue of conv2d and dense (tensor's ops/epilogue.ts) as kernel
 * statements on `acc`, after its bias: acc·scale[c] + shift[c], then the
 * activation, then acc·postScale[c] + postShift[c]. A model fused by nn's fuseLayers carries these; the GPU must
 * never drop them. `ws` gets the scale and shift slices of the region's
 * channels (kernel weights w<k>, from the current length of `ws`).
 */
export function epilogueCode(spec: EpilogueSpec, weights: Weights, r: Region, ws: Float32Array[]): string {
  const lines: string[] = [];
  if (weights.scale) {
    const s = ws.length;
    ws.push(flatWeight(weights.scale, r.c0, r.c1), flatWeight(weights.shift!, r.c0, r.c1));
    lines.push(`acc = acc * w${s}[oc - rc0] + w${s + 1}[oc - rc0];`);
  }
  const act = epilogueActivation(spec);
  if (act) {
    // No nested block: gpu.js's GLSL translation is safest with flat statements; the kernels use no `v` or `r` of their own.
    lines.push(`const v = acc; ${activationCode(act)} acc = r;`);
  }
  if (weights.postScale) {
    const s = ws.length;
    ws.push(flatWeight(weights.postScale, r.c0, r.c1), flatWeight(weights.postShift!, r.c0, r.c1));
    lines.push(`acc = acc * w${s}[oc - rc0] + w${s + 1}[oc - rc0];`);
  }
  return lines.join('\n  ');
}
