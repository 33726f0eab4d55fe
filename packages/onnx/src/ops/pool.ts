import type { OnnxNode } from '../proto.js';
import { Attrs, type ImportContext } from '../context.js';
import { requireFeatureMap } from './views.js';
import { explicitPads, windowAttr } from './window.js';

/**
 * ceil_mode's extra end padding along one axis: outputs ceil((in + pads − span) / s) + 1,
 * less one when the last window would start past the input and its begin
 * padding (ONNX and PyTorch drop that window). Tessera's pools ignore
 * padded cells, so the extra cells change no value.
 */
function ceilExtra(size: number, begin: number, end: number, k: number, s: number, d: number): number {
  const span = (k - 1) * d + 1, total = size + begin + end;
  let out = Math.ceil((total - span) / s) + 1;
  if ((out - 1) * s >= size + begin) out--;
  return Math.max(0, (out - 1) * s + span - total);
}

/**
 * MaxPool, AveragePool and LpPool (2-D): kernel, strides, dilations,
 * pads/auto_pad, ceil_mode, count_include_pad. LpPool with p = 2 is
 * Tessera's l2Pool: ONNX's (Σ x²)^½ over the window counts pads as zeros,
 * which add nothing to the sum, and l2Pool skips them: the same value.
 */
export function pool(n: OnnxNode, ctx: ImportContext): void {
  const a = new Attrs(ctx, n);
  const x = ctx.tensor(n, 0);
  const [, , inH, inW] = requireFeatureMap(ctx, n, x, 'input 0');
  if (n.output?.[1]) throw ctx.error(n, 'the Indices output of MaxPool is not supported');
  if (n.op_type === 'LpPool' && a.int('p', 2) !== 2) throw a.bad('p', `${a.int('p', 2)} is not supported (only p = 2: l2Pool)`);
  if (a.int('storage_order', 0) !== 0) throw a.bad('storage_order', 'must be 0 (row major)');
  const kernel = windowAttr(a, 'kernel_shape', [0, 0]);
  if (kernel[0] === 0) throw a.bad('kernel_shape', 'is required');
  const stride = windowAttr(a, 'strides', [1, 1]);
  const dilation = windowAttr(a, 'dilations', [1, 1]);
  const pads = explicitPads(ctx, n, a, inH, inW, kernel, stride, dilation);
  const name = n.name || undefined;
  let src = x.node;
  if (n.op_type === 'AveragePool' && a.int('count_include_pad', 0) === 1 && (pads.top || pads.bottom || pads.left || pads.right)) {
    // Pads that count as zeros are real cells: a zero Pad layer, then a pool over it.
    src = ctx.builder.pad(src, { ...pads }, name && `${name}/pad`);
    pads.top = pads.bottom = pads.left = pads.right = 0;
  }
  // The input the pool reads (padded already when count_include_pad made a Pad layer).
  const [h, w] = [src.shape[2]!, src.shape[3]!];
  if (a.int('ceil_mode', 0) === 1) {
    pads.bottom += ceilExtra(h, pads.top, pads.bottom, kernel[0], stride[0], dilation[0]);
    pads.right += ceilExtra(w, pads.left, pads.right, kernel[1], stride[1], dilation[1]);
  }
  const spec = { kernel, stride, dilation, padding: pads };
  const node = n.op_type === 'MaxPool' ? ctx.builder.maxPool(src, spec, name)
    : n.op_type === 'LpPool' ? ctx.builder.l2Pool(src, spec, name) : ctx.builder.avgPool(src, spec, name);
  ctx.set(n, ctx.nodeValue(node));
}

export function globalPool(n: OnnxNode, ctx: ImportContext): void {
  const x = ctx.tensor(n, 0);
  requireFeatureMap(ctx, n, x, 'input 0');
  const node = n.op_type === 'GlobalMaxPool' ? ctx.builder.globalMaxPool(x.node, n.name || undefined) : ctx.builder.globalAvgPool(x.node, n.name || undefined);
  ctx.set(n, ctx.nodeValue(node));
}
