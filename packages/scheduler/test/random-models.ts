import { randInt, randomTensor, rng, type Padding } from '@tessera/tensor';
import { ModelBuilder, type Model, type Node } from '@tessera/nn';

const PADDINGS: Padding[] = ['same', 'valid', 1, { top: 0, bottom: 2, left: 1, right: 0 }];

/**
 * A random CNN: convs (kernel 1–5, stride 1–2, dilation 1–3, every padding
 * mode, groups), pools, activations, scale/shift, pads, and residual add and
 * concat branches. Ops whose window no longer fits are skipped. With
 * `chains`, also conv → scaleShift (with or without shift) → relu | relu6 |
 * leakyRelu chains, which executors fuse into one layer (nn's fuseLayers).
 */
export function randomModel(seed: number, opts: { batch?: number; size?: number; layers?: number; chains?: boolean } = {}): Model {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[randInt(rand, 0, xs.length - 1)]!;
  const inC = randInt(rand, 1, 4);
  const h = opts.size ?? randInt(rand, 12, 26), w = opts.size ?? randInt(rand, 12, 26);
  const b = new ModelBuilder(`random-${seed}`, [opts.batch ?? randInt(rand, 1, 2), inC, h, w], { seed });
  let x: Node = b.input;
  const want = opts.layers ?? randInt(rand, 4, 9);
  for (let tries = 0; b.size < want && tries < 60; tries++) {
    const c = x.shape[1]!;
    const kinds = ['conv', 'conv', 'conv', 'pool', 'act', 'scale', 'add', 'concat', 'pad', 'dwconv'] as const;
    const kind = opts.chains && rand() < 0.4 ? 'chain' : pick(kinds);
    try {
      switch (kind) {
        case 'conv': {
          const groups = pick([1, 1, c % 2 === 0 ? 2 : 1]);
          const outC = groups * randInt(rand, 1, 3);
          x = b.conv2d(x, {
            outChannels: outC, groups, kernel: pick([1, 3, 3, 5, [3, 1]] as const), stride: pick([1, 1, 2]),
            dilation: pick([1, 1, 2, 3]), padding: pick(PADDINGS), flip: rand() < 0.2,
          });
          break;
        }
        case 'chain': {
          const outC = randInt(rand, 1, 4);
          const conv = b.conv2d(x, { outChannels: outC, kernel: pick([1, 3] as const), stride: pick([1, 1, 2]), padding: pick(PADDINGS), bias: rand() < 0.8 });
          const bn = rand() < 0.25 ? b.scaleShift(conv, { scale: randomTensor([outC], seed + b.size, -2, 2) }) : b.scaleShift(conv);
          x = pick([() => b.relu(bn), () => b.relu6(bn), () => b.leakyRelu(bn, pick([0.1, 0.2]))])();
          break;
        }
        case 'dwconv':
          x = b.depthwiseConv2d(x, { kernel: 3, padding: pick(PADDINGS), dilation: pick([1, 2]) });
          break;
        case 'pool': {
          const op = pick(['maxPool', 'avgPool', 'l2Pool'] as const);
          x = b[op](x, { kernel: pick([2, 3]), stride: pick([1, 2]), padding: pick(['same', 'valid'] as const) });
          break;
        }
        case 'act':
          x = pick([() => b.relu(x), () => b.leakyRelu(x, 0.1), () => b.sigmoid(x), () => b.tanh(x), () => b.relu6(x)])();
          break;
        case 'scale':
          x = b.scaleShift(x);
          break;
        case 'add': {
          const branch = b.conv2d(x, { outChannels: c, kernel: 3, padding: 'same', dilation: pick([1, 2]) });
          x = b.relu(b.add(x, branch));
          break;
        }
        case 'concat': {
          const left = b.conv2d(x, { outChannels: randInt(rand, 1, 3), kernel: 1 });
          const right = b.maxPool(x, { kernel: 3, stride: 1, padding: 'same' });
          x = b.concat([left, right]);
          break;
        }
        case 'pad':
          x = b.pad(x, { top: randInt(rand, 0, 2), bottom: randInt(rand, 0, 1), left: randInt(rand, 0, 1), right: randInt(rand, 0, 2) });
          break;
      }
    } catch {
      // The op did not fit the current shape; try another.
    }
  }
  return b.build(x);
}
