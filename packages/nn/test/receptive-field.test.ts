import { expect } from 'chai';
import { ModelBuilder, receptiveField, seedDilatedStack } from '../src/index.js';

describe('receptiveField', () => {
  it('a stack of 3×3 convs with dilations 1, 2, 4, 8 sees 31×31 pixels (seed, Yu & Koltun)', () => {
    const b = new ModelBuilder('dil', [1, 1, 64, 64]);
    let x = b.input;
    for (const d of [1, 2, 4, 8]) x = b.conv2d(x, { outChannels: 2, kernel: 3, dilation: d, padding: 'same' });
    const m = b.build(x);
    const rf = receptiveField(m);
    expect(rf.size).to.deep.equal([31, 31]);
    expect(rf.jump).to.deep.equal([1, 1]);
    expect(rf.offset).to.deep.equal([-15, -15]);
    // Dilation keeps the resolution.
    expect(m.outputShape()).to.deep.equal([1, 2, 64, 64]);
    // Layer by layer: 3, 7, 15, 31 — exponential growth with linear depth.
    expect([0, 1, 2, 3].map((i) => receptiveField(m, i).size[0])).to.deep.equal([3, 7, 15, 31]);
  });

  it('strides multiply the jump; pooling counts as a window', () => {
    const b = new ModelBuilder('s', [1, 1, 32, 32]);
    let x = b.conv2d(b.input, { outChannels: 1, kernel: 3, stride: 2 });
    x = b.maxPool(x, { kernel: 2 });
    x = b.conv2d(x, { outChannels: 1, kernel: 3 });
    const m = b.build(x);
    // 3 → +1·2 = 5 → +2·4 = 13
    expect(receptiveField(m).size).to.deep.equal([13, 13]);
    expect(receptiveField(m).jump).to.deep.equal([4, 4]);
    expect(receptiveField(m, 0).offset).to.deep.equal([0, 0]);
  });

  it('follows the seed model by layer name and marks global layers', () => {
    const m = seedDilatedStack({ size: 32, channels: 2 });
    // conv 3 → pool 2 (+1) = 4, jump 2 → dilated stack adds 2·(1+2+4+8)·2 = 60
    expect(receptiveField(m, 'conv_d8').size).to.deep.equal([64, 64]);
    const b = new ModelBuilder('g', [1, 1, 10, 6]);
    const m2 = b.build(b.dense(b.globalAvgPool(b.conv2d(b.input, { outChannels: 1, kernel: 3 })), 2));
    const rf = receptiveField(m2);
    expect(rf.global).to.equal(true);
    expect(rf.size).to.deep.equal([10, 6]);
  });
});
