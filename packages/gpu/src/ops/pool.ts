import { poolGeometry, type GlobalPoolSpec, type Pool2dSpec } from '@tessera/tensor';
import { kernelSource, readInput, threadDecl, windowOrigin, type GpuOpBuilder } from './source.js';

/*
 * Windowed pools as the reference: padded cells are not values (skipped),
 * max takes the first real cell then larger ones, avg divides by the count
 * of real cells, l2 is the sqrt of the sum of squares. The spec checks
 * guarantee every window has at least one real cell.
 */
export const poolGpu: GpuOpBuilder<Pool2dSpec> = ({ spec, inputs, region: r }) => {
  const x = inputs[0]!;
  const g = poolGeometry(spec, x.shape);
  const step = spec.op === 'maxPool'
    ? 'if (cnt == 0.0 || v > acc) { acc = v; }'
    : spec.op === 'avgPool' ? 'acc += v;' : 'acc += v * v;';
  const result = spec.op === 'maxPool' ? 'acc' : spec.op === 'avgPool' ? 'acc / cnt' : 'Math.sqrt(acc)';
  const bc = x.box.c1 - x.box.c0;
  const body = `${threadDecl(r)}
  const z = (on - i0n0) * ${bc} + oc - i0c0;
  ${windowOrigin(g)}
  let acc = 0.0;
  let cnt = 0.0;
  for (let ky = 0; ky < ${g.kh}; ky++) {
    const iy = y0 + ky * ${g.dh};
    if (iy >= ylo && iy < yhi) {
      for (let kx = 0; kx < ${g.kw}; kx++) {
        const ix = x0 + kx * ${g.dw};
        if (ix >= xlo && ix < xhi) {
          const v = in0[z][iy][ix];
          ${step}
          cnt += 1.0;
        }
      }
    }
  }
  return ${result};`;
  return { source: kernelSource(1, 0, body), weights: [] };
};

/** Mean or max over all of H×W per channel, rows then columns, as the reference. */
export const globalPoolGpu: GpuOpBuilder<GlobalPoolSpec> = ({ spec, inputs, region: r }) => {
  const x = inputs[0]!;
  const [, , h, w] = x.shape as [number, number, number, number];
  const max = spec.op === 'globalMaxPool';
  const body = `${threadDecl(r)}
  let acc = 0.0;
  for (let y = 0; y < ${h}; y++) {
    for (let xx = 0; xx < ${w}; xx++) {
      const v = ${readInput(0, x, 'on', 'oc', 'y', 'xx')};
      ${max ? 'if ((y == 0 && xx == 0) || v > acc) { acc = v; }' : 'acc += v;'}
    }
  }
  return ${max ? 'acc' : `acc / ${h * w}.0`};`;
  return { source: kernelSource(1, 0, body), weights: [] };
};
