import { Tensor } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import { Attrs, type ImportContext } from '../context.js';
import { requireFeatureMap } from './views.js';
import { windowAttr, type Sides } from './window.js';

/** auto_pad values ConvTranspose reads. */
export const CONV_TRANSPOSE_AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/**
 * The crop (pads) of a ConvTranspose along one axis from a wanted output
 * size: total = s·(in − 1) + output_padding + (k − 1)·d + 1 − out, split as
 * the ONNX spec and onnxruntime split it: SAME_UPPER puts the odd cell at
 * the end, SAME_LOWER (and output_shape without auto_pad) at the start.
 */
function split(total: number, upper: boolean): [number, number] {
  const half = Math.floor(total / 2);
  return upper ? [half, total - half] : [total - half, half];
}

/**
 * ConvTranspose (2-D): weight [Cin, Cout/group, kh, kw] and bias from
 * initializers; strides, dilations, group, output_padding, pads, auto_pad
 * and output_shape, onto Tessera's conv2dTranspose.
 */
export function convTranspose(n: OnnxNode, ctx: ImportContext): void {
  const a = new Attrs(ctx, n);
  const x = ctx.tensor(n, 0);
  const [, cin, inH, inW] = requireFeatureMap(ctx, n, x, 'input 0');
  const w = ctx.constant(n, 1, 'the weight');
  if (!w?.float) throw ctx.error(n, 'the weight must be a float initializer');
  if (w.shape.length !== 4) throw ctx.error(n, `only 2-D transposed convolutions are supported; weight has shape [${w.shape.join(', ')}]`, { weight: w.shape });
  const [wcin, copg, kh, kw] = w.shape as [number, number, number, number];
  const groups = a.int('group', 1);
  if (groups < 1 || wcin !== cin || cin % groups !== 0) {
    throw a.bad('group', `${groups} does not fit input channels ${cin} and weight [${w.shape.join(', ')}]`, { group: groups });
  }
  const cout = copg * groups;
  const ks = a.ints('kernel_shape');
  if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) throw a.bad('kernel_shape', `[${ks.join(', ')}] does not match the weight's ${kh}×${kw}`);
  const stride = windowAttr(a, 'strides', [1, 1]);
  const dilation = windowAttr(a, 'dilations', [1, 1]);
  const op = a.ints('output_padding') ?? [0, 0];
  if (op.length !== 2 || op.some((v) => !Number.isInteger(v) || v < 0)) throw a.bad('output_padding', `must be two non-negative ints, got [${op.join(', ')}]`);
  const full = [(inH - 1) * stride[0] + (kh - 1) * dilation[0] + 1 + op[0]!, (inW - 1) * stride[1] + (kw - 1) * dilation[1] + 1 + op[1]!];
  const auto = a.string('auto_pad', 'NOTSET');
  if (!CONV_TRANSPOSE_AUTO_PADS.includes(auto)) throw a.bad('auto_pad', `'${auto}' is not one of ${CONV_TRANSPOSE_AUTO_PADS.join(', ')}`, { auto_pad: auto });
  let pads: Sides;
  const outShape = a.ints('output_shape');
  if (outShape || auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    let want: number[];
    if (outShape) {
      want = outShape.length === 4 ? outShape.slice(2) : outShape;
      if (want.length !== 2) throw a.bad('output_shape', `must give the 2 spatial sizes, got [${outShape.join(', ')}]`);
    } else {
      want = [inH * stride[0], inW * stride[1]];
    }
    const totals = [full[0]! - want[0]!, full[1]! - want[1]!];
    if (totals.some((t) => t < 0)) {
      throw a.bad(outShape ? 'output_shape' : 'auto_pad', `asks for ${want.join('×')}, larger than the ${full.join('×')} the kernel covers (use output_padding)`);
    }
    const upper = auto === 'SAME_UPPER';
    const [top, bottom] = split(totals[0]!, upper), [left, right] = split(totals[1]!, upper);
    pads = { top, bottom, left, right };
  } else if (auto === 'VALID') {
    pads = { top: 0, bottom: 0, left: 0, right: 0 };
  } else {
    const p = a.ints('pads') ?? [0, 0, 0, 0];
    if (p.length !== 4) throw a.bad('pads', `must have 4 entries [top, left, bottom, right] for a 2-D window, got [${p.join(', ')}]`, { pads: p });
    if (p.some((v) => v < 0)) throw a.bad('pads', `negative pads are not supported, got [${p.join(', ')}]`, { pads: p });
    pads = { top: p[0]!, left: p[1]!, bottom: p[2]!, right: p[3]! };
  }
  const b = ctx.constant(n, 2, 'the bias');
  if (b && (!b.float || b.float.length !== cout)) throw ctx.error(n, `the bias must be ${cout} floats, got shape [${b.shape.join(', ')}]`);
  const spec = {
    op: 'conv2dTranspose' as const, kernel: [kh, kw] as [number, number], stride, dilation, groups,
    outputPadding: [op[0]!, op[1]!] as [number, number], padding: pads,
  };
  const weights = { weight: Tensor.from(w.float, [wcin, copg, kh, kw]), ...(b?.float ? { bias: Tensor.from(b.float, [cout]) } : {}) };
  const node = ctx.builder.layer(spec, [x.node], weights, n.name || undefined);
  ctx.set(n, ctx.nodeValue(node));
}
