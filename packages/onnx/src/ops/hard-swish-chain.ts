import type { Constant } from '../constants.js';
import type { ImportContext, Value } from '../context.js';
import type { OnnxNode } from '../proto.js';

/*
 * hardswish written out as x · Clip(x + 3, 0, 6) / 6 (PaddlePaddle's
 * export, older PyTorch ones) is four element-wise layers over the same
 * feature map; as one hardSwish layer it is one pass. It computes
 * x · clamp(x/6 + 1/2, 0, 1) in float32: a few roundings from ORT's four
 * steps, far inside the 1e-4 the import is held to.
 */

const scalar = (v: Value | undefined): number | undefined => {
  if (v?.kind !== 'const') return undefined;
  const c: Constant = v.value;
  const vals = c.float ?? c.ints;
  return vals && vals.length === 1 ? Number(vals[0]) : undefined;
};

/** Clip's bounds when they are known constants: attributes before opset 11, inputs from 11. */
function clipBounds(n: OnnxNode, ctx: ImportContext): [number, number] | undefined {
  if (ctx.opset < 11) {
    const a = ctx.attrs(n);
    return [a.float('min', -Infinity), a.float('max', Infinity)];
  }
  const bound = (i: number, dflt: number): number | undefined => (n.input?.[i] ? scalar(ctx.values.get(n.input[i]!)) : dflt);
  const lo = bound(1, -Infinity), hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/**
 * When the Add `n` is x + 3 and the only reader of each step is the next
 * (Clip(0, 6), then Mul by x, then Div by 6 or Mul by 1/6), binds the last
 * step's output to one hardSwish of x, marks the three later nodes absorbed
 * and returns true; otherwise false (the Add is then imported as itself).
 */
export function hardSwishChain(n: OnnxNode, ctx: ImportContext): boolean {
  const ins = n.input ?? [];
  if (ins.length !== 2) return false;
  const vals = ins.map((i) => ctx.values.get(i));
  const xi = vals.findIndex((v) => v?.kind === 'node');
  if (xi < 0 || scalar(vals[1 - xi]) !== 3) return false;
  const x = vals[xi] as Value & { kind: 'node' };
  const xName = ins[xi]!;
  const clip = ctx.soleReader(n.output?.[0] ?? '');
  if (clip?.op_type !== 'Clip' || (clip.domain ?? '') !== '') return false;
  const b = clipBounds(clip, ctx);
  if (!b || b[0] !== 0 || b[1] !== 6) return false;
  const mul = ctx.soleReader(clip.output?.[0] ?? '');
  if (mul?.op_type !== 'Mul' || (mul.domain ?? '') !== '') return false;
  const mi = mul.input ?? [];
  if (!(mi.length === 2 && mi.includes(xName) && mi.includes(clip.output![0]!))) return false;
  const last = ctx.soleReader(mul.output?.[0] ?? '');
  if (!last || (last.domain ?? '') !== '' || (last.input ?? []).length !== 2 || last.input![0] !== mul.output![0]) return false;
  const k = scalar(ctx.values.get(last.input![1]!));
  const sixth = (last.op_type === 'Div' && k === 6) || (last.op_type === 'Mul' && k !== undefined && Math.abs(k - 1 / 6) < 1e-7);
  if (!sixth) return false;
  for (const a of [clip, mul, last]) ctx.absorbed.add(a);
  ctx.set(last, ctx.nodeValue(ctx.builder.hardSwish(x.node, last.name || undefined), x.shape));
  return true;
}
