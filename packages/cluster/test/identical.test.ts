import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, faceRecognitionNet, seedDilatedStack, type Model } from '@tessera/nn';
import type { ClusterExecutor } from '../src/index.js';
import { TestCluster, expectIdentical } from './helpers.js';

describe('ClusterExecutor equals LocalExecutor bit for bit', function () {
  this.timeout(180_000);
  const cluster = new TestCluster();
  const local = new LocalExecutor();
  let ex: ClusterExecutor;
  let models: Model[];

  before(async () => {
    await cluster.start();
    ex = cluster.executor({ tiles: 6 });
    await ex.connect();
    models = [seedDilatedStack({ size: 48, channels: 8 }), faceRecognitionNet()];
  });
  after(async () => { await cluster.stop(); });

  for (const workers of [1, 2, 3]) {
    it(`with ${workers} worker process(es): seed dilated stack and face recognition net (150×150, real weights)`, async () => {
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
      const used = Object.keys(ex.stats.perWorker).filter((w) => ex.stats.perWorker[w] !== before[w]);
      expect(used.length).to.be.within(1, workers);
      expect(ex.stats.duplicatesDropped).to.equal(0);
      expect(ex.stats.errors).to.equal(0);
    });
  }

  it('uploads each model once, not per run or per task', () => {
    expect(ex.stats.modelUploads).to.equal(2);
    expect(ex.stats.runs).to.equal(6);
    console.log(`      stats: ${JSON.stringify(ex.stats)}`);
  });
});
