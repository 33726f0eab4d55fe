import { ModelBuilder } from '../builder.js';
import type { Model } from '../model.js';

export interface MultiHeadOptions {
  /** Input image size (square), default 23 (odd, so tiles and pools meet uneven edges). */
  size?: number;
  batch?: number;
  /** Channels of the trunk, default 8. */
  channels?: number;
  seed?: number;
}

/**
 * A trunk with heads of different shapes, the way detectors end:
 * - `boxes`: a 1×1 conv + sigmoid branching from the middle of the trunk,
 *   [N, 4, ⌈size/2⌉, ⌈size/2⌉];
 * - `scores`: the trunk's end, pooled globally into a dense layer, [N, 5];
 * - `features`: the middle feature map itself, an output that later layers
 *   also read, [N, 2·channels, ⌈size/2⌉, ⌈size/2⌉].
 * What executors are checked on for models with several outputs.
 */
export function multiHeadNet(o: MultiHeadOptions = {}): Model {
  const size = o.size ?? 23, c = o.channels ?? 8;
  const b = new ModelBuilder('multi-head', [o.batch ?? 1, 3, size, size], { seed: o.seed ?? 5 });
  let x = b.relu(b.conv2d(b.input, { outChannels: c, kernel: 3, padding: 'same', name: 'stem' }), 'stem_relu');
  const mid = b.relu(b.conv2d(x, { outChannels: 2 * c, kernel: 3, stride: 2, padding: 'same', name: 'down' }), 'down_relu');
  const boxes = b.sigmoid(b.conv2d(mid, { outChannels: 4, kernel: 1, name: 'boxes_conv' }), 'boxes');
  x = b.relu(b.conv2d(mid, { outChannels: 2 * c, kernel: 3, dilation: 2, padding: 'same', name: 'deep' }), 'deep_relu');
  x = b.maxPool(x, { kernel: 2, stride: 2, padding: 'same' }, 'pool');
  x = b.relu(b.conv2d(x, { outChannels: 2 * c, kernel: 3, padding: 'same', name: 'top' }), 'top_relu');
  const scores = b.dense(b.globalAvgPool(x, 'gap'), 5, undefined, 'scores');
  return b.build({ boxes, scores, features: mid });
}
