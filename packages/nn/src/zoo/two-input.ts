import { ModelBuilder } from '../builder.js';
import type { Model } from '../model.js';

/**
 * A model with two inputs, as fusion nets have them: an `image`
 * [N, 3, size, size] and a `mask` [N, 1, size, size], each through its own
 * conv, added, then two outputs — `fused` (the ReLU of the sum, a feature
 * map) and `score` (global pool + dense, [N, 3]). What executors are checked
 * on for models with several inputs.
 */
export function twoInputNet(o: { size?: number; batch?: number; seed?: number } = {}): Model {
  const size = o.size ?? 15, n = o.batch ?? 1;
  const b = new ModelBuilder('two-input', [n, 3, size, size], { seed: o.seed ?? 8, inputName: 'image' });
  const mask = b.addInput('mask', [n, 1, size, size]);
  const a = b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same', name: 'image_conv' });
  const m = b.conv2d(mask, { outChannels: 4, kernel: 3, padding: 'same', name: 'mask_conv' });
  const fused = b.relu(b.add(a, m, 'sum'), 'fused');
  const score = b.dense(b.globalAvgPool(b.maxPool(fused, { kernel: 2, stride: 2 }, 'pool'), 'gap'), 3, undefined, 'score');
  return b.build({ fused, score });
}
