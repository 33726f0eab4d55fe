/**
 * What a developer writes first in plain JS: direct loops, no blocking, no
 * layout tricks. The floor every runtime should beat. NCHW, batch 1.
 */

export interface NaiveConv { cin: number; cout: number; h: number; w: number; k: number; dilation: number; groups: number; pt: number; pl: number; oh: number; ow: number; stride: number }

export function naiveConv2d(x: Float32Array, wt: Float32Array, bias: Float32Array | null, p: NaiveConv, out: Float32Array): void {
  const ipg = p.cin / p.groups, opg = p.cout / p.groups;
  for (let co = 0; co < p.cout; co++) {
    const g = Math.floor(co / opg);
    for (let oy = 0; oy < p.oh; oy++) {
      for (let ox = 0; ox < p.ow; ox++) {
        let s = bias ? bias[co]! : 0;
        for (let ci = 0; ci < ipg; ci++) {
          for (let ky = 0; ky < p.k; ky++) {
            const iy = oy * p.stride - p.pt + ky * p.dilation;
            if (iy < 0 || iy >= p.h) continue;
            for (let kx = 0; kx < p.k; kx++) {
              const ix = ox * p.stride - p.pl + kx * p.dilation;
              if (ix < 0 || ix >= p.w) continue;
              s += x[((g * ipg + ci) * p.h + iy) * p.w + ix]! * wt[((co * ipg + ci) * p.k + ky) * p.k + kx]!;
            }
          }
        }
        out[(co * p.oh + oy) * p.ow + ox] = s;
      }
    }
  }
}

export type NaivePoolKind = 'max' | 'avg' | 'l2';

/** Valid-padding pooling (the benchmark's pools have no padding). */
export function naivePool(x: Float32Array, kind: NaivePoolKind, c: number, h: number, w: number, k: number, stride: number, oh: number, ow: number, out: Float32Array): void {
  for (let ch = 0; ch < c; ch++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let acc = kind === 'max' ? -Infinity : 0;
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const v = x[(ch * h + oy * stride + ky) * w + ox * stride + kx]!;
            if (kind === 'max') { if (v > acc) acc = v; } else if (kind === 'avg') acc += v; else acc += v * v;
          }
        }
        out[(ch * oh + oy) * ow + ox] = kind === 'max' ? acc : kind === 'avg' ? acc / (k * k) : Math.sqrt(acc);
      }
    }
  }
}

/** out[f] = bias[f] + Σ_k x[k]·W[k, f], W laid out [K, F]. */
export function naiveDense(x: Float32Array, wt: Float32Array, bias: Float32Array | null, k: number, f: number, out: Float32Array): void {
  for (let j = 0; j < f; j++) {
    let s = bias ? bias[j]! : 0;
    for (let i = 0; i < k; i++) s += x[i]! * wt[i * f + j]!;
    out[j] = s;
  }
}
