import { TesseraError, checkInt } from '../errors.js';
import { checkKeys } from '../options.js';
import type { Region } from '../region.js';
import type { Geometry } from './op.js';

/** `same` and `valid` as TensorFlow defines them, one number for all sides, or each side. */
export type Padding = 'same' | 'valid' | number | { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number };
/** One number for both axes or [vertical, horizontal]. */
export type Pair = number | readonly [number, number];

export interface WindowSpec {
  readonly kernel: Pair;
  readonly stride?: Pair;
  readonly dilation?: Pair;
  readonly padding?: Padding;
}

/** The keys of WindowSpec (checked by every windowed op). */
export const WINDOW_KEYS = ['kernel', 'stride', 'dilation', 'padding'] as const;
const SIDES = ['top', 'bottom', 'left', 'right'];

export function pair(what: string, v: Pair | undefined, dflt: number, min: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') {
    checkInt(what, v, min);
    return [v, v];
  }
  if (!Array.isArray(v) || v.length !== 2) {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be a number or [vertical, horizontal], got ${JSON.stringify(v)}`, { [what]: v });
  }
  checkInt(what, v[0], min);
  checkInt(what, v[1], min);
  return [v[0], v[1]];
}

/**
 * Resolves a window against an input of inH×inW: explicit pads and output
 * size. `defaultStride` is 1 for convolutions and the kernel size for pools.
 * Throws when the (dilated) kernel is larger than the padded input.
 */
export function resolveWindow(spec: WindowSpec, inH: number, inW: number, what: string, strideDefaultsToKernel = false): Geometry {
  if (spec.kernel === undefined) throw new TesseraError('BAD_ARGUMENT', `${what}: kernel is required`);
  const [kh, kw] = pair(`${what} kernel`, spec.kernel, 1, 1);
  const [sh, sw] = spec.stride === undefined && strideDefaultsToKernel ? [kh, kw] : pair(`${what} stride`, spec.stride, 1, 1);
  const [dh, dw] = pair(`${what} dilation`, spec.dilation, 1, 1);
  const ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1;
  const p = spec.padding ?? 'valid';
  let pt: number, pb: number, pl: number, pr: number;
  if (p === 'valid') {
    pt = pb = pl = pr = 0;
  } else if (p === 'same') {
    // TensorFlow: output = ceil(in / stride); the odd pixel of padding goes bottom/right.
    const oh = Math.ceil(inH / sh), ow = Math.ceil(inW / sw);
    const th = Math.max((oh - 1) * sh + ekh - inH, 0), tw = Math.max((ow - 1) * sw + ekw - inW, 0);
    pt = Math.floor(th / 2); pb = th - pt; pl = Math.floor(tw / 2); pr = tw - pl;
  } else if (typeof p === 'number') {
    pt = pb = pl = pr = checkInt(`${what} padding`, p, 0);
  } else if (p !== null && typeof p === 'object' && !Array.isArray(p)) {
    checkKeys(`${what} padding`, p, SIDES);
    pt = checkInt(`${what} padding.top`, p.top, 0);
    pb = checkInt(`${what} padding.bottom`, p.bottom, 0);
    pl = checkInt(`${what} padding.left`, p.left, 0);
    pr = checkInt(`${what} padding.right`, p.right, 0);
  } else {
    throw new TesseraError('BAD_ARGUMENT', `${what} padding must be 'same', 'valid', a number or {top,bottom,left,right}, got ${JSON.stringify(p)}`, { padding: p });
  }
  const ph = inH + pt + pb, pw = inW + pl + pr;
  if (ekh > ph || ekw > pw) {
    throw new TesseraError('SHAPE_MISMATCH',
      `${what}: kernel ${kh}×${kw} with dilation ${dh}×${dw} spans ${ekh}×${ekw}, larger than the padded input ${ph}×${pw}`,
      { kernel: [kh, kw], dilation: [dh, dw], paddedInput: [ph, pw] });
  }
  const outH = Math.floor((ph - ekh) / sh) + 1, outW = Math.floor((pw - ekw) / sw) + 1;
  return { kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, inH, inW, outH, outW };
}

/** Input rows/cols [lo, hi) read by outputs [o0, o1) along one axis, unclipped (may reach into padding). */
export function windowSpan(o0: number, o1: number, k: number, s: number, d: number, pad: number): [number, number] {
  return [o0 * s - pad, (o1 - 1) * s - pad + (k - 1) * d + 1];
}

/** The spatial part of a window's input region, clipped to the input; channels/batch copied from `out`. */
export function windowInputRegion(g: Geometry, out: Region): Region {
  const [ya, yb] = windowSpan(out.y0, out.y1, g.kh, g.sh, g.dh, g.pt);
  const [xa, xb] = windowSpan(out.x0, out.x1, g.kw, g.sw, g.dw, g.pl);
  return {
    n0: out.n0, n1: out.n1, c0: out.c0, c1: out.c1,
    y0: Math.max(0, ya), y1: Math.min(g.inH, yb),
    x0: Math.max(0, xa), x1: Math.min(g.inW, xb),
  };
}
