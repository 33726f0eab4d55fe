import { expect } from 'chai';
import { Tensor, TesseraError, randomTensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack, type Model } from '@tessera/nn';
import { PoolExecutor, explain } from '../src/index.js';
import { randomModel } from './random-models.js';

/** Bits, not values (−0 and +0 differ). */
function expectBits(a: Tensor, b: Tensor, what: string): void {
  expect(a.shape, `${what} shape`).to.deep.equal(b.shape);
  const x = new Uint32Array(a.toFloat32Array().slice().buffer), y = new Uint32Array(b.toFloat32Array().slice().buffer);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) expect.fail(`${what}: element ${i} differs`);
}

const local = new LocalExecutor();

describe('PoolExecutor data parallel (runBatch, runStream, batches in run)', function () {
  this.timeout(120_000);

  const models: Model[] = [];
  for (let seed = 400; seed < 406; seed++) models.push(randomModel(seed, { batch: 1, chains: seed % 2 === 0 }));

  for (const threads of [1, 2, 3, 7]) {
    it(`runBatch and runStream equal LocalExecutor bit for bit, in order (${threads} worker(s), batches 1..9)`, async () => {
      const pool = new PoolExecutor({ threads });
      try {
        for (const [k, m] of models.entries()) {
          const count = 1 + ((k * 4 + threads) % 9);
          const xs = Array.from({ length: count }, (_, i) => randomTensor([1 + (i % 3), ...m.inputShape.slice(1)], 100 * k + i));
          const want = await Promise.all(xs.map((x) => local.run(m, x)));
          const got = await pool.runBatch(m, xs);
          got.forEach((g, i) => expectBits(g, want[i]!, `${m.name} batch input ${i}`));
          let i = 0;
          for await (const y of pool.runStream(m, xs, { maxInFlight: 3 })) expectBits(y, want[i]!, `${m.name} stream item ${i++}`);
          expect(i).to.equal(count);
          // One input with a batch dimension ≥ the threads runs data parallel in run().
          const big = randomTensor([threads + 2, ...m.inputShape.slice(1)], 7 + k);
          expectBits(await pool.run(m, big), await local.run(m, big), `${m.name} batch ${threads + 2} in run()`);
        }
      } finally {
        await pool.close();
      }
      expect(pool.threadCount).to.equal(0);
    });
  }

  it('run() on a batch takes the data path because the plan has a data stage: one whole-sample share per task', async () => {
    const m = seedDilatedStack({ size: 24, channels: 4 });
    const pool = new PoolExecutor({ threads: 3 });
    try {
      const x = randomTensor([7, ...m.inputShape.slice(1)], 9);
      const p = await pool.plan(m, x.shape);
      expect(p.stages.map((s) => s.kind)).to.deep.equal(['data']);
      expect(p.stages[0]!.cost.cut).to.equal('samples 2+2+3');
      expect(explain(p)).to.contain('data parallel: batch 7 ≥ 3 workers');
      expectBits(await pool.run(m, x), await local.run(m, x), 'batch 7 on 3 threads');
      expect(pool.stats.tasks, 'one share per task of the data stage').to.equal(3);
      expect((await pool.plan(m, [2, ...m.inputShape.slice(1)])).stages.some((s) => s.kind === 'data'), 'batch 2 < 3 threads').to.equal(false);
    } finally {
      await pool.close();
    }
  });

  it('auto on one input times the calling thread first (alone and on intra-op engine threads, three rounds), then the tiled paths, then keeps the fastest (same bits)', async () => {
    const m = seedDilatedStack({ size: 40, channels: 8 });
    const pool = new PoolExecutor({ threads: 2 });
    try {
      const x = randomTensor(m.inputShape, 4);
      const want = await local.run(m, x);
      const counts: number[] = [];
      // At most 5 paths × 3 rounds of trials (fewer when the planner's cut is another path's plan or a path is far slower).
      for (let k = 0; k < 15; k++) {
        const before = pool.stats.tasks;
        expectBits(await pool.run(m, x), want, `run ${k}`);
        counts.push(pool.stats.tasks - before);
      }
      // The calling thread's paths take their 3 rounds first (on the native engine two of them: alone, and on the
      // engine's intra-op threads), then the tiled paths.
      const calling = pool.engine.kind === 'native' ? 6 : 3;
      expect(counts.slice(0, calling), 'the first runs are on the calling thread').to.deep.equal(new Array(calling).fill(0));
      expect(counts[calling], 'then a tiled path').to.be.above(0);
      // Later runs all take one path: the same number of worker tasks each time (none for the calling thread).
      const a = pool.stats.tasks;
      expectBits(await pool.run(m, x), want, 'first run after exploring');
      const b = pool.stats.tasks;
      expectBits(await pool.run(m, x), want, 'second run after exploring');
      expect(pool.stats.tasks - b).to.equal(b - a);
      expect(counts).to.include(b - a);
    } finally {
      await pool.close();
    }
  });

  it('a stream keeps at most maxInFlight inputs in flight, and an early break leaves the pool usable', async () => {
    const m = seedDilatedStack({ size: 32, channels: 8 });
    const pool = new PoolExecutor({ threads: 2 });
    try {
      let pulled = 0, peak = 0;
      async function* source(): AsyncGenerator<Tensor> {
        for (let i = 0; i < 12; i++) {
          pulled++;
          peak = Math.max(peak, pool.stats.inFlight);
          yield randomTensor(m.inputShape, i);
        }
      }
      let seen = 0;
      for await (const y of pool.runStream(m, source(), { maxInFlight: 2 })) {
        expect(y.shape).to.deep.equal([1, 8, 16, 16]);
        if (++seen === 5) break;
      }
      expect(peak, 'inputs in flight').to.be.at.most(2);
      expect(pulled, 'inputs pulled before the break').to.be.at.most(7);
      expect(pool.stats.inFlight).to.equal(0);
      const x = randomTensor(m.inputShape, 99);
      expectBits((await pool.runBatch(m, [x]))[0]!, await local.run(m, x), 'after an early break');
    } finally {
      await pool.close();
    }
  });

  it('abort mid-batch rejects with ABORTED and the pool stays usable', async () => {
    const m = seedDilatedStack({ size: 96, channels: 16 });
    const pool = new PoolExecutor({ threads: 2 });
    try {
      const xs = Array.from({ length: 8 }, (_, i) => randomTensor(m.inputShape, i));
      const ac = new AbortController();
      const p = pool.runBatch(m, xs, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('stop the batch')), 5);
      await p.then(() => expect.fail('should reject'), (e: TesseraError) => {
        expect(e.code).to.equal('ABORTED');
        expect(e.message).to.match(/stop the batch/);
      });
      expect(pool.stats.inFlight).to.equal(0);
      expectBits((await pool.runBatch(m, [xs[0]!]))[0]!, await local.run(m, xs[0]!), 'after abort');
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies mid-batch loses no input and doubles none', async () => {
    const m = seedDilatedStack({ size: 48, channels: 8 });
    const pool = new PoolExecutor({ threads: 2, faults: { layer: 0, fault: 'exit', times: 2 } });
    try {
      const xs = Array.from({ length: 6 }, (_, i) => randomTensor(m.inputShape, 30 + i));
      const got = await pool.runBatch(m, xs);
      expect(got).to.have.length(6);
      for (const [i, g] of got.entries()) expectBits(g, await local.run(m, xs[i]!), `input ${i}`);
      expect(pool.stats.retries).to.equal(2);
      expect(pool.stats.tasks).to.equal(6);
    } finally {
      await pool.close();
    }
  });

  it('a bad input names its layer before anything runs; a throwing share names its samples', async () => {
    const m = seedDilatedStack({ size: 16, channels: 2 });
    const pool = new PoolExecutor({ threads: 2, faults: { layer: 0, fault: 'throw', times: 1 } });
    try {
      await pool.runBatch(m, [randomTensor(m.inputShape, 1), Tensor.zeros([1, 4, 16, 16])]).then(
        () => expect.fail('should reject'), (e: TesseraError) => expect(e.message).to.match(/layer 0 'conv_in'/));
      expect(pool.stats.tasks).to.equal(0);
      await pool.runBatch(m, [randomTensor(m.inputShape, 1)]).then(
        () => expect.fail('should reject'), (e: TesseraError) => expect(e.message).to.match(/injected fault.*samples \[0, 1\)/));
      expect((await pool.runBatch(m, [randomTensor(m.inputShape, 2)]))[0]!.shape).to.deep.equal([1, 2, 8, 8]);
    } finally {
      await pool.close();
    }
  });
});
