import type { Region } from '../../region.js';
import { Tensor } from '../../tensor.js';
import { checkKernelCall } from '../invoke.js';
import type { Kernel, OpDef, Weights } from '../op.js';
import { epilogueActivation, type EpilogueSpec } from '../epilogue.js';
import { scaleShiftOp } from '../scale-shift/index.js';
import { hardSigmoidOp, hardSwishOp, leakyReluOp, relu6Op, reluOp } from '../activation/index.js';
import type { ActivationSpec } from '../activation/spec.js';
import { conv2dFast } from '../conv2d/fast.js';
import type { Conv2dSpec } from '../conv2d/spec.js';
import { engineCopy, engineSigmoidTanh, engineZip2 } from '../../engine/elementwise.js';
import { engineAddress, enginePartial, releaseEngineTensor } from '../../engine/tensors.js';
import { transposeS2 } from './direct.js';
import { conv2dTransposeGeometry, conv2dTransposeOutputShape, type Conv2dTransposeSpec, type TransposeGeometry } from './spec.js';

/*
 * Production transposed convolution on the kernel engine's conv2d, by phases
 * (the sub-pixel decomposition). Output row o gathers input rows
 * (o + pt − ky·dh)/sh, so the rows of one phase r = (o + pt) mod sh, o =
 * m·sh + r − pt, use only the taps ky with ky·dh ≡ r (mod sh), at input rows
 * m − e(ky), e(ky) = (ky·dh − r)/sh: a plain stride-1 correlation over m
 * with those taps reversed (dilation dh / gcd(sh, dh)). The same per
 * column. Each of the sh·sw phases is one conv2d (weights re-sliced once
 * per weight tensor and cached, so the engine packs them once), run on the
 * region's rows and columns of that phase, its output a strided view of
 * `out` (every sh-th row, sw-th column) so results land in place.
 *
 * Numerics: each output is the conv2d engine's float32 sum from +0 over that
 * phase's taps (reversed ky, reversed kx, then input channels of the group),
 * multiply then add, then the bias: one fixed recipe per output element,
 * whatever the region, so any cut gives the same bits; within
 * FAST_TOLERANCE of the float64 reference. A phase with no taps (kernel
 * smaller than the stride) is the bias (or +0). The epilogue's scale/shift
 * and activation (ops/epilogue.ts) are conv2d's, on every phase; on a phase
 * with no taps the scaleShift and activation ops run in place: the same
 * float32 steps.
 *
 * Kernel equal to the stride, no padding, one group (a decoder's 2×2
 * stride-2 upsampling): every phase is one tap, a 1×1 conv. Then all
 * sh·sw phases are one 1×1 conv2d with Cout·sh·sw outputs (channel
 * co·sh·sw + ry·sw + rx holds phase (ry, rx) of co) into an engine-memory
 * tile, and a strided copy puts each phase at its place (a pixel shuffle;
 * with stride 2 across, a zip of the two column phases of a row phase):
 * the input is staged once instead of once per phase. Two columns per
 * input column skip the tile: direct.ts writes each output in place with
 * the same sum (maps outside engine memory staged). Each output is the
 * same one-tap sum over the input channels from +0, then the bias: the same
 * bits as the phase-by-phase path.
 */

/** One axis of one phase: its taps, as a conv2d window, and where its outputs sit. */
interface AxisPhase {
  /** Kernel taps of the phase, in conv2d order (descending original tap index). */
  readonly taps: readonly number[];
  readonly dilation: number;
  readonly padBefore: number;
  readonly padAfter: number;
  /** conv2d output index j of phase index m: j = m − mShift. */
  readonly mShift: number;
  /** Phase indices of the output: o = m·s + r − pad for m in [mLo, mHi]. */
  readonly mLo: number;
  readonly mHi: number;
  readonly r: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function axisPhases(k: number, s: number, d: number, pad: number, inSize: number, outSize: number): AxisPhase[] {
  const out: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const mLo = Math.ceil((pad - r) / s), mHi = Math.floor((outSize - 1 + pad - r) / s);
    const asc: number[] = [];
    for (let t = 0; t < k; t++) if ((t * d) % s === r) asc.push(t);
    const taps = asc.reverse();
    const dd = taps.length > 1 ? d / gcd(s, d) : 1;
    if (taps.length === 0) {
      out.push({ taps, dilation: 1, padBefore: 0, padAfter: 0, mShift: 0, mLo, mHi, r });
      continue;
    }
    const eMax = (taps[0]! * d - r) / s;
    // conv2d row j reads input rows j − padBefore + t'·dd; phase row m reads m − eMax + t'·dd: j = m − eMax + padBefore.
    const padBefore = Math.max(0, eMax - mLo);
    const mShift = eMax - padBefore;
    const span = (taps.length - 1) * dd + 1;
    const padAfter = Math.max(0, mHi - mShift + span - inSize - padBefore);
    out.push({ taps, dilation: dd, padBefore, padAfter, mShift, mLo, mHi, r });
  }
  return out;
}

/** Phase weights [Cout, Cin/groups, Jy, Jx] per weight tensor and phase key: the same Tensor objects every call (the engine caches packing by tensor). */
const phaseWeights = new WeakMap<Tensor, Map<string, Tensor>>();

function phaseWeight(w: Tensor, groups: number, ty: readonly number[], tx: readonly number[]): Tensor {
  const key = `${groups}|${ty.join(',')}|${tx.join(',')}`;
  let m = phaseWeights.get(w);
  if (!m) phaseWeights.set(w, (m = new Map()));
  const hit = m.get(key);
  if (hit) return hit;
  const [cin, copg] = w.dims4();
  const cipg = cin / groups, cout = copg * groups;
  const t = Tensor.zeros([cout, cipg, ty.length, tx.length]);
  for (let co = 0; co < cout; co++) {
    const g = Math.floor(co / copg), col = co - g * copg;
    for (let ci = 0; ci < cipg; ci++)
      for (let a = 0; a < ty.length; a++)
        for (let b = 0; b < tx.length; b++) t.set(w.get(g * cipg + ci, col, ty[a]!, tx[b]!), co, ci, a, b);
  }
  m.set(key, t);
  return t;
}

export const conv2dTransposeFast: Kernel<Conv2dTransposeSpec> = (inputs, weights, spec, out, r) => {
  checkKernelCall(conv2dTransposeOutputShape, spec, inputs, weights, out, r, 'conv2dTranspose');
  const x = inputs[0]!;
  const w = weights.weight!, bias = weights.bias;
  const g = conv2dTransposeGeometry(spec, x.shape);
  const groups = spec.groups ?? 1;
  const ys = axisPhases(g.kh, g.sh, g.dh, g.pt, g.inH, g.outH);
  const xs = axisPhases(g.kw, g.sw, g.dw, g.pl, g.inW, g.outW);
  const ep = epilogueFields(spec), sigmoid = spec.activation === 'sigmoid';
  if (groups === 1 && shuffled(x, w, weights, ep, sigmoid, g, ys, xs, out, r)) return;
  phases(x, w, weights, ep, groups, g, ys, xs, out, r);
  // A fused sigmoid (after the epilogue) over the region, in place: the sigmoid layer's own kernel.
  if (sigmoid) engineSigmoidTanh('sigmoid', out, out, r);
};

/** Every phase of region r (see above), the epilogue's sigmoid aside. */
function phases(x: Tensor, w: Tensor, weights: Weights, ep: EpilogueSpec, groups: number, g: TransposeGeometry, ys: readonly AxisPhase[], xs: readonly AxisPhase[], out: Tensor, r: Region): void {
  const bias = weights.bias;
  const scaled: Weights = weights.scale ? { scale: weights.scale, shift: weights.shift! } : {};
  const [on, oc, oh, ow] = out.strides4();
  const od = out.data;
  for (const py of ys) {
    // The region's rows of this phase: m in [ma, mb].
    const ma = Math.max(py.mLo, Math.ceil((r.y0 + g.pt - py.r) / g.sh)), mb = Math.min(py.mHi, Math.floor((r.y1 - 1 + g.pt - py.r) / g.sh));
    if (ma > mb) continue;
    for (const px of xs) {
      const na = Math.max(px.mLo, Math.ceil((r.x0 + g.pl - px.r) / g.sw)), nb = Math.min(px.mHi, Math.floor((r.x1 - 1 + g.pl - px.r) / g.sw));
      if (na > nb) continue;
      const y0 = ma * g.sh + py.r - g.pt, x0 = na * g.sw + px.r - g.pl;
      if (py.taps.length === 0 || px.taps.length === 0) {
        for (let n = r.n0; n < r.n1; n++)
          for (let c = r.c0; c < r.c1; c++) {
            const v = bias ? bias.data[bias.offset + c * bias.strides[0]!]! : 0;
            for (let m = ma, oy = y0; m <= mb; m++, oy += g.sh)
              for (let k = na, o = out.offset + n * on + c * oc + oy * oh + x0 * ow; k <= nb; k++, o += g.sw * ow) od[o] = v;
          }
        if (weights.scale || ep.activation) {
          const cells = new Tensor(od, [out.shape[0]!, out.shape[1]!, mb - ma + 1, nb - na + 1], [on, oc, oh * g.sh, ow * g.sw], out.offset + y0 * oh + x0 * ow);
          epilogueInPlace(ep, scaled, cells, { n0: r.n0, n1: r.n1, c0: r.c0, c1: r.c1, y0: 0, y1: mb - ma + 1, x0: 0, x1: nb - na + 1 });
        }
        continue;
      }
      const cs: Conv2dSpec = {
        op: 'conv2d', kernel: [py.taps.length, px.taps.length], dilation: [py.dilation, px.dilation], groups,
        padding: { top: py.padBefore, bottom: py.padAfter, left: px.padBefore, right: px.padAfter }, ...ep,
      };
      const convH = g.inH + py.padBefore + py.padAfter - ((py.taps.length - 1) * py.dilation + 1) + 1;
      const convW = g.inW + px.padBefore + px.padAfter - ((px.taps.length - 1) * px.dilation + 1) + 1;
      const cr: Region = { n0: r.n0, n1: r.n1, c0: r.c0, c1: r.c1, y0: ma - py.mShift, y1: mb - py.mShift + 1, x0: na - px.mShift, x1: nb - px.mShift + 1 };
      // The conv2d output as a strided view of `out`: its element (n, c, j, i) is out's (n, c, (j + mShift)·sh + r − pt, …),
      // holding just the region (partial), so the engine stores each result at its place.
      const base = out.offset + ((py.mShift * g.sh + py.r - g.pt) * oh) + ((px.mShift * g.sw + px.r - g.pl) * ow);
      const view = new Tensor(od, [out.shape[0]!, out.shape[1]!, convH, convW], [on, oc, oh * g.sh, ow * g.sw], base, cr);
      const pw = phaseWeight(w, groups, py.taps, px.taps);
      conv2dFast([x], bias ? { weight: pw, bias, ...scaled } : { weight: pw, ...scaled }, cs, view, cr);
    }
  }
}

/** The epilogue fields of a spec (only those set: conv2d's spec checks refuse stray keys); sigmoid is applied apart. */
function epilogueFields(spec: Conv2dTransposeSpec): EpilogueSpec {
  if (spec.activation === undefined || spec.activation === 'sigmoid') return {};
  return spec.alpha === undefined ? { activation: spec.activation } : spec.beta === undefined ? { activation: spec.activation, alpha: spec.alpha }
    : { activation: spec.activation, alpha: spec.alpha, beta: spec.beta };
}

const ACTIVATION_OPS: Record<string, OpDef<ActivationSpec>> = {
  relu: reluOp, relu6: relu6Op, leakyRelu: leakyReluOp, hardSigmoid: hardSigmoidOp, hardSwish: hardSwishOp,
} as Record<string, OpDef<ActivationSpec>>;

/** The epilogue after the bias on region r of t, in place, by the scaleShift and activation ops (the epilogue's own float32 steps). */
function epilogueInPlace(ep: EpilogueSpec, scaled: Weights, t: Tensor, r: Region): void {
  if (scaled.scale) scaleShiftOp.fast([t], scaled, { op: 'scaleShift' }, t, r);
  const act = epilogueActivation(ep);
  if (act) ACTIVATION_OPS[act.op]!.fast([t], {}, act, t, r);
}

/** A [C] vector with each entry repeated S times: the per-channel weights of the shuffled form's Cout·S channels. */
function widened(v: Tensor | undefined, S: number): Tensor | undefined {
  if (!v) return undefined;
  const c = v.shape[0]!;
  const t = Tensor.zeros([c * S]);
  for (let co = 0; co < c; co++) for (let p = 0; p < S; p++) t.set(v.get(co), co * S + p);
  return t;
}

interface ShuffleWeights { bias: Tensor | undefined; scale: Tensor | undefined; shift: Tensor | undefined; weights: Weights }

/** The 1×1 weights [Cout·sh·sw, Cin, 1, 1] and the epilogue vectors of the shuffled form, per weight tensor (the same objects every call: packed once). */
const shuffleWeights = new WeakMap<Tensor, ShuffleWeights>();

function shuffleWeight(w: Tensor, given: Weights): Weights {
  const hit = shuffleWeights.get(w);
  if (hit && hit.bias === given.bias && hit.scale === given.scale && hit.shift === given.shift) return hit.weights;
  const [cin, cout, kh, kw] = w.dims4();
  const S = kh * kw;
  const weight = Tensor.zeros([cout * S, cin, 1, 1]);
  for (let co = 0; co < cout; co++)
    for (let ry = 0; ry < kh; ry++)
      for (let rx = 0; rx < kw; rx++)
        for (let ci = 0; ci < cin; ci++) weight.set(w.get(ci, co, ry, rx), co * S + ry * kw + rx, ci, 0, 0);
  const bias = widened(given.bias, S), scale = widened(given.scale, S), shift = widened(given.shift, S);
  const weights: Weights = { weight, ...(bias ? { bias } : {}), ...(scale && shift ? { scale, shift } : {}) };
  shuffleWeights.set(w, { bias: given.bias, scale: given.scale, shift: given.shift, weights });
  return weights;
}

/**
 * The one-tap-per-phase case as a 1×1 conv and a pixel shuffle (see above);
 * false, having done nothing, when the layer is not that case or `out` is
 * not in engine memory (the shuffle is the engine's strided copy).
 */
function shuffled(x: Tensor, w: Tensor, given: Weights, ep: EpilogueSpec, sigmoid: boolean, g: TransposeGeometry, ys: readonly AxisPhase[], xs: readonly AxisPhase[], out: Tensor, r: Region): boolean {
  const oneTap = (ps: readonly AxisPhase[], k: number) => ps.length === k && ps.every((p) => p.taps.length === 1 && p.taps[0] === p.r && p.padBefore === 0 && p.padAfter === 0 && p.mShift === 0);
  if (!oneTap(ys, g.kh) || !oneTap(xs, g.kw) || g.pt !== 0 || g.pl !== 0) return false;
  if (transposeS2(x, w, given, ep, sigmoid, g, out, r)) return true;
  if (engineAddress(out, r.n0, r.c0, r.y0, r.x0) < 0) return false;
  const S = g.sh * g.sw;
  const mA = Math.floor(r.y0 / g.sh), mB = Math.floor((r.y1 - 1) / g.sh), kA = Math.floor(r.x0 / g.sw), kB = Math.floor((r.x1 - 1) / g.sw);
  const n = x.dims4()[0];
  const cr: Region = { n0: r.n0, n1: r.n1, c0: r.c0 * S, c1: r.c1 * S, y0: mA, y1: mB + 1, x0: kA, x1: kB + 1 };
  const sw = shuffleWeight(w, given);
  const tile = enginePartial([n, sw.weight!.shape[0]!, g.inH, g.inW], cr);
  try {
    conv2dFast([x], sw, { op: 'conv2d', kernel: 1, ...ep }, tile, cr);
    const [tn, tc, th, tw] = tile.strides4();
    const [on, oc, oh, ow] = out.strides4();
    for (let ry = 0; ry < g.sh; ry++) {
      const ma = Math.max(mA, Math.ceil((r.y0 - ry) / g.sh)), mb = Math.min(mB, Math.floor((r.y1 - 1 - ry) / g.sh));
      if (ma > mb) continue;
      // Two columns per pass where the region holds whole pairs (x0, x1 even) and out's columns are dense.
      if (g.sw === 2 && ow === 1 && r.x0 % 2 === 0 && r.x1 % 2 === 0) {
        engineZip2(
          engineAddress(tile, r.n0, r.c0 * S + ry * 2, ma, kA), [tn, tc * S, th, tw],
          engineAddress(tile, r.n0, r.c0 * S + ry * 2 + 1, ma, kA), [tn, tc * S, th, tw],
          engineAddress(out, r.n0, r.c0, ma * g.sh + ry, kA * 2), [on, oc, oh * g.sh, 2],
          [r.n1 - r.n0, r.c1 - r.c0, mb - ma + 1, kB - kA + 1]);
        continue;
      }
      for (let rx = 0; rx < g.sw; rx++) {
        const ka = Math.max(kA, Math.ceil((r.x0 - rx) / g.sw)), kb = Math.min(kB, Math.floor((r.x1 - 1 - rx) / g.sw));
        if (ka > kb) continue;
        engineCopy(
          engineAddress(tile, r.n0, r.c0 * S + ry * g.sw + rx, ma, ka), [tn, tc * S, th, tw],
          engineAddress(out, r.n0, r.c0, ma * g.sh + ry, ka * g.sw + rx), [on, oc, oh * g.sh, ow * g.sw],
          [r.n1 - r.n0, r.c1 - r.c0, mb - ma + 1, kb - ka + 1]);
      }
    }
  } finally {
    releaseEngineTensor(tile);
  }
  if (sigmoid) engineSigmoidTanh('sigmoid', out, out, r);
  return true;
}
