import { Tensor } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import { Attrs, type ImportContext } from '../context.js';
import { requireFeatureMap } from './views.js';
import { convPadding, windowAttr } from './window.js';
import { batchNormParams } from './batch-norm.js';

/** Conv (2-D): weights and bias from initializers; a BatchNormalization that alone reads it is folded in. */
export function conv(n: OnnxNode, ctx: ImportContext): void {
  const a = new Attrs(ctx, n);
  const x = ctx.tensor(n, 0);
  const [, cin, inH, inW] = requireFeatureMap(ctx, n, x, 'input 0');
  const w = ctx.constant(n, 1, 'the weight');
  if (!w?.float) throw ctx.error(n, 'the weight must be a float initializer');
  if (w.shape.length !== 4) throw ctx.error(n, `only 2-D convolutions are supported; weight has shape [${w.shape.join(', ')}]`, { weight: w.shape });
  const [cout, cpg, kh, kw] = w.shape as [number, number, number, number];
  const groups = a.int('group', 1);
  if (groups < 1 || cin % groups !== 0 || cpg * groups !== cin) {
    throw a.bad('group', `${groups} does not fit input channels ${cin} and weight [${w.shape.join(', ')}]`, { group: groups });
  }
  const ks = a.ints('kernel_shape');
  if (ks && (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw)) throw a.bad('kernel_shape', `[${ks.join(', ')}] does not match the weight's ${kh}×${kw}`);
  const stride = windowAttr(a, 'strides', [1, 1]);
  const dilation = windowAttr(a, 'dilations', [1, 1]);
  const padding = convPadding(ctx, n, a, inH, inW, [kh, kw], stride, dilation);
  const b = ctx.constant(n, 2, 'the bias');
  if (b && (!b.float || b.float.length !== cout)) throw ctx.error(n, `the bias must be ${cout} floats, got shape [${b.shape.join(', ')}]`);

  let weight = w.float, bias = b?.float;
  let outNode: OnnxNode = n;
  // A BatchNormalization that is the conv's only reader folds into its weights: w·s, (b − mean)·s + beta.
  const bn = ctx.soleReader(n.output![0]!);
  const p = bn?.op_type === 'BatchNormalization' ? batchNormParams(bn, ctx, cout, true) : undefined;
  if (bn && p) {
    const per = cpg * kh * kw;
    const fw = new Float32Array(weight.length);
    for (let o = 0; o < cout; o++) for (let i = 0; i < per; i++) fw[o * per + i] = weight[o * per + i]! * p.scale[o]!;
    const fb = new Float32Array(cout);
    for (let o = 0; o < cout; o++) fb[o] = (bias?.[o] ?? 0) * p.scale[o]! + p.shift[o]!;
    weight = fw;
    bias = fb;
    ctx.absorbed.add(bn);
    outNode = bn;
  }
  const node = ctx.builder.conv2d(x.node, {
    outChannels: cout, groups, kernel: [kh, kw], stride, dilation, padding, bias: bias !== undefined, name: n.name || undefined,
  }, { weight: Tensor.from(weight, [cout, cpg, kh, kw]), bias: bias ? Tensor.from(bias, [cout]) : undefined });
  ctx.set(outNode, ctx.nodeValue(node));
}
