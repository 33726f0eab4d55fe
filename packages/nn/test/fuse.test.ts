import { expect } from 'chai';
import { Tensor, TesseraError, getOp, randInt, randomTensor, rng, runOp, type Conv2dSpec } from '@tessera/tensor';
import {
  INPUT, LocalExecutor, Model, ModelBuilder, faceLandmark68Net, faceRecognitionNet, fuseLayers, seedDilatedStack, tinyFaceDetectorNet,
  type Node,
} from '../src/index.js';

/** Bits, not values: −0 vs +0 and NaN payloads count. */
function expectBits(a: Tensor, b: Tensor, what: string): void {
  expect(a.shape, `${what} shape`).to.deep.equal(b.shape);
  const x = new Uint32Array(a.toFloat32Array().buffer), y = new Uint32Array(b.toFloat32Array().buffer);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) expect.fail(`${what}: element ${i} has bits ${x[i]!.toString(16)}, expected ${y[i]!.toString(16)}`);
  }
}

/** The original model run layer by layer with runOp (no fusion anywhere): the oracle. */
function unfused(model: Model, input: Tensor): Tensor {
  const values: Tensor[] = [];
  const shapes = model.shapes(input.shape);
  for (const l of model.layers) {
    const out = Tensor.zeros(shapes[l.index]!);
    runOp(l.spec, l.inputs.map((s) => (s === INPUT ? input : values[s]!)), l.weights, out);
    values.push(out);
  }
  return values[model.output]!;
}

const ops = (m: Model) => m.layers.map((l) => l.spec.op);
const local = new LocalExecutor();

/** conv or conv2dTranspose (+bias) → [added constant] → scaleShift → act chains with random widths, sometimes without shift or bias, plus pools between. */
function chainModel(seed: number): Model {
  const rand = rng(seed);
  const b = new ModelBuilder(`chains-${seed}`, [randInt(rand, 1, 2), randInt(rand, 1, 3), randInt(rand, 9, 20), randInt(rand, 9, 20)], { seed });
  let x: Node = b.input;
  for (let i = 0; i < 4; i++) {
    const c = randInt(rand, 1, 6);
    const bias = rand() < 0.7;
    // Every other model has transposed convs too: a 2×2 stride-2 upsampling (the engine's shuffled form) or a 3×3 stride-2 one.
    if (seed % 2 === 0 && rand() < 0.4) {
      const k = [2, 3][randInt(rand, 0, 1)]!;
      x = b.conv2dTranspose(x, { outChannels: c, kernel: k, stride: 2, padding: k === 3 ? 1 : 0, bias });
    } else {
      x = b.conv2d(x, { outChannels: c, kernel: [1, 3][randInt(rand, 0, 1)]!, padding: 'same', bias });
    }
    // An added constant (ONNX Add of a per-channel vector: scale exactly 1), taken as the bias of a layer without one.
    if (!bias && rand() < 0.6) x = b.scaleShift(x, { scale: Tensor.filled([c], 1), shift: randomTensor([c], seed * 10 + i + 7) });
    if (rand() < 0.7) {
      const scale = randomTensor([c], seed * 10 + i, -2, 2);
      x = b.scaleShift(x, rand() < 0.3 ? { scale } : { scale, shift: randomTensor([c], seed * 10 + i + 5) });
    }
    const act = randInt(rand, 0, 6);
    if (act === 1) x = b.relu(x);
    else if (act === 2) x = b.relu6(x);
    else if (act === 3) x = b.leakyRelu(x, [0.1, 0.2, -0.5][randInt(rand, 0, 2)]!);
    else if (act === 4) x = b.sigmoid(x);
    else if (act === 5) x = b.hardSigmoid(x, [0.2, 1 / 3, -0.7][randInt(rand, 0, 2)]!, [0.5, -0, 0.1][randInt(rand, 0, 2)]!);
    else if (act === 6) x = b.hardSwish(x);
    // A scaleShift after the activation (PP-LCNetV3): a conv2d's post-activation affine; after a conv2dTranspose it stays.
    if (rand() < 0.4) {
      const scale = randomTensor([c], seed * 10 + i + 3, -2, 2);
      x = b.scaleShift(x, rand() < 0.3 ? { scale } : { scale, shift: randomTensor([c], seed * 10 + i + 4) });
    }
    if (rand() < 0.3) x = b.maxPool(x, { kernel: 2, padding: 'same' });
  }
  return b.build(x);
}

describe('fuseLayers', () => {
  it('fuses conv → scaleShift → relu into one layer that keeps the conv name', () => {
    const b = new ModelBuilder('m', [1, 3, 8, 8]);
    let x = b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same', name: 'conv' });
    x = b.scaleShift(x, undefined, 'bn');
    x = b.relu(x, 'act');
    x = b.maxPool(x, { kernel: 2 }, 'pool');
    const m = b.build(x);
    const f = fuseLayers(m);
    expect(ops(f)).to.deep.equal(['conv2d', 'maxPool']);
    expect(f.layers[0]!.name).to.equal('conv');
    expect(f.layers[0]!.merged).to.deep.equal(['bn', 'act']);
    expect((f.layers[0]!.spec as Conv2dSpec).activation).to.equal('relu');
    expect(f.layers[0]!.weights.scale).to.equal(m.layers[1]!.weights.scale);
    expect(f.layers[1]!.inputs).to.deep.equal([0]);
    expect(f.output).to.equal(1);
    expect(f.id).to.equal(`${m.id}+fused`);
  });

  it('returns the same Model when nothing fuses, caches per model, and is idempotent', () => {
    const b = new ModelBuilder('m', [1, 3, 8, 8]);
    const m = b.build(b.maxPool(b.relu(b.input), { kernel: 2 }));
    expect(fuseLayers(m)).to.equal(m);
    const s = seedDilatedStack({ size: 16, channels: 2 });
    const f = fuseLayers(s);
    expect(fuseLayers(s)).to.equal(f);
    expect(fuseLayers(f)).to.equal(f);
    expect(ops(f)).to.deep.equal(['conv2d', 'maxPool', 'conv2d', 'conv2d', 'conv2d', 'conv2d']);
  });

  it('does not fuse through an output read twice, the model output, sigmoid, or a conv that already has an activation', () => {
    const b = new ModelBuilder('m', [1, 2, 8, 8]);
    const c0 = b.conv2d(b.input, { outChannels: 3, kernel: 3, padding: 'same' });
    const r0 = b.relu(c0);
    const sum = b.add(c0, r0); // c0 has two readers
    const c1 = b.conv2d(sum, { outChannels: 3, kernel: 1 });
    const s1 = b.sigmoid(c1); // not an epilogue activation
    const c2 = b.conv2d(s1, { outChannels: 3, kernel: 1 });
    const bn = b.scaleShift(c2);
    const both = b.concat([bn, b.relu(bn)]); // bn has two readers: conv+bn fuse, the relu stays
    const c3 = b.conv2d(both, { outChannels: 2, kernel: 1 });
    const m = b.build(c3); // c3 is the output: nothing after it
    const f = fuseLayers(m);
    expect(ops(f)).to.deep.equal(['conv2d', 'relu', 'add', 'conv2d', 'sigmoid', 'conv2d', 'relu', 'concat', 'conv2d']);
    expect(f.layers[5]!.weights.scale).to.not.equal(undefined);
    expect((f.layers[5]!.spec as Conv2dSpec).activation).to.equal(undefined);
    expect(f.layers[7]!.inputs).to.deep.equal([5, 6]);
    // The model output is never absorbed: conv → relu with the conv as output keeps both... and here it is the last layer.
    const b2 = new ModelBuilder('m2', [1, 2, 8, 8]);
    const cv = b2.conv2d(b2.input, { outChannels: 3, kernel: 3 });
    b2.relu(cv);
    const m2 = b2.build(cv); // output is the conv; the relu is a dead branch
    expect(fuseLayers(m2)).to.equal(m2);
    // An activation already in the spec: the next relu is not merged (nothing to merge into).
    const b3 = new ModelBuilder('m3', [1, 2, 8, 8]);
    const cv3 = b3.layer({ op: 'conv2d', kernel: 1, activation: 'relu6' } as Conv2dSpec, [b3.input], { weight: randomTensor([2, 2, 1, 1], 1) });
    const m3 = b3.build(b3.relu(cv3));
    expect(fuseLayers(m3)).to.equal(m3);
  });

  it('takes a scaleShift after a conv2d\'s activation as its post-activation affine (not a conv2dTranspose\'s), bit for bit', async () => {
    const b = new ModelBuilder('post', [1, 2, 6, 6]);
    let x = b.conv2d(b.input, { outChannels: 3, kernel: 3, padding: 'same' });
    x = b.scaleShift(x);
    x = b.hardSwish(x);
    x = b.scaleShift(x, { scale: Tensor.from([1.5, -1, 0], [3]), shift: Tensor.from([0.25, -0, 1], [3]) });
    // Without a shift: −0 products stay −0 (a −0 post shift).
    x = b.conv2d(x, { outChannels: 2, kernel: 1 });
    x = b.relu(x);
    x = b.scaleShift(x, { scale: Tensor.from([-1, 2], [2]) });
    x = b.conv2dTranspose(x, { outChannels: 2, kernel: 2, stride: 2 });
    x = b.relu(x);
    x = b.scaleShift(x, { scale: Tensor.from([3, -2], [2]), shift: Tensor.from([1, 2], [2]) });
    const m = b.build(x);
    const f = fuseLayers(m);
    expect(ops(f)).to.deep.equal(['conv2d', 'conv2d', 'conv2dTranspose', 'scaleShift']);
    expect(f.layers[0]!.weights.postScale!.toFloat32Array()).to.deep.equal(new Float32Array([1.5, -1, 0]));
    expect(f.layers[0]!.merged).to.have.length(3);
    expect(Object.is(f.layers[1]!.weights.postShift!.data[0], -0)).to.equal(true);
    const input = randomTensor([1, 2, 6, 6], 9, -4, 4);
    expectBits(await local.run(m, input), unfused(m, input), 'post-activation affine');
  });

  it('does not fuse a scaleShift that does not follow the conv directly (a pool between)', () => {
    const b = new ModelBuilder('m', [1, 2, 8, 8]);
    const m = b.build(b.relu(b.scaleShift(b.maxPool(b.conv2d(b.input, { outChannels: 3, kernel: 3 }), { kernel: 2 }))));
    expect(fuseLayers(m)).to.equal(m);
  });

  it('fuses a scaleShift without shift (a −0 shift: −0 products stay −0) and fuses relu6/leakyRelu with their alpha', async () => {
    const b = new ModelBuilder('m', [1, 1, 4, 4]);
    // Weight and bias zero, scale negative: every product is −0, which a +0 shift would turn into +0.
    let x = b.conv2d(b.input, { outChannels: 2, kernel: 1 }, { weight: Tensor.zeros([2, 1, 1, 1]) });
    x = b.scaleShift(x, { scale: Tensor.from([-1, 2], [2]) });
    x = b.leakyRelu(x, 0.3);
    const m = b.build(x);
    const f = fuseLayers(m);
    expect(ops(f)).to.deep.equal(['conv2d']);
    expect(f.layers[0]!.spec).to.include({ activation: 'leakyRelu', alpha: 0.3 });
    expect(Object.is(f.layers[0]!.weights.shift!.data[0], -0)).to.equal(true);
    const input = randomTensor([1, 1, 4, 4], 3);
    expectBits(await local.run(m, input), unfused(m, input), 'no-shift chain');
  });

  it('fuses hardSigmoid with its alpha and beta, and hardSwish (MobileNetV3), bit for bit at the clamp edges', async () => {
    // A 1×1 conv of weight 1 passes x through; the input holds ±3 and its float32 neighbours, where hardSwish's clamp turns.
    const edges = [3, -3, 2.9999998, -2.9999998, 3.0000002, -3.0000002, 0, -0, 1e-45, 2.5, -2.5, 100, -100, 1e-3, -1e-3, 7];
    for (const act of ['hardSwish', 'hardSigmoid'] as const) {
      const b = new ModelBuilder(`m-${act}`, [1, 1, 4, 4]);
      let x = b.conv2d(b.input, { outChannels: 2, kernel: 1 }, { weight: Tensor.from([1, -1], [2, 1, 1, 1]), bias: Tensor.from([0, 0], [2]) });
      x = b.scaleShift(x, { scale: Tensor.from([1, 0.5], [2]), shift: Tensor.from([-0, 1], [2]) });
      x = act === 'hardSwish' ? b.hardSwish(x) : b.hardSigmoid(x, 0.2, 0.5);
      const m = b.build(b.maxPool(x, { kernel: 1 }));
      const f = fuseLayers(m);
      expect(ops(f), act).to.deep.equal(['conv2d', 'maxPool']);
      expect(f.layers[0]!.spec, act).to.include(act === 'hardSwish' ? { activation: 'hardSwish' } : { activation: 'hardSigmoid', alpha: 0.2, beta: 0.5 });
      const input = Tensor.from(edges, [1, 1, 4, 4]);
      expectBits(await local.run(m, input), unfused(m, input), act);
    }
  });

  it('folds a zero pad into the padding of the conv that alone reads it (not into same padding, a non-zero pad, or a shared pad)', async () => {
    const b = new ModelBuilder('pads', [2, 3, 11, 9]);
    let x = b.pad(b.input, { top: 1, bottom: 2, left: 0, right: 3 }, 'p1');
    x = b.conv2d(x, { outChannels: 4, kernel: 3, stride: 2, padding: { top: 1, bottom: 0, left: 2, right: 1 }, name: 'c1' });
    x = b.pad(x, { top: 1, bottom: 1, left: 1, right: 1 }, 'p2');
    x = b.conv2d(x, { outChannels: 4, kernel: 3, padding: 'same', name: 'c2' }); // same: depends on the size, kept
    x = b.pad(x, { top: 1, bottom: 1, left: 1, right: 1, value: 1 }, 'p3');
    x = b.conv2d(x, { outChannels: 2, kernel: 3, groups: 2, name: 'c3' }); // pad of ones: kept
    const shared = b.pad(x, { top: 1, bottom: 1, left: 1, right: 1 }, 'p4');
    x = b.add(b.conv2d(shared, { outChannels: 2, kernel: 3, padding: 'valid', name: 'c4' }), b.maxPool(shared, { kernel: 3, stride: 1 }));
    const m = b.build(x);
    const f = fuseLayers(m);
    expect(f.layers.map((l) => l.name)).to.not.include('p1');
    for (const kept of ['p2', 'p3', 'p4']) expect(f.layers.map((l) => l.name)).to.include(kept);
    const c1 = f.layers.find((l) => l.name === 'c1')!;
    expect((c1.spec as Conv2dSpec).padding).to.deep.equal({ top: 2, bottom: 2, left: 2, right: 4 });
    expect(c1.merged).to.deep.equal(['p1']);
    const x0 = randomTensor(m.inputShape, 3);
    expectBits(await local.run(m, x0), unfused(m, x0), 'pad folded into conv');
  });

  it('names the merged layers in errors of the fused layer', () => {
    const b = new ModelBuilder('m', [1, 3, 8, 8]);
    const m = fuseLayers(b.build(b.relu(b.scaleShift(b.conv2d(b.input, { outChannels: 2, kernel: 3, name: 'c' }), undefined, 'bn'), 'r')));
    try {
      m.shapes([1, 5, 8, 8]);
      expect.fail('should throw');
    } catch (e) {
      expect((e as TesseraError).message).to.match(/layer 0 'c' \(conv2d fused with 'bn', 'r'\)/);
    }
  });

  it('takes an added constant (scale exactly 1) as the bias of a conv2dTranspose without one, then a scaleShift and relu (a U-Net decoder)', () => {
    const b = new ModelBuilder('m', [1, 3, 5, 5]);
    let x = b.conv2dTranspose(b.input, { outChannels: 4, kernel: 2, stride: 2, bias: false, name: 'up' });
    x = b.scaleShift(x, { scale: Tensor.filled([4], 1), shift: randomTensor([4], 3) }, 'add');
    x = b.scaleShift(x, undefined, 'bn');
    x = b.relu(x, 'act');
    const m = b.build(x);
    const f = fuseLayers(m);
    expect(ops(f)).to.deep.equal(['conv2dTranspose']);
    expect(f.layers[0]!.merged).to.deep.equal(['add', 'bn', 'act']);
    expect(f.layers[0]!.weights.bias).to.equal(m.layers[1]!.weights.shift);
    // A detector's head: transposed conv, added constant, sigmoid — one layer.
    const h = new ModelBuilder('h', [1, 3, 5, 5]);
    const up = h.conv2dTranspose(h.input, { outChannels: 1, kernel: 2, stride: 2, bias: false });
    const head = h.build(h.sigmoid(h.scaleShift(up, { scale: Tensor.filled([1], 1), shift: Tensor.filled([1], 0.25) })));
    expect(ops(fuseLayers(head))).to.deep.equal(['conv2dTranspose']);
    expect((fuseLayers(head).layers[0]!.spec as { activation?: string }).activation).to.equal('sigmoid');
    // Not when the layer has a bias, or the scale is not exactly 1.
    const c = new ModelBuilder('n', [1, 3, 5, 5]);
    let y = c.conv2d(c.input, { outChannels: 4, kernel: 1, bias: true });
    y = c.scaleShift(y, { scale: Tensor.filled([4], 1), shift: randomTensor([4], 3) });
    y = c.scaleShift(y, { scale: Tensor.filled([4], 1.5), shift: randomTensor([4], 3) });
    // (the first scaleShift becomes the scale/shift, not the bias; the second the post-activation affine)
    const cf = fuseLayers(c.build(y));
    expect(ops(cf)).to.deep.equal(['conv2d']);
    expect(cf.layers[0]!.weights.scale!.toFloat32Array()).to.deep.equal(new Float32Array(4).fill(1));
    expect(cf.layers[0]!.weights.postScale!.toFloat32Array()).to.deep.equal(new Float32Array(4).fill(1.5));
  });

  it('fuses dense chains only once dense takes scale/shift', () => {
    const b = new ModelBuilder('m', [2, 3, 2, 2]);
    const m = b.build(b.relu(b.scaleShift(b.dense(b.input, 4))));
    const expected = getOp('dense').weightNames.includes('scale') ? ['dense'] : ['dense', 'scaleShift', 'relu'];
    expect(ops(fuseLayers(m))).to.deep.equal(expected);
  });

  describe('fused LocalExecutor output equals the unfused chain bit for bit', () => {
    for (let seed = 1; seed <= 16; seed++) {
      it(`random chain model ${seed}`, async () => {
        const m = chainModel(seed);
        const input = randomTensor(m.inputShape, seed);
        const got = await local.run(m, input);
        expectBits(got, unfused(m, input), m.name);
        expectBits(local.runSync(m, input), got, `${m.name} runSync`);
        expectBits(await new LocalExecutor({ fuse: false }).run(m, input), got, `${m.name} fuse: false`);
      });
    }

    it('the face nets (detector at 64, landmarks, recognition)', async function () {
      this.timeout(120_000);
      for (const m of [tinyFaceDetectorNet(undefined, 64), faceLandmark68Net(), faceRecognitionNet()]) {
        const f = fuseLayers(m);
        expect(f.layers.length, `${m.name} fuses something`).to.be.lessThan(m.layers.length);
        const input = randomTensor(m.inputShape, 5, 0, 1);
        expectBits(await local.run(m, input), unfused(m, input), m.name);
      }
    });
  });
});
