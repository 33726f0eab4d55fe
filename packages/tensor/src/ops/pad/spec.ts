import { TesseraError, checkInt } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkEnum } from '../../options.js';
import { checkInputCount, checkSpecOp, checkWeightNames } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/**
 * Padding of an NCHW tensor: rows (top/bottom), columns (left/right) and,
 * in constant mode, channels (before/after). The face ResNet's shortcut gets
 * zero channels and a zero row/column this way before its residual add.
 * Modes (ONNX Pad's, numpy's):
 *   constant  the pad cells hold `value` (default 0; any number but NaN)
 *   reflect   mirror without repeating the edge: row −k reads row k, row H−1+k reads H−1−k (pads < H, W)
 *   edge      the nearest edge cell: row −k reads row 0
 * reflect and edge pad rows and columns only and take no `value`.
 */
export type PadMode = 'constant' | 'reflect' | 'edge';
export const PAD_MODES: readonly PadMode[] = ['constant', 'reflect', 'edge'];

export interface PadSpec {
  readonly op: 'pad';
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
  readonly channelsBefore?: number;
  readonly channelsAfter?: number;
  readonly value?: number;
  readonly mode?: PadMode;
}

const PAD_KEYS: readonly string[] = ['op', 'top', 'bottom', 'left', 'right', 'channelsBefore', 'channelsAfter', 'value', 'mode'];

export interface ResolvedPad { top: number; bottom: number; left: number; right: number; cb: number; ca: number; value: number; mode: PadMode }

export function resolvePad(spec: PadSpec): ResolvedPad {
  checkSpecOp(spec, ['pad'], 'pad', PAD_KEYS);
  const mode = checkEnum('pad mode', spec.mode, PAD_MODES) ?? 'constant';
  const value = spec.value ?? 0;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TesseraError('BAD_ARGUMENT', `pad value must be a number (not NaN), got ${String(value)}`, { value });
  }
  if (mode !== 'constant' && (spec.value !== undefined || (spec.channelsBefore ?? 0) !== 0 || (spec.channelsAfter ?? 0) !== 0)) {
    throw new TesseraError('BAD_ARGUMENT', `pad mode '${mode}' pads rows and columns only and takes no value; got value ${String(spec.value)}, channels ${spec.channelsBefore ?? 0}/${spec.channelsAfter ?? 0}`, { mode });
  }
  return {
    mode,
    top: checkInt('pad top', spec.top, 0),
    bottom: checkInt('pad bottom', spec.bottom, 0),
    left: checkInt('pad left', spec.left, 0),
    right: checkInt('pad right', spec.right, 0),
    cb: checkInt('pad channelsBefore', spec.channelsBefore ?? 0, 0),
    ca: checkInt('pad channelsAfter', spec.channelsAfter ?? 0, 0),
    value,
  };
}

export function padOutputShape(spec: PadSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  const p = resolvePad(spec);
  checkInputCount('pad', inputs, 1);
  checkWeightNames('pad', weights, []);
  const [n, c, h, w] = expectRank4(inputs[0]!, 'pad input');
  if (p.mode === 'reflect' && (Math.max(p.top, p.bottom) >= h || Math.max(p.left, p.right) >= w)) {
    throw new TesseraError('SHAPE_MISMATCH', `pad mode 'reflect' needs pads below the input size: ${p.top}/${p.bottom} rows of ${h}, ${p.left}/${p.right} columns of ${w}`, { pads: [p.top, p.bottom, p.left, p.right], input: [h, w] });
  }
  return [n, p.cb + c + p.ca, p.top + h + p.bottom, p.left + w + p.right];
}

/** The input row (or column) that padded index i (input coordinates: i < 0 or ≥ size in the padding) reads in reflect or edge mode. */
export function padSource(i: number, size: number, mode: 'reflect' | 'edge'): number {
  if (i >= 0 && i < size) return i;
  if (mode === 'edge') return i < 0 ? 0 : size - 1;
  return i < 0 ? -i : 2 * (size - 1) - i;
}

/** [lo, hi) of the sources of outputs [o0, o1) along one axis (shifted by the pad): a min and max over the range. */
function sourceSpan(o0: number, o1: number, pad: number, size: number, mode: 'reflect' | 'edge'): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let o = o0; o < o1; o++) {
    const s = padSource(o - pad, size, mode);
    lo = Math.min(lo, s);
    hi = Math.max(hi, s + 1);
  }
  return [lo, hi];
}

/**
 * The input box the output region copies from: in constant mode the region
 * shifted back by the padding and clipped (null when the region is all
 * padding); in reflect and edge mode the box of the cells it mirrors or repeats.
 */
export function padInputRegion(spec: PadSpec, out: Region, inputs: readonly Shape[]): Region | null {
  const p = resolvePad(spec);
  const [, c, h, w] = expectRank4(inputs[0]!, 'pad input');
  if (p.mode !== 'constant') {
    // Every output cell reads one input cell: the box of the sources of the region's rows and columns.
    const [y0, y1] = sourceSpan(out.y0, out.y1, p.top, h, p.mode), [x0, x1] = sourceSpan(out.x0, out.x1, p.left, w, p.mode);
    return { n0: out.n0, n1: out.n1, c0: out.c0, c1: out.c1, y0, y1, x0, x1 };
  }
  const r = {
    n0: out.n0, n1: out.n1,
    c0: Math.max(0, out.c0 - p.cb), c1: Math.min(c, out.c1 - p.cb),
    y0: Math.max(0, out.y0 - p.top), y1: Math.min(h, out.y1 - p.top),
    x0: Math.max(0, out.x0 - p.left), x1: Math.min(w, out.x1 - p.left),
  };
  return r.c1 <= r.c0 || r.y1 <= r.y0 || r.x1 <= r.x0 ? null : r;
}

/** A 1×1 stride-1 window whose padding is the spatial padding: receptive-field maths then needs no special case. */
export function padWindow(spec: PadSpec, inputs: readonly Shape[]): Geometry {
  const p = resolvePad(spec);
  const [, , h, w] = expectRank4(inputs[0]!, 'pad input');
  return {
    kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1,
    pt: p.top, pb: p.bottom, pl: p.left, pr: p.right,
    inH: h, inW: w, outH: h + p.top + p.bottom, outW: w + p.left + p.right,
  };
}

/** A copy: no arithmetic. */
export function padFlops(): number {
  return 0;
}
