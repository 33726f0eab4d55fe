import type { Region } from '../../region.js';
import type { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Geometry, Weights } from '../op.js';
import { globalPoolOutputShape, poolGeometry, poolOutputShape, tapRange, type GlobalPoolSpec, type Pool2dSpec } from './spec.js';

/*
 * Fast pooling. A window's real cells are a product of a row range and a
 * column range, so the clipping is done once per output row and column into
 * small tables (first real cell's offset, number of real taps); the inner
 * loops then walk precomputed offsets with no bounds tests. Each output is
 * the same arithmetic as the reference (double sums in ky-then-kx order), so
 * results do not depend on the region.
 */

interface Tables {
  /** Per output row of the region: offset of the first real row, real tap count. */
  rowOff: Int32Array; rowCnt: Int32Array;
  colOff: Int32Array; colCnt: Int32Array;
  stepY: number; stepX: number;
}

function tables(g: Geometry, r: Region, sh: number, sw: number): Tables {
  const ny = r.y1 - r.y0, nx = r.x1 - r.x0;
  const rowOff = new Int32Array(ny), rowCnt = new Int32Array(ny);
  const colOff = new Int32Array(nx), colCnt = new Int32Array(nx);
  for (let i = 0; i < ny; i++) {
    const o = r.y0 + i;
    const [k0, k1] = tapRange(o, g.kh, g.sh, g.dh, g.pt, g.inH);
    rowOff[i] = (o * g.sh - g.pt + k0 * g.dh) * sh;
    rowCnt[i] = k1 - k0;
  }
  for (let j = 0; j < nx; j++) {
    const o = r.x0 + j;
    const [k0, k1] = tapRange(o, g.kw, g.sw, g.dw, g.pl, g.inW);
    colOff[j] = (o * g.sw - g.pl + k0 * g.dw) * sw;
    colCnt[j] = k1 - k0;
  }
  return { rowOff, rowCnt, colOff, colCnt, stepY: g.dh * sh, stepX: g.dw * sw };
}

export function poolFast(inputs: readonly Tensor[], weights: Weights, spec: Pool2dSpec, out: Tensor, r: Region): void {
  checkKernelCall(poolOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'pool');
  const x = inputs[0]!;
  const g = poolGeometry(spec, x.shape);
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc, oh, ow] = out.strides4();
  const t = tables(g, r, sh, sw);
  const mode = spec.op === 'maxPool' ? 0 : spec.op === 'avgPool' ? 1 : 2;
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      const plane = x.offset + n * sn + c * sc;
      const oplane = out.offset + n * on + c * oc + r.x0 * ow;
      if (mode === 0) maxPlane(x.data, plane, out.data, oplane, oh, ow, r.y0, t);
      else if (mode === 1) avgPlane(x.data, plane, out.data, oplane, oh, ow, r.y0, t);
      else l2Plane(x.data, plane, out.data, oplane, oh, ow, r.y0, t);
    }
  }
}

function maxPlane(src: Float32Array, plane: number, dst: Float32Array, oplane: number, oh: number, ow: number, y0: number, t: Tables): void {
  const { rowOff, rowCnt, colOff, colCnt, stepY, stepX } = t;
  const ny = rowOff.length, nx = colOff.length;
  for (let i = 0; i < ny; i++) {
    const rowBase = plane + rowOff[i]!, rc = rowCnt[i]!;
    let o = oplane + (y0 + i) * oh;
    for (let j = 0; j < nx; j++, o += ow) {
      const cc = colCnt[j]!;
      let p = rowBase + colOff[j]!;
      let m = -Infinity;
      for (let ky = 0; ky < rc; ky++, p += stepY) {
        let q = p;
        for (let kx = 0; kx < cc; kx++, q += stepX) {
          const v = src[q]!;
          if (v > m || v !== v) m = v; // NaN sticks, as in the reference
        }
      }
      dst[o] = m;
    }
  }
}

function avgPlane(src: Float32Array, plane: number, dst: Float32Array, oplane: number, oh: number, ow: number, y0: number, t: Tables): void {
  const { rowOff, rowCnt, colOff, colCnt, stepY, stepX } = t;
  const ny = rowOff.length, nx = colOff.length;
  for (let i = 0; i < ny; i++) {
    const rowBase = plane + rowOff[i]!, rc = rowCnt[i]!;
    let o = oplane + (y0 + i) * oh;
    for (let j = 0; j < nx; j++, o += ow) {
      const cc = colCnt[j]!;
      let p = rowBase + colOff[j]!;
      let s = 0;
      for (let ky = 0; ky < rc; ky++, p += stepY) {
        let q = p;
        for (let kx = 0; kx < cc; kx++, q += stepX) s += src[q]!;
      }
      dst[o] = s / (rc * cc); // real cells only (TensorFlow's padding rule)
    }
  }
}

function l2Plane(src: Float32Array, plane: number, dst: Float32Array, oplane: number, oh: number, ow: number, y0: number, t: Tables): void {
  const { rowOff, rowCnt, colOff, colCnt, stepY, stepX } = t;
  const ny = rowOff.length, nx = colOff.length;
  for (let i = 0; i < ny; i++) {
    const rowBase = plane + rowOff[i]!, rc = rowCnt[i]!;
    let o = oplane + (y0 + i) * oh;
    for (let j = 0; j < nx; j++, o += ow) {
      const cc = colCnt[j]!;
      let p = rowBase + colOff[j]!;
      let s = 0;
      for (let ky = 0; ky < rc; ky++, p += stepY) {
        let q = p;
        for (let kx = 0; kx < cc; kx++, q += stepX) {
          const v = src[q]!;
          s += v * v;
        }
      }
      dst[o] = Math.sqrt(s);
    }
  }
}

export function globalPoolFast(inputs: readonly Tensor[], weights: Weights, spec: GlobalPoolSpec, out: Tensor, r: Region): void {
  checkKernelCall(globalPoolOutputShape, spec, inputs, weights, out, r, spec?.op ?? 'global pool');
  const x = inputs[0]!;
  const [, , h, w] = x.dims4();
  const [sn, sc, sh, sw] = x.strides4();
  const [on, oc] = out.strides4();
  const src = x.data, dst = out.data;
  const isMax = spec.op === 'globalMaxPool';
  // A plane whose rows follow each other in memory is one run of h·w values;
  // the visiting order (row-major) and so the sum are the same either way.
  const flat = sw === 1 && (h === 1 || sh === w);
  const runLen = flat ? h * w : w, runs = flat ? 1 : h;
  for (let n = r.n0; n < r.n1; n++) {
    for (let c = r.c0; c < r.c1; c++) {
      const plane = x.offset + n * sn + c * sc;
      let acc = isMax ? -Infinity : 0;
      for (let y = 0; y < runs; y++) {
        let p = plane + y * sh;
        if (isMax) {
          for (let k = 0; k < runLen; k++, p += sw) {
            const v = src[p]!;
            if (v > acc || v !== v) acc = v;
          }
        } else {
          for (let k = 0; k < runLen; k++, p += sw) acc += src[p]!;
        }
      }
      dst[out.offset + n * on + c * oc] = isMax ? acc : acc / (h * w);
    }
  }
}
