import { expect } from 'chai';
import { randomTensor, type Tensor } from '@tessera/tensor';
import { LocalExecutor, runStream, seedDilatedStack } from '@tessera/nn';
import type { ClusterConnection, ClusterExecutor } from '../src/index.js';
import { TestCluster, expectIdentical, rejection } from './helpers.js';

/**
 * Several runs in flight at once on ONE executor share the task stream and the workers'
 * consumer. One run's clean-up must not disturb the others' queued or held tasks
 * (a filtered purge used to move the shared consumer past them: they were never delivered).
 */
describe('ClusterExecutor with several runs in flight at once', function () {
  this.timeout(120_000);
  const cluster = new TestCluster();
  const local = new LocalExecutor({ fuse: false });
  const m = seedDilatedStack({ size: 48, channels: 8 });
  const xs = Array.from({ length: 6 }, (_, i) => randomTensor(m.inputShape, 70 + i));
  let want: Tensor[];

  before(async () => {
    await cluster.start();
    await cluster.executor().connect();
    // A short hold per task, so one worker cannot take every task before the other asks.
    await cluster.worker({ name: 'c1', delayMs: 100 });
    await cluster.worker({ name: 'c2', delayMs: 100 });
    want = await Promise.all(xs.map((x) => local.run(m, x)));
  });
  after(async () => { await cluster.stop(); });

  async function expectQueueEmpty(conn: ClusterConnection): Promise<void> {
    const si = await conn.jsm.streams.info('TESSERA_TASKS');
    expect(si.state.messages, 'tasks left in the stream').to.equal(0);
  }

  function expectClean(ex: ClusterExecutor): void {
    expect(ex.stats.duplicatesDropped).to.equal(0);
    expect(ex.stats.errors).to.equal(0);
    expect(ex.stats.resends).to.equal(0);
  }

  it('whole inputs: 6 runs at once, then a stream 4 in flight — all equal local, in order, on both workers', async () => {
    const ex = cluster.executor({ split: 'whole' });
    const conn = await ex.connect();
    const t0 = performance.now();
    const ys = await Promise.all(xs.map((x) => ex.run(m, x)));
    const allMs = performance.now() - t0;
    ys.forEach((y, i) => expectIdentical(y, want[i]!, `concurrent run ${i}`));
    const t1 = performance.now();
    let i = 0;
    for await (const y of runStream(ex, m, xs, { maxInFlight: 4 })) {
      expectIdentical(y, want[i]!, `stream item ${i}`);
      i++;
    }
    const streamMs = performance.now() - t1;
    expect(i).to.equal(6);
    expect(ex.stats.runs).to.equal(12);
    expect(ex.stats.tasksSent).to.equal(12);
    // Six runs of one model started together upload it once.
    expect(ex.stats.modelUploads).to.equal(1);
    expect(Object.keys(ex.stats.perWorker).sort()).to.deep.equal(['c1', 'c2']);
    expectClean(ex);
    await expectQueueEmpty(conn);
    console.log(`      6 runs at once: ${allMs.toFixed(0)} ms; stream of 6, 4 in flight: ${streamMs.toFixed(0)} ms; per worker ${JSON.stringify(ex.stats.perWorker)}`);
  });

  it('fused tiles: 4 runs at once, one of them aborted midway — the others still equal local', async () => {
    const ex = cluster.executor({ split: 'tiles', tiles: 3 });
    const conn = await ex.connect();
    const ac = new AbortController();
    const runs = xs.slice(0, 4).map((x, i) => ex.run(m, x, i === 1 ? { signal: ac.signal } : {}));
    const aborted = rejection(runs[1]!);
    setTimeout(() => ac.abort(new Error('gave up')), 150);
    expect((await aborted).code).to.equal('ABORTED');
    for (const i of [0, 2, 3]) expectIdentical(await runs[i]!, want[i]!, `tiled run ${i}`);
    expect(Object.keys(ex.stats.perWorker).sort()).to.deep.equal(['c1', 'c2']);
    expectClean(ex);
    await expectQueueEmpty(conn);
  });
});
