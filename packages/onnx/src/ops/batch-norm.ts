import { Tensor } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import { Attrs, type ImportContext } from '../context.js';
import { requireChannels } from './views.js';

/**
 * BatchNormalization (inference) as y = x·scale + shift per channel, with
 * scale = gamma / sqrt(var + eps) and shift = beta − mean·scale, computed in
 * double. undefined when `probe` and the node cannot be folded (a parameter
 * is computed at run time, or training outputs are used).
 */
export function batchNormParams(n: OnnxNode, ctx: ImportContext, channels: number, probe = false): { scale: Float64Array; shift: Float64Array } | undefined {
  if ((n.output ?? []).filter((o) => o).length > 1 || new Attrs(ctx, n).int('training_mode', 0) !== 0) {
    if (probe) return undefined;
    throw ctx.error(n, 'training mode (running mean/var outputs) is not supported; export the model in eval mode');
  }
  const names = ['scale', 'B', 'input_mean', 'input_var'];
  const vs: Float32Array[] = [];
  for (let i = 1; i <= 4; i++) {
    const v = ctx.input(n, i);
    if (!v || v.kind !== 'const' || !v.value.float || v.value.float.length !== channels) {
      if (probe) return undefined;
      throw ctx.error(n, `${names[i - 1]} (input ${i}) must be an initializer of ${channels} floats`);
    }
    vs.push(v.value.float);
  }
  const eps = new Attrs(ctx, n).float('epsilon', 1e-5);
  const [g, beta, mean, variance] = vs as [Float32Array, Float32Array, Float32Array, Float32Array];
  const scale = new Float64Array(channels), shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = g[c]! / Math.sqrt(variance[c]! + Math.fround(eps));
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

/** A BatchNormalization not folded into a Conv: a scaleShift layer. */
export function batchNormalization(n: OnnxNode, ctx: ImportContext): void {
  const x = ctx.tensor(n, 0);
  const c = requireChannels(ctx, n, x);
  const p = batchNormParams(n, ctx, c)!;
  const node = ctx.builder.scaleShift(x.node, { scale: Tensor.from(Float32Array.from(p.scale), [c]), shift: Tensor.from(Float32Array.from(p.shift), [c]) }, n.name || undefined);
  ctx.set(n, ctx.nodeValue(node, x.shape));
}
