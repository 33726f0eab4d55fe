import { Tensor } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import type { ImportContext, Value } from '../context.js';
import { perChannel } from './arith.js';
import { requireChannels } from './views.js';

/*
 * The classifier end: Gemm and MatMul on 2-D become a dense layer (which
 * flattens its input in NCHW order, exactly what Flatten/Reshape views mean),
 * Softmax a softmax over channels.
 */

/** The batch and K of a 2-D value feeding a dense layer; its node may be a feature map under a view. */
function denseInput(ctx: ImportContext, n: OnnxNode, x: Value & { kind: 'node' }): number {
  if (x.shape.length !== 2 || x.shape[0] !== x.node.shape[0]) {
    throw ctx.error(n, `input 0 must be 2-D [N, K] with the batch first, got [${x.shape.join(', ')}]`);
  }
  return x.shape[1]!;
}

function dense(ctx: ImportContext, n: OnnxNode, x: Value & { kind: 'node' }, weight: Float32Array, k: number, f: number, bias: Float32Array | undefined, out: OnnxNode): void {
  const node = ctx.builder.dense(x.node, f, { weight: Tensor.from(weight, [k, f]), bias: bias ? Tensor.from(bias, [f]) : undefined }, n.name || undefined);
  ctx.set(out, ctx.nodeValue(node, [x.shape[0]!, f]));
}

export function gemm(n: OnnxNode, ctx: ImportContext): void {
  const a = ctx.attrs(n);
  const x = ctx.tensor(n, 0);
  const k = denseInput(ctx, n, x);
  if (a.int('transA', 0) !== 0) throw a.bad('transA', 'must be 0 (the input is not transposed)');
  const alpha = a.float('alpha', 1), beta = a.float('beta', 1);
  if (alpha !== 1 || beta !== 1) throw ctx.error(n, `alpha ${alpha} and beta ${beta} are not supported; only 1 and 1`, { alpha, beta });
  const b = ctx.constant(n, 1, 'B');
  if (!b?.float || b.shape.length !== 2) throw ctx.error(n, 'B must be a 2-D float initializer');
  const transB = a.int('transB', 0) === 1;
  const [kb, f] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (kb !== k) throw ctx.error(n, `B [${b.shape.join(', ')}]${transB ? ' (transB)' : ''} needs K = ${kb}, the input has K = ${k}`);
  // Tessera's dense weight is [K, F]: transB's [F, K] is transposed once here.
  const w = transB ? transpose(b.float, f, k) : b.float;
  const c = ctx.constant(n, 2, 'C');
  let bias: Float32Array | undefined;
  if (c) {
    bias = perChannel(c, [1, f]);
    if (!bias) throw ctx.error(n, `C [${c.shape.join(', ')}] must broadcast as [${f}] or a scalar`);
  }
  dense(ctx, n, x, w, k, f, bias, n);
}

/** MatMul of a 2-D tensor by a 2-D constant; an Add of a [F] constant that alone reads it becomes the bias. */
export function matMul(n: OnnxNode, ctx: ImportContext): void {
  const x = ctx.tensor(n, 0);
  const k = denseInput(ctx, n, x);
  const b = ctx.constant(n, 1, 'B');
  if (!b?.float || b.shape.length !== 2 || b.shape[0] !== k) throw ctx.error(n, `B must be a 2-D float initializer [${k}, F]`);
  const f = b.shape[1]!;
  let bias: Float32Array | undefined, out = n;
  const add = ctx.soleReader(n.output![0]!);
  if (add?.op_type === 'Add') {
    const other = add.input?.[0] === n.output![0] ? ctx.values.get(add.input?.[1] ?? '') : ctx.values.get(add.input?.[0] ?? '');
    if (other?.kind === 'const') bias = perChannel(other.value, [1, f]);
    if (bias) {
      ctx.absorbed.add(add);
      out = add;
    }
  }
  dense(ctx, n, x, b.float, k, f, bias, out);
}

function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/**
 * Softmax over the channels: axis 1 of [N, C] or [N, C, H, W]. Before opset
 * 13 the axis flattens everything after it, which equals channels only when
 * the trailing sizes are 1.
 */
export function softmax(n: OnnxNode, ctx: ImportContext): void {
  const x = ctx.tensor(n, 0);
  const rank = x.shape.length;
  const raw = ctx.attrs(n).int('axis', ctx.opset >= 13 ? -1 : 1);
  const axis = raw < 0 ? raw + rank : raw;
  const trailing = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const ok = axis === 1 && (rank === 2 || (rank === 4 && (ctx.opset >= 13 || trailing === 1)));
  if (!ok) throw ctx.error(n, `Softmax over axis ${raw} of [${x.shape.join(', ')}] is not supported; only over channels (axis 1)`, { axis: raw });
  requireChannels(ctx, n, x);
  ctx.set(n, ctx.nodeValue(ctx.builder.softmax(x.node, n.name || undefined), x.shape));
}
