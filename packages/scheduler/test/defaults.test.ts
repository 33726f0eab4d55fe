import { availableParallelism } from 'node:os';
import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack } from '@tessera/nn';
import { PoolExecutor } from '../src/index.js';

describe('PoolExecutor defaults', function () {
  this.timeout(60_000);
  const m = seedDilatedStack({ size: 32, channels: 4 });

  it('starts one worker thread per available core', async () => {
    const pool = new PoolExecutor();
    try {
      expect(pool.threads).to.equal(availableParallelism());
      await pool.plan(m); // the pool is up
      expect(pool.threadCount).to.equal(availableParallelism());
    } finally {
      await pool.close();
    }
  });

  it('runs without a strategy use the pool\'s own (default auto), and a run may override it', async () => {
    const x = randomTensor(m.inputShape, 2);
    const want = Array.from((await new LocalExecutor().run(m, x)).toFloat32Array());
    const auto = new PoolExecutor({ threads: 2 });
    const fused = new PoolExecutor({ threads: 2, strategy: 'fused' });
    try {
      expect((await auto.plan(m)).strategy).to.equal('auto');
      expect((await fused.plan(m)).strategy).to.equal('fused');
      expect((await fused.plan(m)).stages.every((st) => st.kind === 'fused')).to.equal(true);
      // The pool's strategy runs: its tasks are the fused plan's.
      const before = fused.stats.tasks;
      expect(Array.from((await fused.run(m, x)).toFloat32Array())).to.deep.equal(want);
      const tasks = (await fused.plan(m)).stages.reduce((s, st) => s + st.tasks.length, 0);
      expect(fused.stats.tasks - before).to.equal(tasks);
      // A run's own strategy wins.
      const lw = (await fused.plan(m, m.inputShape, 'layer-wise')).stages.reduce((s, st) => s + st.tasks.length, 0);
      const before2 = fused.stats.tasks;
      expect(Array.from((await fused.run(m, x, { strategy: 'layer-wise' })).toFloat32Array())).to.deep.equal(want);
      expect(fused.stats.tasks - before2).to.equal(lw);
    } finally {
      await Promise.all([auto.close(), fused.close()]);
    }
  });
});
