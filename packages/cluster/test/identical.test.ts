import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, faceRecognitionNet, fuseLayers, runStream, seedDilatedStack, type Model } from '@tessera/nn';
import type { ClusterExecutor } from '../src/index.js';
import { TestCluster, expectIdentical } from './helpers.js';

describe('ClusterExecutor equals LocalExecutor bit for bit', function () {
  this.timeout(180_000);
  const cluster = new TestCluster();
  // The oracle runs the models as built; the cluster plans, ships and runs them fused (fuseLayers).
  const local = new LocalExecutor({ fuse: false });
  let ex: ClusterExecutor;
  let models: Model[];

  before(async () => {
    await cluster.start();
    ex = cluster.executor({ tiles: 6 });
    await ex.connect();
    models = [seedDilatedStack({ size: 48, channels: 8 }), faceRecognitionNet(), chainModel()];
  });

  it('ships the fused model: every conv → scaleShift → activation chain is one layer', () => {
    const m = chainModel();
    const p = ex.plan(m);
    expect(p.modelId).to.equal(`${m.id}+fused`);
    expect(p.layerNames).to.deep.equal(['c0+bn0+relu0', 'c1+bn1+leaky1', 'pool', 'c2+bn2+relu6_2', 'c3']);
    expect(fuseLayers(m).layers.map((l) => l.spec.op)).to.deep.equal(['conv2d', 'conv2d', 'maxPool', 'conv2d', 'conv2d']);
  });
  after(async () => { await cluster.stop(); });

  for (const workers of [1, 2, 3]) {
    it(`with ${workers} worker process(es): seed dilated stack, face recognition net (150×150, real weights), conv chains`, async () => {
      while (cluster.workers.length < workers) await cluster.worker();
      const before = { ...ex.stats.perWorker };
      for (const m of models) {
        const x = randomTensor(m.inputShape, 11 + workers);
        const t0 = performance.now();
        const got = await ex.run(m, x);
        const ms = performance.now() - t0;
        expectIdentical(got, await local.run(m, x), `${m.name} with ${workers} worker(s)`);
        console.log(`      ${m.name}, ${workers} worker(s): ${ms.toFixed(0)} ms, ${ex.plan(m).stages.reduce((s, st) => s + st.tasks.length, 0)} tiles`);
      }
      // Every worker started took part: each holds 2 pull requests open, so a stage's 6 tiles are spread over
      // all of them (42 tiles over many stages for the face net).
      const used = Object.keys(ex.stats.perWorker).filter((w) => ex.stats.perWorker[w] !== before[w]).sort();
      expect(used).to.deep.equal(cluster.workers.map((w) => w.name).sort());
      expect(ex.stats.duplicatesDropped).to.equal(0);
      expect(ex.stats.errors).to.equal(0);
    });
  }

  it('split auto: a small model runs as one whole-input task; a stream of inputs gives local\'s outputs in order', async () => {
    const whole = cluster.executor({ split: 'auto' });
    await whole.connect();
    try {
      for (const m of models) {
        const p = whole.plan(m);
        expect(p.stages.map((st) => st.cost.cut), m.name).to.deep.equal(['whole input']);
        expect(p.stages[0]!.tasks).to.have.length(1);
      }
      const m = models[0]!;
      const xs = Array.from({ length: 8 }, (_, i) => randomTensor(m.inputShape, 50 + i));
      let i = 0;
      for await (const y of runStream(whole, m, xs, { maxInFlight: 4 })) {
        expectIdentical(y, await local.run(m, xs[i]!), `stream item ${i}`);
        i++;
      }
      expect(i).to.equal(8);
      expect(whole.stats.tasksSent).to.equal(8);
      expect(() => cluster.executor({ split: 'halves' as never })).to.throw(/split must be one of 'auto', 'whole', 'tiles', got "halves"/);
    } finally {
      await whole.close();
    }
  });

  it('uploads each model once, not per run or per task', () => {
    expect(ex.stats.modelUploads).to.equal(3);
    expect(ex.stats.runs).to.equal(9);
    console.log(`      stats: ${JSON.stringify(ex.stats)}`);
  });
});

/** conv → scaleShift → relu | leakyRelu | relu6 chains (one scaleShift without shift), a pool between, a plain conv last. */
function chainModel(): Model {
  const b = new ModelBuilder('conv-chains', [1, 3, 40, 36], { seed: 5 });
  let x = b.relu(b.scaleShift(b.conv2d(b.input, { outChannels: 6, kernel: 3, padding: 'same', name: 'c0' }), undefined, 'bn0'), 'relu0');
  x = b.conv2d(x, { outChannels: 5, kernel: 3, dilation: 2, padding: 'same', name: 'c1' });
  x = b.leakyRelu(b.scaleShift(x, { scale: randomTensor([5], 3, -2, 2) }, 'bn1'), 0.1, 'leaky1');
  x = b.maxPool(x, { kernel: 2, stride: 2 }, 'pool');
  x = b.relu6(b.scaleShift(b.conv2d(x, { outChannels: 4, kernel: 3, stride: 2, padding: 'same', name: 'c2' }), undefined, 'bn2'), 'relu6_2');
  return b.build(b.conv2d(x, { outChannels: 3, kernel: 1, name: 'c3' }));
}
