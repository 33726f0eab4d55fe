import { TesseraError, checkInt } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkInputCount, checkSpecOp, checkWeightNames } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/**
 * Constant padding of an NCHW tensor: rows (top/bottom), columns
 * (left/right) and, optionally, channels (before/after). The face ResNet's
 * shortcut gets zero channels and a zero row/column this way before its
 * residual add. `value` defaults to 0; any number but NaN is accepted.
 */
export interface PadSpec {
  readonly op: 'pad';
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
  readonly channelsBefore?: number;
  readonly channelsAfter?: number;
  readonly value?: number;
}

const PAD_KEYS: readonly string[] = ['op', 'top', 'bottom', 'left', 'right', 'channelsBefore', 'channelsAfter', 'value'];

export interface ResolvedPad { top: number; bottom: number; left: number; right: number; cb: number; ca: number; value: number }

export function resolvePad(spec: PadSpec): ResolvedPad {
  checkSpecOp(spec, ['pad'], 'pad', PAD_KEYS);
  const value = spec.value ?? 0;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TesseraError('BAD_ARGUMENT', `pad value must be a number (not NaN), got ${String(value)}`, { value });
  }
  return {
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
  return [n, p.cb + c + p.ca, p.top + h + p.bottom, p.left + w + p.right];
}

/**
 * The input box the output region copies from: the region shifted back by
 * the padding and clipped. null when the region is all padding.
 */
export function padInputRegion(spec: PadSpec, out: Region, inputs: readonly Shape[]): Region | null {
  const p = resolvePad(spec);
  const [, c, h, w] = expectRank4(inputs[0]!, 'pad input');
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
