import { conv2dGeometry, type Conv2dSpec } from '@tessera/tensor';
import { epilogueCode } from './epilogue.js';
import { flatWeight, kernelSource, threadDecl, windowOrigin, type GpuOpBuilder } from './source.js';

/*
 * conv2d as the reference defines it: taps (ci, ky, kx) in order from 0,
 * then the epilogue: bias, scale/shift, activation (epilogue.ts). A tap in
 * the padding is skipped rather than multiplied by 0: the same sum for finite
 * weights, and rows in the padding skip their whole kx loop. The weight is passed sliced to the region's output
 * channels [c0, c1) (contiguous in [Cout, Cin/groups, kh, kw]), so a part of
 * a huge layer uploads only its own filters.
 */
export const conv2dGpu: GpuOpBuilder<Conv2dSpec> = ({ spec, inputs, outShape, region: r, weights }) => {
  const x = inputs[0]!;
  const g = conv2dGeometry(spec, x.shape);
  const w = weights.weight!;
  const [cout, cpg, kh, kw] = w.dims4();
  const opg = cout / (spec.groups ?? 1);
  const per = cpg * kh * kw;
  const flip = spec.flip === true;
  const ty = flip ? `${kh - 1} - ky` : 'ky', tx = flip ? `${kw - 1} - kx` : 'kx';
  const ci0 = opg === outShape[1] ? '0' : `Math.floor((oc + 0.5) / ${opg}) * ${cpg}`;
  const bias = weights.bias;
  const bc = x.box.c1 - x.box.c0;
  const ws = [flatWeight(w, r.c0 * per, r.c1 * per)];
  if (bias) ws.push(flatWeight(bias, r.c0, r.c1));
  const epilogue = epilogueCode(spec, weights, r, ws);
  const body = `${threadDecl(r)}
  const zb = (on - i0n0) * ${bc} + ${ci0} - i0c0;
  const wb = (oc - rc0) * ${per};
  ${windowOrigin(g)}
  let acc = 0.0;
  for (let ci = 0; ci < ${cpg}; ci++) {
    for (let ky = 0; ky < ${kh}; ky++) {
      const iy = y0 + ky * ${g.dh};
      if (iy >= ylo && iy < yhi) {
        for (let kx = 0; kx < ${kw}; kx++) {
          const ix = x0 + kx * ${g.dw};
          if (ix >= xlo && ix < xhi) {
            acc += w0[wb + ci * ${kh * kw} + (${ty}) * ${kw} + (${tx})] * in0[zb + ci][iy][ix];
          }
        }
      }
    }
  }
  ${bias ? 'acc += w1[oc - rc0];' : ''}
  ${epilogue}
  return acc;`;
  return { source: kernelSource(1, ws.length, body), weights: ws };
};
