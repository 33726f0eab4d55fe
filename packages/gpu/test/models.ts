import { ModelBuilder, type Model } from '@tessera/nn';

/** Ten layers touching most op kinds, with a residual add and a concat (two readers of one value). */
export function tenLayerModel(batch = 1, size = 12, channels = 6): Model {
  const b = new ModelBuilder('ten-layers', [batch, 3, size, size], { seed: 3 });
  const x0 = b.conv2d(b.input, { outChannels: channels, kernel: 3, padding: 'same', name: 'c0' });
  const x1 = b.relu(x0, 'r1');
  const x2 = b.conv2d(x1, { outChannels: channels, kernel: 3, dilation: 2, padding: 'same', name: 'c2' });
  const x3 = b.scaleShift(x2, undefined, 's3');
  const x4 = b.add(x3, x1, 'a4');
  const x5 = b.relu(x4, 'r5');
  const x6 = b.maxPool(x5, { kernel: 2 }, 'mp6');
  const x7 = b.avgPool(x5, { kernel: 2 }, 'ap7');
  const x8 = b.concat([x6, x7], 'cat8');
  const x9 = b.leakyRelu(x8, 0.1, 'lr9');
  return b.build(x9);
}

/** Three small layers for the leak test. */
export function tinyModel(): Model {
  const b = new ModelBuilder('tiny', [1, 2, 8, 8], { seed: 5 });
  const x = b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same' });
  return b.build(b.maxPool(b.relu(x), { kernel: 2 }));
}
