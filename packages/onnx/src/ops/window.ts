import type { Padding } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import type { Attrs, ImportContext } from '../context.js';

/** Explicit pads of a 2-D window, in Tessera's side names. */
export interface Sides { top: number; bottom: number; left: number; right: number }

/** kernel, strides, dilations of a 2-D window, checked to have two entries each. */
export function windowAttr(a: Attrs, name: string, dflt: [number, number]): [number, number] {
  const v = a.ints(name);
  if (v === undefined) return dflt;
  if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < 1)) {
    throw a.bad(name, `must be two positive ints for a 2-D window, got [${v.join(', ')}]`, { value: v });
  }
  return [v[0]!, v[1]!];
}

/** SAME_* total padding along one axis: output ceil(in / stride), as ONNX (and TensorFlow) define it. */
function sameTotal(size: number, k: number, s: number, d: number): number {
  const out = Math.ceil(size / s);
  return Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
}

/**
 * The window's pads for an input of inH×inW, from auto_pad and pads
 * (ONNX order [top, left, bottom, right]). SAME_LOWER puts the odd pixel
 * first, SAME_UPPER last (TensorFlow's 'same').
 */
export function explicitPads(
  ctx: ImportContext, n: OnnxNode, a: Attrs, inH: number, inW: number, k: [number, number], s: [number, number], d: [number, number],
): Sides {
  const auto = a.string('auto_pad', 'NOTSET');
  switch (auto) {
    case 'NOTSET': {
      const p = a.ints('pads') ?? [0, 0, 0, 0];
      if (p.length !== 4) throw a.bad('pads', `must have 4 entries [top, left, bottom, right] for a 2-D window, got [${p.join(', ')}]`, { pads: p });
      if (p.some((x) => x < 0)) throw a.bad('pads', `negative pads (cropping) are not supported, got [${p.join(', ')}]`, { pads: p });
      return { top: p[0]!, left: p[1]!, bottom: p[2]!, right: p[3]! };
    }
    case 'VALID':
      return { top: 0, bottom: 0, left: 0, right: 0 };
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const th = sameTotal(inH, k[0], s[0], d[0]), tw = sameTotal(inW, k[1], s[1], d[1]);
      const small = (t: number): number => Math.floor(t / 2);
      if (auto === 'SAME_UPPER') return { top: small(th), bottom: th - small(th), left: small(tw), right: tw - small(tw) };
      return { top: th - small(th), bottom: small(th), left: tw - small(tw), right: small(tw) };
    }
    default:
      throw a.bad('auto_pad', `'${auto}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`, { auto_pad: auto });
  }
}

/**
 * Tessera padding for a conv: SAME_UPPER stays 'same' (recomputed for any
 * input size, as ONNX does); the rest become explicit sides.
 */
export function convPadding(
  ctx: ImportContext, n: OnnxNode, a: Attrs, inH: number, inW: number, k: [number, number], s: [number, number], d: [number, number],
): Padding {
  if (a.string('auto_pad', 'NOTSET') === 'SAME_UPPER') return 'same';
  const p = explicitPads(ctx, n, a, inH, inW, k, s, d);
  if (p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0) return 'valid';
  return p;
}
