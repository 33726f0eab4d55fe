import { expect } from 'chai';
import { TesseraError, randomTensor } from '@tessera/tensor';
import { seedDilatedStack } from '@tessera/nn';
import { PoolExecutor } from '../src/index.js';

async function rejection(p: Promise<unknown>): Promise<TesseraError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e, 'should reject').to.be.instanceOf(TesseraError);
  return e as TesseraError;
}

describe('PoolExecutor when its workers cannot live, and after close', function () {
  // Workers that die while starting are started again for each retry: seconds each on a loaded machine.
  this.timeout(180_000);
  const m = seedDilatedStack({ size: 24, channels: 4 });
  const x = randomTensor(m.inputShape, 1);

  it('workers out of memory at start: every run form rejects with WORKER_LOST naming why; the host lives on', async () => {
    // 4 MB of heap is too little for a worker to start; each death is a piscina 'error' event that,
    // unhandled, would end this process (mocha would report it).
    const pool = new PoolExecutor({ threads: 2, maxRetries: 1, resourceLimits: { maxOldGenerationSizeMb: 4 } });
    try {
      for (const run of [
        () => pool.run(m, x, { strategy: 'layer-wise' }),
        () => pool.run(m, x),
        () => pool.runBatch(m, [x, x]),
        () => pool.plan(m),
      ]) {
        const e = await rejection(run());
        expect(e.code).to.equal('WORKER_LOST');
        expect(e.message).to.match(/memory limit|out of memory/i);
      }
    } finally {
      await pool.close();
    }
    expect(pool.threadCount).to.equal(0);
  });

  it('plan(), stageOverheadUs() and every run form on a closed pool throw UNAVAILABLE and start no thread', async () => {
    const pool = new PoolExecutor({ threads: 2 });
    await pool.run(m, x, { strategy: 'fused' });
    await pool.close();
    for (const call of [
      () => pool.plan(m), () => pool.stageOverheadUs(), () => pool.run(m, x), () => pool.runBatch(m, [x]),
      async () => { for await (const y of pool.runStream(m, [x])) void y; },
    ]) {
      expect((await rejection(call())).code).to.equal('UNAVAILABLE');
    }
    expect(pool.threadCount).to.equal(0);
  });
});
