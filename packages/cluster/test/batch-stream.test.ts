import { expect } from 'chai';
import { randomTensor, type Tensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack, type Model } from '@tessera/nn';
import { randomModel } from '../../scheduler/test/random-models.js';
import { TestCluster, expectIdentical, rejection } from './helpers.js';

/** Collects a stream's outputs. */
async function collect(it: AsyncIterable<Tensor>): Promise<Tensor[]> {
  const out: Tensor[] = [];
  for await (const y of it) out.push(y);
  return out;
}

/** Inputs as they come: one every `ms`. */
async function* slowly(xs: readonly Tensor[], ms: number): AsyncGenerator<Tensor> {
  for (const x of xs) {
    await new Promise((r) => setTimeout(r, ms));
    yield x;
  }
}

describe('ClusterExecutor runBatch and runStream equal LocalExecutor', function () {
  this.timeout(300_000);
  const cluster = new TestCluster();
  const local = new LocalExecutor({ fuse: false });
  // Random CNNs (with fusable chains), one with two samples per input.
  const models: Model[] = [randomModel(501, { batch: 1, chains: true }), randomModel(502, { batch: 2 }), randomModel(503, { batch: 1 })];
  const inputs = (m: Model, n: number, seed: number): Tensor[] => Array.from({ length: n }, (_, i) => randomTensor(m.inputShape, seed + i));

  before(async () => {
    await cluster.start();
    await cluster.executor().connect();
  });
  after(async () => { await cluster.stop(); });

  for (const workers of [1, 2, 3]) {
    it(`${workers} worker process(es): batches of 1..9 inputs and streams, results === local, in order`, async () => {
      while (cluster.workers.length < workers) await cluster.worker();
      const ex = cluster.executor({ split: 'auto' });
      for (const [k, m] of models.entries()) {
        for (let n = 1; n <= 9; n++) {
          const xs = inputs(m, n, 1000 * workers + 100 * k + 10 * n);
          const ys = await ex.runBatch(m, xs);
          expect(ys).to.have.length(n);
          for (let i = 0; i < n; i++) expectIdentical(ys[i]!, await local.run(m, xs[i]!), `${m.name} batch of ${n}, item ${i}`);
        }
        const xs = inputs(m, 9, 7000 + k);
        const ys = await collect(ex.runStream(m, xs, { maxInFlight: 4 }));
        expect(ys).to.have.length(9);
        for (let i = 0; i < 9; i++) expectIdentical(ys[i]!, await local.run(m, xs[i]!), `${m.name} stream item ${i}`);
      }
      // One task per input, one result each: nothing re-sent, nothing doubled.
      expect(ex.stats.runs).to.equal(3 * (45 + 9));
      expect(ex.stats.tasksSent).to.equal(ex.stats.runs);
      expect(ex.stats.results).to.equal(ex.stats.runs);
      expect(ex.stats.duplicatesDropped + ex.stats.errors + ex.stats.resends).to.equal(0);
      expect(ex.stats.bytesOutPerInput).to.equal(ex.stats.bytesOut / ex.stats.runs);
      expect(ex.stats.protocolMs).to.be.above(0);
      // Every worker started took part (each holds 2 pull requests open while batches of up to 9 go out).
      expect(Object.keys(ex.stats.perWorker).sort()).to.deep.equal(cluster.workers.map((w) => w.name).sort());
    });
  }

  it('split tiles: a batch runs every input as fused tiles, === local, in order', async () => {
    const ex = cluster.executor({ split: 'tiles', tiles: 3 });
    const m = seedDilatedStack({ size: 32, channels: 4 });
    const xs = inputs(m, 4, 300);
    const ys = await ex.runBatch(m, xs);
    for (let i = 0; i < 4; i++) expectIdentical(ys[i]!, await local.run(m, xs[i]!), `tiled batch item ${i}`);
    expect(ex.stats.tasksSent).to.be.above(4);
  });

  it('abort mid-stream rejects with ABORTED, leaves no task queued, and the executor streams again', async () => {
    const ex = cluster.executor({ split: 'auto' });
    const conn = await ex.connect();
    const m = models[0]!;
    const xs = inputs(m, 12, 900);
    const ac = new AbortController();
    let seen = 0;
    const e = await rejection((async () => {
      for await (const y of ex.runStream(m, slowly(xs, 40), { signal: ac.signal, maxInFlight: 3 })) {
        expectIdentical(y, await local.run(m, xs[seen]!), `stream item ${seen} before the abort`);
        if (++seen === 3) ac.abort(new Error('enough'));
      }
    })());
    expect(e.code, e.message).to.equal('ABORTED');
    expect(e.message).to.include('enough');
    expect(seen).to.equal(3);
    expect((await conn.jsm.streams.info('TESSERA_TASKS')).state.messages, 'tasks left in the stream').to.equal(0);
    const ys = await collect(ex.runStream(m, xs.slice(0, 5)));
    for (let i = 0; i < 5; i++) expectIdentical(ys[i]!, await local.run(m, xs[i]!), `stream after the abort, item ${i}`);
  });

  it('bad input in a stream: SHAPE_MISMATCH naming the layer, the executor stays usable', async () => {
    const ex = cluster.executor({ split: 'auto' });
    const m = models[2]!;
    const good = inputs(m, 2, 40);
    const bad = randomTensor([1, m.inputShape[1]! + 1, m.inputShape[2]!, m.inputShape[3]!], 1);
    const e = await rejection(collect(ex.runStream(m, [good[0]!, bad, good[1]!])));
    expect(e.code, e.message).to.be.oneOf(['SHAPE_MISMATCH', 'BAD_ARGUMENT']);
    expectIdentical((await ex.runBatch(m, good))[1]!, await local.run(m, good[1]!), 'batch after the bad stream');
  });
});

describe('ClusterExecutor with worker processes started per test', function () {
  this.timeout(180_000);
  const cluster = new TestCluster();
  const local = new LocalExecutor({ fuse: false });

  before(async () => { await cluster.start(); });
  afterEach(async () => { await cluster.stopWorkers(); });
  after(async () => { await cluster.stop(); });

  it('tessera-worker --threads 3: whole inputs run data parallel on its PoolExecutor; a stream and tiles === local', async () => {
    const ex = cluster.executor({ split: 'auto' });
    await ex.connect();
    const w = await cluster.worker({ threads: 3, name: 'wide' });
    expect(w.output.lines.join('\n')).to.match(/ready: 3 thread\(s\), 6 task\(s\) in hand/);
    const m = randomModel(504, { batch: 1, chains: true });
    const xs = Array.from({ length: 9 }, (_, i) => randomTensor(m.inputShape, 800 + i));
    const ys = await collect(ex.runStream(m, xs, { maxInFlight: 6 }));
    for (let i = 0; i < 9; i++) expectIdentical(ys[i]!, await local.run(m, xs[i]!), `stream item ${i}`);
    const tiled = cluster.executor({ split: 'tiles', tiles: 3 });
    expectIdentical(await tiled.run(m, xs[0]!), await local.run(m, xs[0]!), 'tiles on 3 threads');
    expect(ex.stats.perWorker).to.deep.equal({ wide: 9 });
  });

  it('kill -9 of one of two workers mid-stream: every input comes back once, === local, in order', async () => {
    const ex = cluster.executor({ split: 'auto' });
    await ex.connect();
    const m = seedDilatedStack({ size: 32, channels: 4 });
    const xs = Array.from({ length: 12 }, (_, i) => randomTensor(m.inputShape, 600 + i));
    // Each task held 250 ms before it computes, so the doomed worker dies with tasks in hand.
    const doomed = await cluster.worker({ name: 'doomed', delayMs: 250 });
    await cluster.worker({ name: 'survivor', delayMs: 250 });
    const ys: Tensor[] = [];
    for await (const y of ex.runStream(m, xs, { maxInFlight: 6 })) {
      ys.push(y);
      if (ys.length === 2) {
        doomed.kill('SIGKILL');
        expect(await doomed.exited).to.equal('SIGKILL');
      }
    }
    expect(ys).to.have.length(12);
    for (let i = 0; i < 12; i++) expectIdentical(ys[i]!, await local.run(m, xs[i]!), `stream item ${i}`);
    // Each input accepted once; a redelivered task's second result (if any) dropped, not doubled.
    expect(ex.stats.results).to.equal(12);
    expect(ex.stats.perWorker['survivor']).to.be.at.least(6);
    console.log(`      after kill -9: ${JSON.stringify(ex.stats.perWorker)}, duplicates dropped ${ex.stats.duplicatesDropped}`);
  });
});
