import type { OnnxNode } from '../proto.js';
import { constantOf, DT, type Constant } from '../constants.js';
import { ImportContext } from '../context.js';

/*
 * Shape computations folded at load (PyTorch's x.view(x.size(0), -1)
 * exports Shape → Gather → Unsqueeze → Concat → Reshape): every shape is
 * known once the input shape is, so these become constants.
 */

export function constantNode(n: OnnxNode, ctx: ImportContext): void {
  const attr = n.attribute?.[0];
  let value: Constant;
  switch (n.attribute?.length === 1 ? attr!.name : '') {
    case 'value': value = constantOf(attr!.t ?? {}, `${ImportContext.label(n)} value`); break;
    case 'value_float': value = { shape: [], float: Float32Array.of(attr!.f ?? 0) }; break;
    case 'value_floats': value = { shape: [attr!.floats?.length ?? 0], float: Float32Array.from(attr!.floats ?? []) }; break;
    case 'value_int': value = { shape: [], ints: [Number(attr!.i ?? 0)] }; break;
    case 'value_ints': value = { shape: [attr!.ints?.length ?? 0], ints: (attr!.ints ?? []).map(Number) }; break;
    default: throw ctx.error(n, 'needs one of value (a tensor), value_float(s) or value_int(s)');
  }
  ctx.set(n, { kind: 'const', value, shape: value.shape });
}

export function shape(n: OnnxNode, ctx: ImportContext): void {
  const v = ctx.required(n, 0);
  const a = ctx.attrs(n), rank = v.shape.length;
  const clamp = (i: number): number => Math.min(Math.max(i < 0 ? i + rank : i, 0), rank);
  const dims = v.shape.slice(clamp(a.int('start', 0)), clamp(a.int('end', rank)));
  ctx.set(n, { kind: 'const', value: { shape: [dims.length], ints: dims }, shape: [dims.length] });
}

export function gather(n: OnnxNode, ctx: ImportContext): void {
  const data = ctx.constant(n, 0, 'data'), idx = ctx.constant(n, 1, 'indices');
  if (!data?.ints || data.shape.length !== 1 || !idx?.ints || idx.shape.length > 1 || ctx.attrs(n).int('axis', 0) !== 0) {
    throw ctx.error(n, 'only Gather of a 1-D int constant (a shape) with constant indices on axis 0 is folded');
  }
  const ints = idx.ints.map((i) => {
    const j = i < 0 ? i + data.ints!.length : i;
    if (j < 0 || j >= data.ints!.length) throw ctx.error(n, `index ${i} is out of range for ${data.ints!.length} values`);
    return data.ints![j]!;
  });
  ctx.set(n, { kind: 'const', value: { shape: idx.shape, ints }, shape: idx.shape });
}

export function cast(n: OnnxNode, ctx: ImportContext): void {
  const v = ctx.required(n, 0);
  const to = ctx.attrs(n).int('to', 0);
  if (v.kind === 'node') {
    if (to !== DT.FLOAT) throw ctx.error(n, `Cast of a feature map to type ${to} is not supported (only to FLOAT, a no-op)`);
    ctx.set(n, v);
    return;
  }
  const c = v.value;
  if (to === DT.FLOAT || to === DT.DOUBLE) ctx.set(n, { kind: 'const', value: { shape: c.shape, float: c.float ?? Float32Array.from(c.ints ?? []) }, shape: v.shape });
  else if (to === DT.INT64 || to === DT.INT32) ctx.set(n, { kind: 'const', value: { shape: c.shape, ints: c.ints ?? Array.from(c.float ?? [], Math.trunc) }, shape: v.shape });
  else throw ctx.error(n, `Cast to type ${to} is not supported`);
}

/** Concat of 1-D int constants (shape pieces). */
export function concatConstants(n: OnnxNode, ctx: ImportContext): void {
  const parts = (n.input ?? []).map((_, i) => ctx.constant(n, i, `input ${i}`));
  if (parts.some((p) => !p?.ints || p.shape.length !== 1)) throw ctx.error(n, 'only Concat of 1-D int constants is folded');
  const ints = parts.flatMap((p) => [...p!.ints!]);
  ctx.set(n, { kind: 'const', value: { shape: [ints.length], ints }, shape: [ints.length] });
}

/**
 * Slice of a 1-D constant (a piece of a shape: PaddlePaddle exports
 * x.shape[0:1] as Shape → Cast → Slice). starts/ends/axes are attributes
 * before opset 10, constant inputs from 10 (with steps).
 */
export function slice(n: OnnxNode, ctx: ImportContext): void {
  const data = ctx.constant(n, 0, 'data');
  const vals: readonly number[] | undefined = data?.ints ?? (data?.float ? Array.from(data.float) : undefined);
  if (!data || !vals || data.shape.length !== 1) throw ctx.error(n, 'only Slice of a 1-D constant (a shape) is folded; slicing a feature map is not supported');
  const a = ctx.attrs(n);
  const list = (i: number, attr: string): readonly number[] | undefined => {
    if (ctx.opset < 10) return a.ints(attr);
    const c = ctx.constant(n, i, attr);
    return c ? (c.ints ?? Array.from(c.float ?? [])) : undefined;
  };
  const starts = list(1, 'starts'), ends = list(2, 'ends'), axes = list(3, 'axes') ?? [0], steps = list(4, 'steps') ?? [1];
  if (!starts || !ends || starts.length !== 1 || ends.length !== 1 || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1) || steps.length !== 1 || steps[0] === 0) {
    throw ctx.error(n, `Slice of a 1-D constant needs one start, end, axis 0 and a non-zero step; got starts [${starts?.join(', ')}], ends [${ends?.join(', ')}], axes [${axes.join(', ')}], steps [${steps.join(', ')}]`);
  }
  // ONNX clamps out-of-range starts/ends (INT64_MAX means "to the end").
  const len = vals.length, step = steps[0]!;
  const norm = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
  const begin = step > 0 ? norm(starts[0]!, 0, len) : norm(starts[0]!, -1, len - 1);
  const end = step > 0 ? norm(ends[0]!, 0, len) : norm(ends[0]!, -1, len - 1);
  const picked: number[] = [];
  for (let i = begin; step > 0 ? i < end : i > end; i += step) picked.push(vals[i]!);
  const value = data.ints ? { shape: [picked.length], ints: picked } : { shape: [picked.length], float: Float32Array.from(picked) };
  ctx.set(n, { kind: 'const', value, shape: value.shape });
}
