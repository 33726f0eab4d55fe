import { expect } from 'chai';
import { Tensor, TesseraError, randomTensor } from '@tessera/tensor';
import { LocalExecutor, runBatch, runStream, seedDilatedStack, type Executor, type Model, type RunAllOptions, type RunOptions } from '../src/index.js';

/** An executor that records how many runs overlap, around LocalExecutor. */
class Counting implements Executor {
  live = 0;
  peak = 0;
  started = 0;
  private readonly inner = new LocalExecutor();
  async run(model: Model, input: Tensor, opts?: RunOptions): Promise<Tensor> {
    this.started++;
    this.peak = Math.max(this.peak, ++this.live);
    try {
      await new Promise((r) => setTimeout(r, 2));
      return await this.inner.run(model, input, opts);
    } finally {
      this.live--;
    }
  }
  async runAll(model: Model, input: Tensor, opts?: RunAllOptions): Promise<Record<string, Tensor>> { return this.inner.runAll(model, input, opts); }
  async close(): Promise<void> { await this.inner.close(); }
}

describe('runBatch and runStream on any executor', () => {
  const m = seedDilatedStack({ size: 16, channels: 4 });
  const xs = Array.from({ length: 7 }, (_, i) => randomTensor(m.inputShape, i));
  const local = new LocalExecutor();

  it('give run()\'s result for every input, in input order', async () => {
    const want = await Promise.all(xs.map((x) => local.run(m, x)));
    const batch = await runBatch(local, m, xs);
    batch.forEach((y, i) => expect(Array.from(y.toFloat32Array())).to.deep.equal(Array.from(want[i]!.toFloat32Array())));
    const ex = new Counting();
    let i = 0;
    for await (const y of runStream(ex, m, xs, { maxInFlight: 3 })) {
      expect(Array.from(y.toFloat32Array()), `stream item ${i}`).to.deep.equal(Array.from(want[i]!.toFloat32Array()));
      i++;
    }
    expect(i).to.equal(xs.length);
    expect(ex.peak, 'runs in flight').to.be.at.most(3);
    expect(ex.peak, 'runs overlap').to.be.at.least(2);
  });

  it('an early break waits for the runs started and pulls no more inputs', async () => {
    const ex = new Counting();
    let pulled = 0;
    function* source(): Generator<Tensor> { for (const x of xs) { pulled++; yield x; } }
    for await (const _ of runStream(ex, m, source(), { maxInFlight: 2 })) break;
    expect(ex.live, 'runs still going after the break').to.equal(0);
    expect(pulled).to.be.at.most(3);
  });

  it('an aborted stream rejects with ABORTED; a bad maxInFlight names the value', async () => {
    const ac = new AbortController();
    const it = runStream(new Counting(), m, xs, { signal: ac.signal });
    await it.next();
    ac.abort(new Error('enough'));
    try {
      for (;;) { const r = await it.next(); if (r.done) break; }
      expect.fail('should reject');
    } catch (e) {
      expect((e as TesseraError).code).to.equal('ABORTED');
    }
    try {
      for await (const _ of runStream(new Counting(), m, xs, { maxInFlight: 0 })) break;
      expect.fail('should reject');
    } catch (e) {
      expect((e as Error).message).to.match(/maxInFlight must be an integer ≥ 1, got 0/);
    }
  });
});
