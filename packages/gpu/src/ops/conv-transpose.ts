import { conv2dTransposeGeometry, type Conv2dTransposeSpec, type EpilogueSpec } from '@tessera/tensor';
import { flatWeight, kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';
import { epilogueCode } from './epilogue.js';

/*
 * Transposed convolution as the reference gathers it: for each tap (ky, kx)
 * the source cell iy = (oy + pt − ky·dh)/sh, ix = (ox + pl − kx·dw)/sw counts
 * only when it is an integer inside the input. The quotient is taken as
 * floor((t + 0.5)/s) and checked by multiplying back: exact for the small
 * integers of a feature map even with a GPU's approximate divide.
 */
export const conv2dTransposeGpu: GpuOpBuilder<Conv2dTransposeSpec> = ({ spec, inputs, region: r, weights }) => {
  const x = inputs[0]!;
  const g = conv2dTransposeGeometry(spec, x.shape);
  const w = weights.weight!;
  const [cin, copg, kh, kw] = w.dims4();
  const cipg = cin / (spec.groups ?? 1);
  const bias = weights.bias;
  const ws = [flatWeight(w)];
  if (bias) ws.push(flatWeight(bias));
  // The epilogue of a fused model (nn's fuseLayers): scale/shift and the activation after the bias; conv2dTranspose's
  // extra one, sigmoid, is the sigmoid op's code like the others (epilogueActivation gives { op: 'sigmoid' }).
  const epilogue = epilogueCode(spec as EpilogueSpec, weights, r, ws);
  const body = `${threadDecl(r)}
  const grp = Math.floor((oc + 0.5) / ${copg});
  const col = oc - grp * ${copg};
  let acc = 0.0;
  for (let ky = 0; ky < ${kh}; ky++) {
    const ty = oy + ${g.pt} - ky * ${g.dh};
    const iy = Math.floor((ty + 0.5) / ${g.sh});
    if (ty >= 0 && iy * ${g.sh} === ty && iy < ${g.inH}) {
      for (let kx = 0; kx < ${kw}; kx++) {
        const tx = ox + ${g.pl} - kx * ${g.dw};
        const ix = Math.floor((tx + 0.5) / ${g.sw});
        if (tx >= 0 && ix * ${g.sw} === tx && ix < ${g.inW}) {
          for (let k = 0; k < ${cipg}; k++) {
            const ci = grp * ${cipg} + k;
            acc += w0[((ci * ${copg} + col) * ${kh} + ky) * ${kw} + kx] * ${readInput(0, x, 'on', 'ci', 'iy', 'ix')};
          }
        }
      }
    }
  }
  ${bias ? 'acc += w1[oc];' : ''}
  ${epilogue}
  return acc;`;
  return { source: kernelSource(1, ws.length, body), weights: ws };
};
