import { ModelBuilder } from './builder.js';
import type { Model } from './model.js';

export interface SeedStackOptions {
  /** Input image size (square), default 128. */
  size?: number;
  batch?: number;
  inChannels?: number;
  /** Channels of every conv, default 64. */
  channels?: number;
  dilations?: readonly number[];
  seed?: number;
}

/**
 * The seed's CNN: conv 3×3 → ReLU → max-pool 2×2 → a stack of 3×3 convs with
 * dilations 1, 2, 4, 8 (+ ReLU) that keeps the resolution while the receptive
 * field grows exponentially (Yu & Koltun).
 */
export function seedDilatedStack(o: SeedStackOptions = {}): Model {
  const size = o.size ?? 128, c = o.channels ?? 64;
  const b = new ModelBuilder('seed-dilated', [o.batch ?? 1, o.inChannels ?? 3, size, size], { seed: o.seed ?? 7 });
  let x = b.conv2d(b.input, { outChannels: c, kernel: 3, padding: 'same', name: 'conv_in' });
  x = b.relu(x, 'relu_in');
  x = b.maxPool(x, { kernel: 2, stride: 2 }, 'pool');
  for (const d of o.dilations ?? [1, 2, 4, 8]) {
    x = b.conv2d(x, { outChannels: c, kernel: 3, dilation: d, padding: 'same', name: `conv_d${d}` });
    x = b.relu(x, `relu_d${d}`);
  }
  return b.build(x);
}

/** VGG-style blocks: two 3×3 SAME convs + ReLU, then 2×2 max-pool, per width. */
export function vggBlockStack(o: { size?: number; batch?: number; widths?: readonly number[]; seed?: number } = {}): Model {
  const size = o.size ?? 112;
  const b = new ModelBuilder('vgg-blocks', [o.batch ?? 1, 3, size, size], { seed: o.seed ?? 11 });
  let x = b.input;
  (o.widths ?? [32, 64, 128]).forEach((w, i) => {
    x = b.relu(b.conv2d(x, { outChannels: w, kernel: 3, padding: 'same', name: `b${i}_conv1` }));
    x = b.relu(b.conv2d(x, { outChannels: w, kernel: 3, padding: 'same', name: `b${i}_conv2` }));
    x = b.maxPool(x, { kernel: 2, stride: 2 }, `b${i}_pool`);
  });
  return b.build(x);
}
