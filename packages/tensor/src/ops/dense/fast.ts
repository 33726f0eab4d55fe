import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Weights } from '../op.js';
import { denseOutputShape, type DenseSpec } from './spec.js';

/*
 * Blocked matrix-vector product: the input row is gathered once into a
 * contiguous buffer, then eight outputs are accumulated per pass over K,
 * reading eight adjacent weights of row k (one cache line) per step. Each
 * accumulator still sums k = 0 … K−1 in order and adds the bias last, so an
 * output's value does not depend on which block or region it falls in, and
 * equals the reference bit for bit.
 */
const BLOCK = 8;

export function denseFast(inputs: readonly Tensor[], weights: Weights, spec: DenseSpec, out: Tensor, r: Region): void {
  checkKernelCall(denseOutputShape, spec, inputs, weights, out, r, 'dense');
  const x = inputs[0]!;
  const [, c, h, w] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const K = c * h * w, F = weights.weight!.shape[1]!;
  const W = weights.weight!.toFloat32Array(); // contiguous [K, F]; copied only if strided
  const bias = weights.bias?.toFloat32Array();
  const [on, oc] = out.strides4();
  const dst = out.data, src = x.data;
  const row = new Float64Array(K);
  for (let n = r.n0; n < r.n1; n++) {
    // Gather row n in flatten order k = (c·H + y)·W + x.
    const base = x.offset + n * sn;
    if (sw === 1 && sh === w && sc === h * w) {
      for (let k = 0; k < K; k++) row[k] = src[base + k]!;
    } else {
      let k = 0;
      for (let ci = 0; ci < c; ci++)
        for (let y = 0; y < h; y++)
          for (let xx = 0, p = base + ci * sc + y * sh; xx < w; xx++, p += sw) row[k++] = src[p]!;
    }
    const orow = out.offset + n * on;
    let f = r.c0;
    for (; f + BLOCK <= r.c1; f += BLOCK) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let k = 0, p = f; k < K; k++, p += F) {
        const v = row[k]!;
        a0 += v * W[p]!; a1 += v * W[p + 1]!; a2 += v * W[p + 2]!; a3 += v * W[p + 3]!;
        a4 += v * W[p + 4]!; a5 += v * W[p + 5]!; a6 += v * W[p + 6]!; a7 += v * W[p + 7]!;
      }
      const o = orow + f * oc;
      if (bias) {
        dst[o] = a0 + bias[f]!; dst[o + oc] = a1 + bias[f + 1]!; dst[o + 2 * oc] = a2 + bias[f + 2]!; dst[o + 3 * oc] = a3 + bias[f + 3]!;
        dst[o + 4 * oc] = a4 + bias[f + 4]!; dst[o + 5 * oc] = a5 + bias[f + 5]!; dst[o + 6 * oc] = a6 + bias[f + 6]!; dst[o + 7 * oc] = a7 + bias[f + 7]!;
      } else {
        dst[o] = a0; dst[o + oc] = a1; dst[o + 2 * oc] = a2; dst[o + 3 * oc] = a3;
        dst[o + 4 * oc] = a4; dst[o + 5 * oc] = a5; dst[o + 6 * oc] = a6; dst[o + 7 * oc] = a7;
      }
    }
    for (; f < r.c1; f++) {
      let a = 0;
      for (let k = 0, p = f; k < K; k++, p += F) a += row[k]! * W[p]!;
      dst[orow + f * oc] = bias ? a + bias[f]! : a;
    }
  }
}
