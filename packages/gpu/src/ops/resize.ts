import { nearestSource, resizeScale, resizeSource, type ResizeSpec } from '@tessera/tensor';
import { kernelSource, readInput, threadDecl, type GpuOpBuilder } from './source.js';

/**
 * Nearest resize: a gather through per-row and per-column tables of source
 * cells. Bilinear resize. The source rows/columns and lerps are computed here in
 * double precision, exactly as the reference, and passed as two tables
 * ([lower, upper, lerp] per output row and column of the region): a float32
 * `o·scale` on the GPU can fall just below an integer and floor to the wrong cell.
 */
export const resizeGpu: GpuOpBuilder<ResizeSpec> = ({ spec, inputs, region: r }) => {
  const x = inputs[0]!;
  const [, , inH, inW] = x.shape as [number, number, number, number];
  if (spec.mode === 'nearest') {
    // The source cell of each region row and column, from the CPU's float32 formula (ties must land where ONNX puts them).
    const cells = (o0: number, o1: number, inSize: number, outSize: number): Float32Array =>
      Float32Array.from({ length: o1 - o0 }, (_, i) => nearestSource(o0 + i, inSize, outSize, spec.coordinates ?? 'asymmetric', spec.nearestMode ?? 'round_prefer_floor'));
    const body = `${threadDecl(r)}
  const iy = w0[oy - ry0];
  const ix = w1[ox - rx0];
  return ${readInput(0, x, 'on', 'oc', 'iy', 'ix')};`;
    return { source: kernelSource(1, 2, body), weights: [cells(r.y0, r.y1, inH, spec.height), cells(r.x0, r.x1, inW, spec.width)] };
  }
  const table = (o0: number, o1: number, inSize: number, outSize: number): Float32Array => {
    const scale = resizeScale(inSize, outSize, spec.alignCorners === true);
    const t = new Float32Array((o1 - o0) * 3);
    for (let o = o0; o < o1; o++) t.set(resizeSource(o, scale, spec.halfPixelCenters === true, inSize), (o - o0) * 3);
    return t;
  };
  const ys = table(r.y0, r.y1, inH, spec.height), xs = table(r.x0, r.x1, inW, spec.width);
  const at = (y: string, xx: string): string => readInput(0, x, 'on', 'oc', y, xx);
  const body = `${threadDecl(r)}
  const ty = (oy - ry0) * 3;
  const tx = (ox - rx0) * 3;
  const yLo = w0[ty];
  const yHi = w0[ty + 1];
  const yl = w0[ty + 2];
  const xLo = w1[tx];
  const xHi = w1[tx + 1];
  const xl = w1[tx + 2];
  const tl = ${at('yLo', 'xLo')};
  const tr = ${at('yLo', 'xHi')};
  const bl = ${at('yHi', 'xLo')};
  const br = ${at('yHi', 'xHi')};
  const top = tl + (tr - tl) * xl;
  const bottom = bl + (br - bl) * xl;
  return top + (bottom - top) * yl;`;
  return { source: kernelSource(1, 2, body), weights: [ys, xs] };
};
