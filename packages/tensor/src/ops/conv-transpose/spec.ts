import { TesseraError, checkInt, fmtShape } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { checkKeys } from '../../options.js';
import { checkInputCount, checkSpecOp, checkWeightNames } from '../invoke.js';
import type { WeightShapes } from '../op.js';
import { pair, type Pair } from '../window.js';
import { EPILOGUE_KEYS, checkEpilogue, type EpilogueSpec, type FusedActivation } from '../epilogue.js';

/**
 * Transposed 2-D convolution (ONNX ConvTranspose, "deconvolution"): each
 * input cell scatters `weight · x` onto a kh×kw window of the output placed
 * at (iy·sh, ix·sw) and dilated by (dh, dw); `padding` crops the full
 * result, `outputPadding` adds rows/columns at the bottom/right.
 * Weights: `weight` [Cin, Cout/groups, kh, kw] (ONNX's layout), optional
 * `bias` [Cout].
 *
 * Written as a gather, so any output region is computable on its own:
 *   out[n, co, oy, ox] = bias[co] + Σ_{ky, kx, ci} w[ci, co − g·Copg, ky, kx] · x[n, ci, iy, ix]
 *   oy + pt = iy·sh + ky·dh,  ox + pl = ix·sw + kx·dw   (only integer iy, ix inside the input)
 * over the input channels ci of co's group g; then conv2d's epilogue
 * (ops/epilogue.ts: scale/shift weights, a fused activation — here sigmoid
 * too, a detector's last layer), which nn's fuseLayers fills from the layers
 * that follow.
 * Output size: (in − 1)·s + (k − 1)·d + 1 + outputPadding − padBegin − padEnd.
 */
export interface Conv2dTransposeSpec extends Omit<EpilogueSpec, 'activation'> {
  /** conv2d's fused activations, or sigmoid. */
  readonly activation?: FusedActivation | 'sigmoid';
  readonly op: 'conv2dTranspose';
  readonly kernel: Pair;
  readonly stride?: Pair;
  readonly dilation?: Pair;
  /** Rows/columns cropped from the full output: one number for all sides, or each side. */
  readonly padding?: number | { readonly top: number; readonly bottom: number; readonly left: number; readonly right: number };
  /** Rows and columns added at the bottom/right (ONNX output_padding), each below max(stride, dilation). */
  readonly outputPadding?: Pair;
  readonly groups?: number;
}

export const CONV2D_TRANSPOSE_WEIGHTS = ['weight', 'bias', 'scale', 'shift'] as const;
const KEYS: readonly string[] = ['op', 'kernel', 'stride', 'dilation', 'padding', 'outputPadding', 'groups', ...EPILOGUE_KEYS];
const SIDES = ['top', 'bottom', 'left', 'right'];

/** The resolved window of a transposed convolution on one input. */
export interface TransposeGeometry {
  readonly kh: number; readonly kw: number;
  readonly sh: number; readonly sw: number;
  readonly dh: number; readonly dw: number;
  readonly pt: number; readonly pb: number; readonly pl: number; readonly pr: number;
  readonly oph: number; readonly opw: number;
  readonly inH: number; readonly inW: number;
  readonly outH: number; readonly outW: number;
}

function sides(p: Conv2dTransposeSpec['padding']): [number, number, number, number] {
  if (p === undefined) return [0, 0, 0, 0];
  if (typeof p === 'number') {
    checkInt('conv2dTranspose padding', p, 0);
    return [p, p, p, p];
  }
  if (p === null || typeof p !== 'object' || Array.isArray(p)) {
    throw new TesseraError('BAD_ARGUMENT', `conv2dTranspose padding must be a number or {top,bottom,left,right}, got ${JSON.stringify(p)}`, { padding: p });
  }
  checkKeys('conv2dTranspose padding', p, SIDES);
  return [
    checkInt('conv2dTranspose padding.top', p.top, 0), checkInt('conv2dTranspose padding.bottom', p.bottom, 0),
    checkInt('conv2dTranspose padding.left', p.left, 0), checkInt('conv2dTranspose padding.right', p.right, 0),
  ];
}

export function conv2dTransposeGeometry(spec: Conv2dTransposeSpec, input: Shape): TransposeGeometry {
  const [, , inH, inW] = expectRank4(input, 'conv2dTranspose input');
  if (spec.kernel === undefined) throw new TesseraError('BAD_ARGUMENT', 'conv2dTranspose: kernel is required');
  const [kh, kw] = pair('conv2dTranspose kernel', spec.kernel, 1, 1);
  const [sh, sw] = pair('conv2dTranspose stride', spec.stride, 1, 1);
  const [dh, dw] = pair('conv2dTranspose dilation', spec.dilation, 1, 1);
  const [oph, opw] = pair('conv2dTranspose outputPadding', spec.outputPadding, 0, 0);
  if (oph >= Math.max(sh, dh) || opw >= Math.max(sw, dw)) {
    throw new TesseraError('BAD_ARGUMENT',
      `conv2dTranspose outputPadding [${oph}, ${opw}] must be below max(stride, dilation) = [${Math.max(sh, dh)}, ${Math.max(sw, dw)}]`,
      { outputPadding: [oph, opw] });
  }
  const [pt, pb, pl, pr] = sides(spec.padding);
  const outH = (inH - 1) * sh + (kh - 1) * dh + 1 + oph - pt - pb;
  const outW = (inW - 1) * sw + (kw - 1) * dw + 1 + opw - pl - pr;
  if (outH < 1 || outW < 1) {
    throw new TesseraError('SHAPE_MISMATCH',
      `conv2dTranspose: padding ${pt}/${pb}/${pl}/${pr} crops the ${outH + pt + pb}×${outW + pl + pr} output of input ${inH}×${inW} to nothing`,
      { padding: [pt, pb, pl, pr], input: [inH, inW] });
  }
  return { kh, kw, sh, sw, dh, dw, pt, pb, pl, pr, oph, opw, inH, inW, outH, outW };
}

export function conv2dTransposeOutputShape(spec: Conv2dTransposeSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['conv2dTranspose'], 'conv2dTranspose', KEYS);
  checkInputCount('conv2dTranspose', inputs, 1);
  checkWeightNames('conv2dTranspose', weights, CONV2D_TRANSPOSE_WEIGHTS);
  const [n, cin] = expectRank4(inputs[0]!, 'conv2dTranspose input');
  const groups = checkInt('conv2dTranspose groups', spec.groups ?? 1, 1);
  const ws = weights.weight;
  if (!ws) throw new TesseraError('BAD_ARGUMENT', 'conv2dTranspose needs a weight tensor [Cin, Cout/groups, kh, kw]');
  const [wcin, copg, kh, kw] = expectRank4(ws, 'conv2dTranspose weight');
  const [skh, skw] = pair('conv2dTranspose kernel', spec.kernel, 1, 1);
  if (kh !== skh || kw !== skw) {
    throw new TesseraError('SHAPE_MISMATCH', `conv2dTranspose weight ${fmtShape(ws)} has a ${kh}×${kw} kernel, spec says ${skh}×${skw}`, { weight: ws });
  }
  if (wcin !== cin) {
    throw new TesseraError('SHAPE_MISMATCH', `conv2dTranspose weight ${fmtShape(ws)} expects ${wcin} input channels, input ${fmtShape(inputs[0]!)} has ${cin}`, { weight: ws });
  }
  if (cin % groups !== 0) {
    throw new TesseraError('SHAPE_MISMATCH', `conv2dTranspose groups ${groups} must divide input channels ${cin}`, { groups, cin });
  }
  const cout = copg * groups;
  const bs = weights.bias;
  if (bs && (bs.length !== 1 || bs[0] !== cout)) {
    throw new TesseraError('SHAPE_MISMATCH', `conv2dTranspose bias ${fmtShape(bs)} must be [${cout}]`, { bias: bs });
  }
  // sigmoid has no parameters: checked as no activation (alpha and beta refused with it).
  checkEpilogue('conv2dTranspose', spec.activation === 'sigmoid' ? { ...spec, activation: undefined } : (spec as EpilogueSpec), weights, cout);
  const g = conv2dTransposeGeometry(spec, inputs[0]!);
  return [n, cout, g.outH, g.outW];
}

/**
 * Input rows (or columns) [lo, hi) that outputs [o0, o1) gather from along
 * one axis: for each tap k, the integer i = (o + pad − k·d) / s inside
 * [0, size). Null when no output of the range has a tap on the input (its
 * values are the bias alone).
 */
export function transposeTapSpan(o0: number, o1: number, k: number, s: number, d: number, pad: number, size: number): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (let t = 0; t < k; t++) {
    const a = Math.max(0, Math.ceil((o0 + pad - t * d) / s));
    const b = Math.min(size - 1, Math.floor((o1 - 1 + pad - t * d) / s));
    if (a <= b) {
      lo = Math.min(lo, a);
      hi = Math.max(hi, b + 1);
    }
  }
  return lo < hi ? [lo, hi] : null;
}

/** The input box an output region gathers from: the rows and columns its taps hit, the input channels of its groups. */
export function conv2dTransposeInputRegion(spec: Conv2dTransposeSpec, out: Region, inputs: readonly Shape[], outShape: Shape): Region | null {
  const g = conv2dTransposeGeometry(spec, inputs[0]!);
  const ys = transposeTapSpan(out.y0, out.y1, g.kh, g.sh, g.dh, g.pt, g.inH);
  const xs = transposeTapSpan(out.x0, out.x1, g.kw, g.sw, g.dw, g.pl, g.inW);
  if (!ys || !xs) return null;
  const cin = inputs[0]![1]!, cout = outShape[1]!;
  const groups = spec.groups ?? 1;
  const opg = cout / groups, ipg = cin / groups;
  const g0 = Math.floor(out.c0 / opg), g1 = Math.floor((out.c1 - 1) / opg) + 1;
  return { n0: out.n0, n1: out.n1, c0: g0 * ipg, c1: g1 * ipg, y0: ys[0], y1: ys[1], x0: xs[0], x1: xs[1] };
}

/** Every input cell scatters Cout/groups · kh · kw multiply-adds. */
export function conv2dTransposeFlops(spec: Conv2dTransposeSpec, inputs: readonly Shape[], outShape: Shape): number {
  const [n, cin, h, w] = inputs[0] as [number, number, number, number];
  const g = conv2dTransposeGeometry(spec, inputs[0]!);
  return 2 * n * cin * h * w * (outShape[1]! / (spec.groups ?? 1)) * g.kh * g.kw;
}
