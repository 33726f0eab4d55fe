import { Tensor } from '@tessera/tensor';
import type { ImportContext, Value } from '../context.js';
import type { OnnxNode } from '../proto.js';
import { perChannel } from './arith.js';
import { requireChannels } from './views.js';

/*
 * x · c + d (or x / c − d) with per-channel or scalar constants — an affine
 * layer written as two nodes (PP-LCNet's learnable affine blocks, a
 * BatchNormalization exported unfolded) — becomes one scaleShift. Its kernel
 * computes fround(fround(x · s) + t): the same two float32 steps as the two
 * nodes, so the same bits; and one layer is what fuseLayers can merge into
 * the conv before it.
 */

/**
 * When `n` is a Mul or Div of a tensor by a constant whose only reader is an
 * Add or Sub of a constant, binds the second node's output to one scaleShift,
 * marks it absorbed and returns true; otherwise false (`n` is then imported
 * as itself).
 */
export function scaleShiftChain(n: OnnxNode, ctx: ImportContext): boolean {
  if ((n.op_type !== 'Mul' && n.op_type !== 'Div') || (n.input ?? []).length !== 2) return false;
  const [a, b] = n.input!.map((i) => ctx.values.get(i));
  // Div only as tensor / constant.
  const x = a?.kind === 'node' && b?.kind === 'const' ? a : n.op_type === 'Mul' && b?.kind === 'node' && a?.kind === 'const' ? b : undefined;
  const c = x === a ? b : a;
  if (!x || c?.kind !== 'const') return false;
  const next = ctx.soleReader(n.output?.[0] ?? '');
  if (!next || (next.op_type !== 'Add' && next.op_type !== 'Sub') || (next.domain ?? '') !== '' || (next.input ?? []).length !== 2) return false;
  const at = next.input!.indexOf(n.output![0]!);
  // Sub only as (x · c) − constant.
  if (at < 0 || (next.op_type === 'Sub' && at !== 0)) return false;
  const d = ctx.values.get(next.input![1 - at]!);
  if (d?.kind !== 'const') return false;
  let channels: number;
  try {
    channels = requireChannels(ctx, n, x as Value & { kind: 'node' });
  } catch {
    return false; // arith reports what does not fit
  }
  const s = perChannel(c.value, x.shape), t = perChannel(d.value, x.shape);
  if (!s || !t) return false;
  const vec = (f: (i: number) => number): Tensor => Tensor.from(Float32Array.from({ length: channels }, (_, i) => f(i)), [channels]);
  const weights = {
    scale: vec((i) => (n.op_type === 'Mul' ? s[i]! : 1 / s[i]!)),
    shift: vec((i) => (next.op_type === 'Add' ? t[i]! : -t[i]!)),
  };
  ctx.absorbed.add(next);
  ctx.set(next, ctx.nodeValue(ctx.builder.scaleShift((x as Value & { kind: 'node' }).node, weights, next.name || undefined), x.shape));
  return true;
}
