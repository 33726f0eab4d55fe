import type { Constant } from '../constants.js';
import type { OnnxNode } from '../proto.js';
import { Attrs, type ImportContext } from '../context.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** perm, or the reversal of the axes when absent (ONNX's default); checked to be a permutation of 0…rank−1. */
function permOf(n: OnnxNode, ctx: ImportContext, rank: number): number[] {
  const p = new Attrs(ctx, n).ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) throw ctx.error(n, `perm ${fmt(p)} is not a permutation of the ${rank} axes`, { perm: p });
  return p;
}

/** A constant with its axes permuted (folded at load). */
function permuteConstant(c: Constant, perm: readonly number[]): Constant {
  const shape = perm.map((p) => c.shape[p]!);
  const strides = c.shape.map((_, i) => c.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const count = shape.reduce((a, b) => a * b, 1);
  const src = (c.float ?? c.ints)!;
  const out = new Array<number>(count);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < count; k++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o += idx[d]! * strides[perm[d]!]!;
    out[k] = src[o]!;
    for (let d = shape.length - 1; d >= 0 && ++idx[d]! === shape[d]!; d--) idx[d] = 0;
  }
  return c.float ? { shape, float: Float32Array.from(out) } : { shape, ints: out };
}

/**
 * Transpose. Of a constant: folded. Of a computed tensor: a view when only
 * axes of size 1 move (the data order is unchanged: [N, C, 1, 1] → [N, 1, 1, C]);
 * a real layout change only as the graph's output (NCHW → NHWC of a
 * detector's map), where the import records the permutation and
 * `toOnnxLayout` applies it to the result. Anywhere else it is refused:
 * Tessera's layers all read NCHW.
 */
export function transpose(n: OnnxNode, ctx: ImportContext): void {
  const v = ctx.required(n, 0);
  const perm = permOf(n, ctx, v.shape.length);
  const shape = perm.map((p) => v.shape[p]!);
  if (v.kind === 'const') {
    ctx.set(n, { kind: 'const', value: permuteConstant(v.value, perm), shape });
    return;
  }
  const moved = perm.filter((p) => v.shape[p] !== 1);
  if (moved.every((p, i) => i === 0 || moved[i - 1]! < p)) {
    ctx.set(n, { kind: 'node', node: v.node, shape });
    return;
  }
  const out = n.output?.[0] ?? '';
  if (!ctx.graphOutputs.has(out) || (ctx.readers.get(out)?.length ?? 0) > 0) {
    throw ctx.error(n, `Transpose ${fmt(v.shape)} by perm ${fmt(perm)} reorders the data; it is supported only as a graph output (a layout change of the result)`, { perm });
  }
  ctx.outputPermutation.set(out, perm);
  ctx.set(n, v);
}
