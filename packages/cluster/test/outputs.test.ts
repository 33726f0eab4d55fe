import { expect } from 'chai';
import { randomTensor, type Tensor } from '@tessera/tensor';
import { LocalExecutor, Model, fuseLayers, multiHeadNet, twoInputNet } from '@tessera/nn';
import type { ClusterExecutor } from '../src/index.js';
import { TestCluster, expectIdentical, rejection } from './helpers.js';

/** Every output of `got` has the bits of `want`'s, by name and in the model's order. */
function expectAllIdentical(got: Record<string, Tensor>, want: Record<string, Tensor>, what: string): void {
  expect(Object.keys(got), `${what} output names`).to.deep.equal(Object.keys(want));
  for (const [name, w] of Object.entries(want)) expectIdentical(got[name]!, w, `${what} '${name}'`);
}

describe('ClusterExecutor with several outputs and inputs', function () {
  this.timeout(180_000);
  const cluster = new TestCluster();
  const local = new LocalExecutor({ fuse: false });
  const models: Model[] = [multiHeadNet(), multiHeadNet({ size: 40, channels: 4, seed: 9 })];
  let tiles: ClusterExecutor, whole: ClusterExecutor;

  before(async () => {
    await cluster.start();
    tiles = cluster.executor({ tiles: 4 });
    whole = cluster.executor({ split: 'whole' });
    await tiles.connect();
    await whole.connect();
  });
  after(async () => { await cluster.stop(); });

  it('plans: under fused tiles every output ends a stage; a whole-input task carries the others as extra outputs', () => {
    const m = fuseLayers(models[0]!);
    const tiled = tiles.plan(models[0]!);
    const lasts = new Set(tiled.stages.map((s) => s.layers[s.layers.length - 1]!));
    for (const o of m.outputs) expect(lasts.has(o.layer), o.name).to.equal(true);
    const p = whole.plan(models[0]!);
    expect(p.stages).to.have.length(1);
    const inner = p.stages[0]!.layers.slice(0, -1).filter((l) => m.isOutput(l));
    expect(inner.length).to.equal(m.outputs.length - 1);
  });

  for (const workers of [1, 2, 3]) {
    it(`runAll with ${workers} worker process(es), fused tiles and whole-input tasks: LocalExecutor's bits for every output`, async () => {
      while (cluster.workers.length < workers) await cluster.worker();
      for (const m of models) {
        for (const x of [randomTensor(m.inputShape, 20 + workers), randomTensor([2, 3, 27, 25], 30 + workers)]) {
          const want = await local.runAll(m, x);
          expectAllIdentical(await tiles.runAll(m, x), want, `${m.name} ${x.shape.join('×')} tiles, ${workers} worker(s)`);
          expectAllIdentical(await whole.runAll(m, x), want, `${m.name} ${x.shape.join('×')} whole, ${workers} worker(s)`);
        }
      }
      expect(tiles.stats.errors + whole.stats.errors).to.equal(0);
    });
  }

  it('run, runBatch and runStream refuse a model with several outputs or inputs, pointing to runAll', async () => {
    const m = models[0]!;
    const x = randomTensor(m.inputShape, 1);
    for (const p of [tiles.run(m, x), tiles.runBatch(m, [x]), tiles.runStream(m, [x]).next()]) {
      const e = await rejection(p);
      expect(e.code).to.equal('BAD_ARGUMENT');
      expect(e.message).to.match(/3 outputs.*use runAll/);
    }
    const two = twoInputNet();
    const image = randomTensor([1, 3, 15, 15], 1);
    const single = new Model(two.name, two.inputs, two.layers, two.outputs[0]!.layer);
    for (const p of [tiles.runAll(two, image), tiles.run(single, image), tiles.runBatch(single, [image]), tiles.runStream(single, [image]).next()]) {
      expect((await rejection(p)).message).to.match(/model 'two-input' has 2 inputs \('image', 'mask'\)/);
    }
  });
  it('a model with two inputs: runAll from a tensor per input name, fused tiles and whole-input tasks, LocalExecutor\'s bits', async () => {
    const two = twoInputNet({ size: 23 });
    for (const n of [1, 2]) {
      const inputs = { image: randomTensor([n, 3, 23, 21], 40 + n), mask: randomTensor([n, 1, 23, 21], 50 + n) };
      const want = await local.runAll(two, inputs);
      expectAllIdentical(await tiles.runAll(two, inputs), want, `two inputs ×${n} tiles`);
      expectAllIdentical(await whole.runAll(two, inputs), want, `two inputs ×${n} whole`);
    }
    expect(tiles.plan(two, [[1, 3, 23, 21], [1, 1, 23, 21]]).inputShapes).to.deep.equal([[1, 3, 23, 21], [1, 1, 23, 21]]);
    expect(tiles.stats.errors + whole.stats.errors).to.equal(0);
  });

  // Last: it replaces the workers with ones that send results over 128 KiB through the object store.
  it('results too big for one message come through the object store with their extra outputs; verify: 2 compares them all', async () => {
    await cluster.stopWorkers();
    const small = cluster.executor({ split: 'whole', maxMessageBytes: 131_072 });
    const verified = cluster.executor({ split: 'whole', verify: 2 });
    await small.connect();
    await cluster.worker({ maxMessageBytes: 131_072 });
    await cluster.worker({ maxMessageBytes: 131_072 });
    // 'features' alone is 32 × 48 × 48 floats (288 KiB): every result goes through the object store.
    const m = multiHeadNet({ size: 96, channels: 16, seed: 3 });
    const x = randomTensor(m.inputShape, 5);
    const want = await local.runAll(m, x);
    expectAllIdentical(await small.runAll(m, x), want, 'through the object store');
    expect(small.stats.bytesIn, 'bytes fetched from the store').to.be.above(4 * 32 * 48 * 48);
    expectAllIdentical(await verified.runAll(m, x), want, 'verify: 2');
    expect(verified.stats.disagreements).to.equal(0);
    expect(small.stats.errors + verified.stats.errors).to.equal(0);
  });
});
