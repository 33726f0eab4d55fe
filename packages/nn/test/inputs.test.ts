import { expect } from 'chai';
import { Tensor, TesseraError, randomTensor } from '@tessera/tensor';
import { LocalExecutor, Model, ModelBuilder, fuseLayers, receptiveField, twoInputNet, type Layer } from '../src/index.js';

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(t.toFloat32Array().slice().buffer));

async function rejects(f: () => unknown, code: string, re: RegExp): Promise<void> {
  const err = await Promise.resolve().then(f).then(() => undefined, (e: unknown) => e);
  expect(err, 'nothing was thrown').to.be.instanceOf(TesseraError);
  expect((err as TesseraError).code, (err as Error).message).to.equal(code);
  expect((err as Error).message).to.match(re);
}

/** Layer `l` alone as a one-input model of `shape` (its input is the model input). */
function alone(l: Layer, shape: readonly number[]): Model {
  return new Model(l.name, shape, [{ ...l, index: 0, inputs: [-1] }], 0);
}

describe('models with several inputs', () => {
  const m = twoInputNet();
  const image = randomTensor([1, 3, 15, 15], 1), mask = randomTensor([1, 1, 15, 15], 2);

  it('names each input and its shape; layers read input k as -1 - k', () => {
    expect(m.inputs).to.deep.equal([{ name: 'image', shape: [1, 3, 15, 15] }, { name: 'mask', shape: [1, 1, 15, 15] }]);
    expect(m.inputShape).to.deep.equal([1, 3, 15, 15]);
    expect(m.layers.find((l) => l.name === 'mask_conv')!.inputs).to.deep.equal([-2]);
    expect(m.outputShapes([[2, 3, 9, 9], [2, 1, 9, 9]])).to.deep.equal({ fused: [2, 4, 9, 9], score: [2, 3] });
    expect(m.summary()).to.match(/inputs image \[1, 3, 15, 15\], mask \[1, 1, 15, 15\]/);
    expect(receptiveField(m, 'fused').size).to.deep.equal([3, 3]);
    expect(fuseLayers(m).inputs).to.deep.equal(m.inputs);
  });

  it('runAll takes a tensor per input name and gives the bits of each branch run alone', async () => {
    const local = new LocalExecutor();
    const all = await local.runAll(m, { image, mask });
    const conv = (name: string, x: Tensor, shape: readonly number[]): Promise<Tensor> => local.run(alone(m.layers.find((l) => l.name === name)!, shape), x);
    const a = (await conv('image_conv', image, image.shape)).toFloat32Array(), b = (await conv('mask_conv', mask, mask.shape)).toFloat32Array();
    // add then ReLU, each one float32 operation: what the kernels compute.
    const want = Float32Array.from(a, (v, i) => Math.max(0, Math.fround(v + b[i]!)));
    expect(bits(all.fused!)).to.deep.equal(bits(Tensor.from(want, [1, 4, 15, 15])));
    expect(all.score!.shape).to.deep.equal([1, 3]);
    const plain = await new LocalExecutor({ fuse: false }).runAll(m, { image, mask });
    const sync = local.runAllSync(m, { mask, image });
    for (const k of ['fused', 'score']) {
      expect(bits(plain[k]!), k).to.deep.equal(bits(all[k]!));
      expect(bits(sync[k]!), k).to.deep.equal(bits(all[k]!));
    }
  });

  it('refuses missing, unknown and misshapen inputs, and run on a model with several inputs', async () => {
    const local = new LocalExecutor();
    await rejects(() => local.runAll(m, image), 'BAD_ARGUMENT', /has 2 inputs \('image', 'mask'\); pass a tensor per input name/);
    await rejects(() => local.runAll(m, { image }), 'BAD_ARGUMENT', /input 'mask' must be a Tensor, got nothing/);
    await rejects(() => local.runAll(m, { image, mask, maks: mask }), 'BAD_ARGUMENT', /maks/);
    await rejects(() => local.runAll(m, { image, mask: randomTensor([1, 1, 14, 15], 3) }), 'SHAPE_MISMATCH', /layer \d+ 'sum'/);
    const one = new ModelBuilder('one-output', [1, 3, 8, 8], { inputName: 'image' });
    const k = one.addInput('mask', [1, 1, 8, 8]);
    const single = one.build(one.add(one.conv2d(one.input, { outChannels: 1, kernel: 1 }), k));
    await rejects(() => local.run(single, image), 'BAD_ARGUMENT', /has 2 inputs \('image', 'mask'\); use runAll/);
    await rejects(() => m.shapes([1, 3, 15, 15]), 'SHAPE_MISMATCH', /has 2 inputs \('image', 'mask'\), got 1 input shape/);
    await rejects(() => new Model('m', [{ name: 'a', shape: [1, 1, 2, 2] }, { name: 'a', shape: [1, 1, 2, 2] }], m.layers.slice(0, 1)), 'BAD_MODEL', /names two inputs "a"/);
    await rejects(() => new Model('m', [{ name: 'a', shape: [1, 3, 4, 4] }], m.layers.slice(0, 2)), 'BAD_MODEL', /reads input -2, which is not a model input \(-1 to -1\)/);
    expect(() => one.addInput('mask', [1, 1, 8, 8])).to.throw(/input name "mask" must be a non-empty string not used by another input/);
  });
});
