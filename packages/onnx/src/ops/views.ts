import type { OnnxNode } from '../proto.js';
import { Attrs, type ImportContext, type Value } from '../context.js';

/*
 * Flatten, Reshape, Squeeze and Unsqueeze change only the ONNX (logical)
 * shape: the data and its order stay as they are, so no layer is made.
 * Ops that care about the layout check that the logical shape still means
 * what the Tessera node holds (requireFeatureMap, requireChannels).
 */

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** [N, C, H, W] of a value that is a plain feature map (no view over it). */
export function requireFeatureMap(ctx: ImportContext, n: OnnxNode, v: Value & { kind: 'node' }, what: string): [number, number, number, number] {
  if (v.shape.length !== 4 || !same(v.shape, v.node.shape)) {
    throw ctx.error(n, `${what} must be a 4-D feature map [N, C, H, W], got ${fmt(v.shape)}${same(v.shape, v.node.shape) ? '' : ` (a view of ${fmt(v.node.shape)})`}`);
  }
  return v.shape as [number, number, number, number];
}

/**
 * Channels of a value that per-channel ops (scaleShift, softmax) read as
 * Tessera does: [N, C, H, W] as it is, or [N, C] over a [N, C] or
 * [N, C, 1, 1] node.
 */
export function requireChannels(ctx: ImportContext, n: OnnxNode, v: Value & { kind: 'node' }): number {
  const p = v.node.shape;
  if (same(v.shape, p) && (p.length === 4 || p.length === 2)) return p[1]!;
  if (v.shape.length === 2 && v.shape[0] === p[0] && v.shape[1] === p[1] && p.slice(2).every((d) => d === 1)) return p[1]!;
  throw ctx.error(n, `per-channel op on ${fmt(v.shape)} (a view of ${fmt(p)}) is not supported; channels must be axis 1 of an [N, C, H, W] or [N, C] tensor`);
}

function view(n: OnnxNode, ctx: ImportContext, v: Value, shape: number[]): void {
  const count = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  if (count(shape) !== count(v.shape)) throw ctx.error(n, `cannot view ${fmt(v.shape)} as ${fmt(shape)}: element counts differ`);
  if (v.kind === 'const') ctx.set(n, { kind: 'const', value: { ...v.value, shape }, shape });
  else ctx.set(n, { kind: 'node', node: v.node, shape });
}

const axisOf = (ctx: ImportContext, n: OnnxNode, axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw ctx.error(n, `axis ${axis} is out of range for rank ${rank}`, { axis });
  return a;
};

export function flatten(n: OnnxNode, ctx: ImportContext): void {
  const v = ctx.required(n, 0);
  const axis = new Attrs(ctx, n).int('axis', 1);
  const a = axis < 0 ? axis + v.shape.length : axis;
  if (a < 0 || a > v.shape.length) throw ctx.error(n, `axis ${axis} is out of range for rank ${v.shape.length}`, { axis });
  const lead = v.shape.slice(0, a).reduce((x, y) => x * y, 1);
  view(n, ctx, v, [lead, v.shape.slice(a).reduce((x, y) => x * y, 1)]);
}

export function reshape(n: OnnxNode, ctx: ImportContext): void {
  const v = ctx.required(n, 0);
  const a = new Attrs(ctx, n);
  const target = ctx.opset >= 5 ? ctx.constant(n, 1, 'the target shape')?.ints : a.ints('shape');
  if (!target) throw ctx.error(n, 'the target shape must be a constant int64 tensor');
  const allowZero = a.int('allowzero', 0) === 1;
  const shape = target.map((d, i) => (d === 0 && !allowZero ? v.shape[i]! : d));
  const infer = shape.indexOf(-1);
  if (infer >= 0) {
    const known = shape.reduce((x, y, i) => (i === infer ? x : x * y), 1);
    const total = v.shape.reduce((x, y) => x * y, 1);
    if (known === 0 || total % known !== 0) throw ctx.error(n, `cannot infer the -1 of ${fmt(target)} from ${fmt(v.shape)}`);
    shape[infer] = total / known;
  }
  view(n, ctx, v, shape);
}

/** Axes from the attribute (before opset 13) or the second input (13 on). */
function axesOf(n: OnnxNode, ctx: ImportContext): number[] | undefined {
  return ctx.opset >= 13 ? ctx.constant(n, 1, 'axes')?.ints?.slice() : new Attrs(ctx, n).ints('axes');
}

export function squeeze(n: OnnxNode, ctx: ImportContext): void {
  const v = ctx.required(n, 0);
  const axes = axesOf(n, ctx)?.map((x) => axisOf(ctx, n, x, v.shape.length));
  for (const x of axes ?? []) if (v.shape[x] !== 1) throw ctx.error(n, `axis ${x} of ${fmt(v.shape)} is not 1 and cannot be squeezed`);
  view(n, ctx, v, v.shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
}

export function unsqueeze(n: OnnxNode, ctx: ImportContext): void {
  const v = ctx.required(n, 0);
  const raw = axesOf(n, ctx);
  if (!raw) throw ctx.error(n, 'axes are required');
  const rank = v.shape.length + raw.length;
  const axes = raw.map((x) => axisOf(ctx, n, x, rank));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : v.shape[j++]!);
  view(n, ctx, v, out);
}

/** Identity and (inference) Dropout: the output is the input. */
export function passThrough(n: OnnxNode, ctx: ImportContext): void {
  if (n.op_type === 'Dropout' && n.output?.[1] && (ctx.readers.get(n.output[1])?.length || ctx.graphOutputs.has(n.output[1]))) {
    throw ctx.error(n, 'the dropout mask output is read; only inference-mode Dropout is supported');
  }
  ctx.set(n, ctx.required(n, 0));
}
