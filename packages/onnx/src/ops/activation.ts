import { Tensor } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import { Attrs, type ImportContext } from '../context.js';
import { perChannel } from './arith.js';
import { requireChannels } from './views.js';

/** Element-wise activations keep the logical shape (they may run on a view). */
export function activation(n: OnnxNode, ctx: ImportContext): void {
  const x = ctx.tensor(n, 0);
  const b = ctx.builder, name = n.name || undefined;
  let node;
  switch (n.op_type) {
    case 'Relu': node = b.relu(x.node, name); break;
    case 'Sigmoid': node = b.sigmoid(x.node, name); break;
    case 'Tanh': node = b.tanh(x.node, name); break;
    case 'LeakyRelu': node = b.leakyRelu(x.node, Math.fround(new Attrs(ctx, n).float('alpha', 0.01)), name); break;
    case 'HardSigmoid': {
      const a = new Attrs(ctx, n);
      node = b.activation({ op: 'hardSigmoid', alpha: Math.fround(a.float('alpha', 0.2)), beta: Math.fround(a.float('beta', 0.5)) }, x.node, name);
      break;
    }
    case 'HardSwish': node = b.activation({ op: 'hardSwish' }, x.node, name); break;
    case 'PRelu': {
      // The slope broadcasts from the right (ONNX): [C, 1, 1] or [1, C, 1, 1] per channel, or one value.
      const channels = requireChannels(ctx, n, x);
      const c = ctx.constant(n, 1, 'the slope');
      const v = c && perChannel(c, x.shape);
      if (!c || !v) throw ctx.error(n, `the slope [${c?.shape.join(', ') ?? ''}] must be an initializer broadcasting per channel ([C, 1, 1]) or as one value over [${x.shape.join(', ')}]`);
      const one = v.every((e) => e === v[0]);
      node = b.layer({ op: 'prelu' }, [x.node], { slope: one ? Tensor.from([v[0]!], [1]) : Tensor.from(Float32Array.from(v), [channels]) }, name);
      break;
    }
    case 'Clip': {
      const [lo, hi] = clipBounds(n, ctx);
      if (lo === 0 && hi === 6) node = b.relu6(x.node, name);
      else if (lo === 0 && hi === Infinity) node = b.relu(x.node, name);
      else throw ctx.error(n, `Clip(${lo}, ${hi}) is not supported; only Clip(0, 6) (relu6) and Clip(0, ∞) (relu)`, { min: lo, max: hi });
      break;
    }
    default: throw ctx.error(n, 'not an activation');
  }
  ctx.set(n, ctx.nodeValue(node, x.shape));
}

/** min/max: attributes before opset 11, optional constant inputs from 11. */
function clipBounds(n: OnnxNode, ctx: ImportContext): [number, number] {
  if (ctx.opset < 11) {
    const a = new Attrs(ctx, n);
    return [a.float('min', -Infinity), a.float('max', Infinity)];
  }
  const bound = (i: number, dflt: number): number => {
    const c = ctx.constant(n, i, i === 1 ? 'min' : 'max');
    if (!c) return dflt;
    const v = c.float ?? c.ints;
    if (!v || v.length !== 1) throw ctx.error(n, `${i === 1 ? 'min' : 'max'} must be a scalar`);
    return v[0]!;
  };
  return [bound(1, -Infinity), bound(2, Infinity)];
}
