import type { OnnxNode } from '../proto.js';
import type { ImportContext } from '../context.js';
import { requireFeatureMap } from './views.js';

/** Pad modes Tessera's pad layer has. */
export const PAD_MODES = ['constant', 'reflect', 'edge'];

/**
 * Pad on a feature map: constant mode on rows, columns and channels, reflect
 * and edge on rows and columns (Tessera's pad layer); the batch is never padded. Pads and value are attributes before
 * opset 11, constant inputs from 11 (axes from 18).
 */
export function pad(n: OnnxNode, ctx: ImportContext): void {
  const a = ctx.attrs(n);
  const x = ctx.tensor(n, 0);
  requireFeatureMap(ctx, n, x, 'input 0');
  const mode = a.string('mode', 'constant');
  if (!PAD_MODES.includes(mode)) throw a.bad('mode', `'${mode}' is not supported (${PAD_MODES.join(', ')})`, { mode });
  let pads: number[] | undefined, value = 0;
  if (ctx.opset < 11) {
    pads = a.ints('pads');
    value = a.float('value', 0);
  } else {
    pads = ctx.constant(n, 1, 'pads')?.ints?.slice();
    const v = ctx.constant(n, 2, 'constant_value');
    if (v) value = (v.float ?? v.ints)?.[0] ?? 0;
    const axes = ctx.constant(n, 3, 'axes')?.ints;
    if (axes && pads) {
      // Pads given for some axes only: spread them over all four.
      const full = new Array<number>(8).fill(0);
      axes.forEach((ax, i) => { const k = ax < 0 ? ax + 4 : ax; full[k] = pads![i]!; full[k + 4] = pads![i + axes.length]!; });
      pads = full;
    }
  }
  if (!pads || pads.length !== 8) throw ctx.error(n, `pads must have 8 entries for a 4-D input, got [${pads?.join(', ') ?? ''}]`);
  if (pads.some((p) => p < 0)) throw ctx.error(n, `negative pads (cropping) are not supported, got [${pads.join(', ')}]`);
  if (pads[0] !== 0 || pads[4] !== 0) throw ctx.error(n, `padding the batch axis is not supported, got [${pads.join(', ')}]`);
  if (mode !== 'constant' && (pads[1] !== 0 || pads[5] !== 0)) throw ctx.error(n, `${mode} padding of the channel axis is not supported, got [${pads.join(', ')}]`);
  const sides = { top: pads[2]!, left: pads[3]!, bottom: pads[6]!, right: pads[7]! };
  const node = mode === 'constant'
    ? ctx.builder.pad(x.node, { channelsBefore: pads[1]!, channelsAfter: pads[5]!, ...sides, value }, n.name || undefined)
    : ctx.builder.pad(x.node, { ...sides, mode: mode as 'reflect' | 'edge' }, n.name || undefined);
  ctx.set(n, ctx.nodeValue(node));
}
