import { Tensor } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import type { Constant } from '../constants.js';
import type { ImportContext, Value } from '../context.js';
import { requireChannels, requireFeatureMap } from './views.js';

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * A constant that broadcasts against `shape` as one value per channel (axis
 * 1) or one scalar: its C values (a scalar repeated), else undefined.
 */
export function perChannel(c: Constant, shape: readonly number[]): Float32Array | undefined {
  const vals = c.float ?? (c.ints ? Float32Array.from(c.ints) : undefined);
  if (!vals || c.shape.length > shape.length) return undefined;
  const channels = shape[1]!;
  const aligned = [...Array<number>(shape.length - c.shape.length).fill(1), ...c.shape];
  if (aligned.some((d, i) => i !== 1 && d !== 1)) return undefined;
  if (aligned[1] === channels) return vals;
  if (aligned[1] === 1) return new Float32Array(channels).fill(vals[0]!);
  return undefined;
}

/**
 * Add, Sub, Mul and Div. Two computed tensors: Add of one shape is an add
 * layer; any other pair (Sub, Mul, Div, or operands that broadcast along
 * axes of size 1: per-channel [N, C, 1, 1], scalar [1, 1, 1, 1]) is a
 * binary layer, one float32 operation per element as ORT computes it.
 * A tensor and a per-channel or scalar constant: a scaleShift — x·1 + c,
 * x·1 + (−c), x·c: each one float32 operation, as ORT computes it; x / c
 * becomes x·(1/c), within an ulp of the quotient.
 */
export function arith(n: OnnxNode, ctx: ImportContext): void {
  const a = ctx.required(n, 0), b = ctx.required(n, 1);
  const name = n.name || undefined;
  if (a.kind === 'node' && b.kind === 'node') {
    if (n.op_type === 'Add' && same(a.shape, b.shape) && same(a.node.shape, b.node.shape)) {
      if (a.shape.length === 4) requireFeatureMap(ctx, n, a, 'input 0');
      ctx.set(n, ctx.nodeValue(ctx.builder.add(a.node, b.node, name), a.shape));
      return;
    }
    // Broadcasting needs the logical shapes to be the stored ones (no view) and of one rank, each axis equal or 1.
    const plain = (v: Value & { kind: 'node' }): boolean => same(v.shape, v.node.shape) && (v.shape.length === 4 || v.shape.length === 2);
    if (!plain(a) || !plain(b) || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i] && d !== 1 && b.shape[i] !== 1)) {
      throw ctx.error(n, `${n.op_type} of [${a.shape.join(', ')}] and [${b.shape.join(', ')}]: two computed tensors must be rank-4 (or rank-2) feature maps of one rank whose axes are equal or 1`);
    }
    const fn = n.op_type!.toLowerCase() as 'add' | 'sub' | 'mul' | 'div';
    const node = ctx.builder.layer({ op: 'binary', fn }, [a.node, b.node], {}, name);
    ctx.set(n, ctx.nodeValue(node));
    return;
  }
  if (a.kind === 'const' && b.kind === 'const') throw ctx.error(n, `${n.op_type} of two constants is not supported`);
  const x = (a.kind === 'node' ? a : b) as Value & { kind: 'node' };
  const c = (a.kind === 'const' ? a : b) as Value & { kind: 'const' };
  if ((n.op_type === 'Sub' || n.op_type === 'Div') && a.kind === 'const') {
    throw ctx.error(n, `constant ${n.op_type === 'Sub' ? '−' : '/'} tensor is not supported (only tensor ${n.op_type === 'Sub' ? '−' : '/'} constant)`);
  }
  const channels = requireChannels(ctx, n, x);
  const v = perChannel(c.value, x.shape);
  if (!v) {
    throw ctx.error(n, `the constant [${c.shape.join(', ')}] does not broadcast per channel or as a scalar over [${x.shape.join(', ')}]`, { constant: c.shape });
  }
  const vec = (f: (i: number) => number): Tensor => Tensor.from(Float32Array.from({ length: channels }, (_, i) => f(i)), [channels]);
  const weights = n.op_type === 'Mul' ? { scale: vec((i) => v[i]!) }
    : n.op_type === 'Div' ? { scale: vec((i) => 1 / v[i]!) }
      : { scale: vec(() => 1), shift: vec((i) => (n.op_type === 'Sub' ? -v[i]! : v[i]!)) };
  ctx.set(n, ctx.nodeValue(ctx.builder.scaleShift(x.node, weights, name), x.shape));
}

/** Concat of feature maps along channels. */
export function concat(n: OnnxNode, ctx: ImportContext): void {
  const vs = (n.input ?? []).map((_, i) => ctx.tensor(n, i));
  const rank = vs[0]?.shape.length ?? 0;
  const axis = ctx.attrs(n).int('axis', 1);
  if ((axis < 0 ? axis + rank : axis) !== 1) throw ctx.error(n, `Concat along axis ${axis} is not supported; only channels (axis 1)`, { axis });
  vs.forEach((v, i) => requireFeatureMap(ctx, n, v, `input ${i}`));
  ctx.set(n, ctx.nodeValue(ctx.builder.concat(vs.map((v) => v.node), n.name || undefined)));
}
