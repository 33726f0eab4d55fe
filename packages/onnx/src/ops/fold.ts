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
