import { expect } from 'chai';
import { Tensor, TesseraError, randomTensor, sizeOf } from '@tessera/tensor';
import { LocalExecutor, Model, ModelBuilder, fuseLayers, multiHeadNet, receptiveField, runBatch } from '../src/index.js';

const bits = (t: Tensor): number[] => Array.from(t.toFloat32Array());

/** The same layers with only output `name`: what a one-output model computes for it. */
function only(m: Model, name: string): Model {
  return new Model(m.name, m.inputShape, m.layers, m.outputs.find((o) => o.name === name)!.layer);
}

async function rejects(p: Promise<unknown> | (() => unknown), code: string, re: RegExp): Promise<void> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(() => undefined, (e: unknown) => e);
  expect(err, 'nothing was thrown').to.be.instanceOf(TesseraError);
  expect((err as TesseraError).code, (err as Error).message).to.equal(code);
  expect((err as Error).message).to.match(re);
}

describe('models with several outputs', () => {
  const m = multiHeadNet();
  const x = randomTensor(m.inputShape, 3);

  it('names each output, its layer and its shape', () => {
    expect(m.outputs.map((o) => o.name)).to.deep.equal(['boxes', 'scores', 'features']);
    expect(m.outputShapes()).to.deep.equal({ boxes: [1, 4, 12, 12], scores: [1, 5], features: [1, 16, 12, 12] });
    expect(m.outputShape('scores', [2, 3, 31, 31])).to.deep.equal([2, 5]);
    expect(m.outputs.every((o) => m.isOutput(o.layer))).to.equal(true);
    expect(m.isOutput(0)).to.equal(false);
    expect(m.summary()).to.match(/outputs: boxes = #\d+ \[1, 4, 12, 12\], scores = #\d+ \[1, 5\], features = #\d+ \[1, 16, 12, 12\]/);
  });

  it('keeps a one-output model as it was: output, outputShape() and the name "output"', () => {
    const one = only(m, 'scores');
    expect(one.outputs).to.deep.equal([{ name: 'output', layer: one.output }]);
    expect(one.outputShape()).to.deep.equal([1, 5]);
    expect(one.outputShape([2, 3, 9, 9])).to.deep.equal([2, 5]);
    expect(one.outputShape('output')).to.deep.equal([1, 5]);
  });

  it('refuses outputs that are missing, unnamed, named twice, the same layer twice or not a layer', async () => {
    const ls = m.layers;
    await rejects(() => new Model('m', m.inputShape, ls, []), 'BAD_MODEL', /needs at least one output/);
    await rejects(() => new Model('m', m.inputShape, ls, [{ name: '', layer: 1 }]), 'BAD_MODEL', /output name must be a non-empty string/);
    await rejects(() => new Model('m', m.inputShape, ls, [{ name: 'a', layer: 1 }, { name: 'a', layer: 2 }]), 'BAD_MODEL', /names two outputs "a"/);
    await rejects(() => new Model('m', m.inputShape, ls, [{ name: 'a', layer: 1 }, { name: 'b', layer: 1 }]), 'BAD_MODEL', /outputs "a" and "b" are both layer 1/);
    await rejects(() => new Model('m', m.inputShape, ls, [{ name: 'a', layer: ls.length }]), 'BAD_MODEL', /output "a" is layer \d+, not a layer index/);
    await rejects(() => m.outputShape(), 'BAD_ARGUMENT', /has 3 outputs \('boxes', 'scores', 'features'\): name one/);
    await rejects(() => m.outputShape('logits'), 'BAD_ARGUMENT', /no output "logits"; its outputs are 'boxes', 'scores', 'features'/);
    const b = new ModelBuilder('b', [1, 1, 4, 4]);
    const r = b.relu(b.input);
    await rejects(() => b.build({ a: r, b: b.input }), 'BAD_MODEL', /the output must be a layer, not the input/);
  });

  it('peakMemory keeps every output live to the end of the run', () => {
    const peak = m.peakMemory();
    const last = peak.steps[peak.steps.length - 1]!;
    // At the last layer: the three outputs and the last layer's input are held.
    const shapes = m.shapes();
    const outs = m.outputs.reduce((s, o) => s + sizeOf(shapes[o.layer]!) * 4, 0);
    const lastIn = sizeOf(shapes[m.layers[m.layers.length - 1]!.inputs[0]!]!) * 4;
    expect(last.bytes).to.equal(outs + lastIn);
    // The one-output model of 'scores' lets 'boxes' and 'features' go.
    const one = only(m, 'scores').peakMemory().steps;
    expect(one[one.length - 1]!.bytes).to.be.below(last.bytes);
  });

  it('receptiveField takes an output name', () => {
    const boxes = m.outputs[0]!.layer;
    expect(receptiveField(m, 'boxes')).to.deep.equal(receptiveField(m, boxes));
    expect(receptiveField(m, 'boxes').size).to.deep.equal([5, 5]);
    expect(receptiveField(m, 'scores').global).to.equal(true);
  });

  it('fuseLayers keeps every output (a fused chain never swallows one)', () => {
    const f = fuseLayers(m);
    expect(f.layers.length).to.be.below(m.layers.length);
    expect(f.outputs.map((o) => o.name)).to.deep.equal(['boxes', 'scores', 'features']);
    expect(f.outputShapes()).to.deep.equal(m.outputShapes());
  });

  it('LocalExecutor.runAll gives each output the bits of a one-output run, fused or not', async () => {
    const local = new LocalExecutor(), plain = new LocalExecutor({ fuse: false });
    const all = await local.runAll(m, x);
    expect(Object.keys(all)).to.deep.equal(['boxes', 'scores', 'features']);
    const unfused = await plain.runAll(m, x);
    const sync = local.runAllSync(m, x);
    for (const o of m.outputs) {
      const want = bits(await local.run(only(m, o.name), x));
      expect(all[o.name]!.shape).to.deep.equal(m.outputShape(o.name));
      expect(bits(all[o.name]!), o.name).to.deep.equal(want);
      expect(bits(unfused[o.name]!), o.name).to.deep.equal(want);
      expect(bits(sync[o.name]!), o.name).to.deep.equal(want);
    }
    // Another image size and a batch of two: each sample equals its own run.
    const x2 = randomTensor([2, 3, 17, 17], 8);
    const batch = await local.runAll(m, x2);
    for (const n of [0, 1]) {
      const one = await local.runAll(m, x2.view({ n0: n, n1: n + 1, c0: 0, c1: 3, y0: 0, y1: 17, x0: 0, x1: 17 }).clone());
      for (const o of m.outputs) {
        const per = sizeOf(one[o.name]!.shape);
        expect(bits(batch[o.name]!).slice(n * per, (n + 1) * per), `${o.name} sample ${n}`).to.deep.equal(bits(one[o.name]!));
      }
    }
  });

  it('runAllSync writes outputs into the caller\'s tensors, and checks them', async () => {
    const local = new LocalExecutor();
    const want = local.runAllSync(m, x);
    const boxes = Tensor.filled(m.outputShape('boxes'), Number.NaN);
    const got = local.runAllSync(m, x, { outs: { boxes } });
    expect(got.boxes).to.equal(boxes);
    expect(bits(boxes)).to.deep.equal(bits(want.boxes!));
    expect(bits(got.scores!)).to.deep.equal(bits(want.scores!));
    await rejects(() => local.runAllSync(m, x, { outs: { box: boxes } }), 'BAD_ARGUMENT', /box/);
    await rejects(() => local.runAllSync(m, x, { outs: { scores: boxes } }), 'SHAPE_MISMATCH', /output 'scores'.*must have the output shape \[1, 5\]/);
  });

  it('run, runSync and the batch form refuse a model with several outputs, pointing to runAll', async () => {
    const local = new LocalExecutor();
    await rejects(local.run(m, x), 'BAD_ARGUMENT', /has 3 outputs \('boxes', 'scores', 'features'\).*use runAll/);
    await rejects(() => local.runSync(m, x), 'BAD_ARGUMENT', /use runAll/);
    await rejects(runBatch(local, m, [x]), 'BAD_ARGUMENT', /use runAll/);
    await rejects(local.runAll(m, x, { out: x } as never), 'BAD_ARGUMENT', /out/);
  });

  it('runAll on a one-output model returns its output under "output"', async () => {
    const local = new LocalExecutor();
    const one = only(m, 'boxes');
    const all = await local.runAll(one, x);
    expect(Object.keys(all)).to.deep.equal(['output']);
    expect(bits(all.output!)).to.deep.equal(bits(await local.run(one, x)));
  });
});
