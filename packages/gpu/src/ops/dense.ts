import type { DenseSpec } from '@tessera/tensor';
import { epilogueCode } from './epilogue.js';
import { flatWeight, kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/**
 * out[n, f] = Σ_k x[n, k]·W[k, f] + bias[f], k = (c·H + y)·W + x ascending,
 * then scale/shift and the activation when the spec carries them (epilogue.ts).
 * Output [N, F] is NC11, so the region's channels are the features f. A
 * region of some features gets only those columns of W (copied to
 * [K, f1 − f0]), so a weight too big for one texture fits once the features
 * are split.
 */
export const denseGpu: GpuOpBuilder<DenseSpec> = ({ spec, inputs, region: r, weights }) => {
  const x = inputs[0]!;
  const [, c, h, w] = x.shape.length === 4 ? (x.shape as [number, number, number, number]) : [x.shape[0]!, x.shape[1]!, 1, 1];
  const f = weights.weight!.shape[1]!;
  const rf = r.c1 - r.c0;
  const ws = [rf === f ? flatWeight(weights.weight!) : columns(flatWeight(weights.weight!), f, r.c0, r.c1)];
  if (weights.bias) ws.push(flatWeight(weights.bias, r.c0, r.c1));
  const epilogue = epilogueCode(spec, weights, r, ws);
  const body = `${threadDecl(r)}
  let acc = 0.0;
  for (let ci = 0; ci < ${c}; ci++) {
    for (let y = 0; y < ${h}; y++) {
      for (let xx = 0; xx < ${w}; xx++) {
        acc += ${readInput(0, x, 'on', 'ci', 'y', 'xx')} * w0[((ci * ${h} + y) * ${w} + xx) * ${rf} + (oc - rc0)];
      }
    }
  }
  ${weights.bias ? 'acc += w1[oc - rc0];' : ''}
  ${epilogue}
  return acc;`;
  return { source: kernelSource(1, ws.length, body), weights: ws };
};

/** Columns [f0, f1) of a row-major [K, F] matrix, as a [K, f1 − f0] matrix. */
function columns(w: Float32Array, f: number, f0: number, f1: number): Float32Array {
  const k = w.length / f, rf = f1 - f0;
  const out = new Float32Array(k * rf);
  for (let i = 0; i < k; i++) out.set(w.subarray(i * f + f0, i * f + f1), i * rf);
  return out;
}
