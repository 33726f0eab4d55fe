import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder } from '@tessera/nn';
import { PoolExecutor } from '../src/index.js';
import { expectBadArgument as expectBad } from '../../nn/test/expect-bad.js';

/*
 * Issue 14: a misspelt PoolExecutor option ran with the default without a
 * word. Each must throw BAD_ARGUMENT naming the key, its value, the accepted
 * keys and, for a near miss, the key that was meant — before any thread starts.
 */

const OPTION_KEYS = 'Accepted keys: threads, strategy, tasksPerWorker, maxRetries, resourceLimits, faults';

describe('PoolExecutor options are strict (issue 14)', function () {
  this.timeout(60_000);

  it('rejects a misspelt constructor option', async () => {
    await expectBad(() => new PoolExecutor({ thread: 2 } as never),
      "PoolExecutor options: unknown key 'thread' (value 2); did you mean 'threads'?", OPTION_KEYS);
    await expectBad(() => new PoolExecutor({ threads: 2, maxRetry: 0 } as never), "unknown key 'maxRetry'", "did you mean 'maxRetries'?");
  });

  it('rejects wrongly typed or misspelt nested values', async () => {
    await expectBad(() => new PoolExecutor({ strategy: 'fuse' } as never),
      "PoolExecutor strategy must be one of 'layer-wise', 'fused', 'auto', got \"fuse\"; did you mean 'fused'?");
    await expectBad(() => new PoolExecutor({ tasksPerWorker: 0 }), 'PoolExecutor tasksPerWorker must be an integer ≥ 1, got 0');
    await expectBad(() => new PoolExecutor({ resourceLimits: { maxOldGenerationSize: 64 } } as never),
      "PoolExecutor resourceLimits: unknown key 'maxOldGenerationSize' (value 64); did you mean 'maxOldGenerationSizeMb'?",
      'Accepted keys: maxOldGenerationSizeMb, maxYoungGenerationSizeMb');
    await expectBad(() => new PoolExecutor({ resourceLimits: { maxOldGenerationSizeMb: -1 } }), 'maxOldGenerationSizeMb must be > 0, got -1');
    await expectBad(() => new PoolExecutor({ faults: { layer: 0, fault: 'exit', time: 1 } } as never), "PoolExecutor faults: unknown key 'time'", "did you mean 'times'?");
    await expectBad(() => new PoolExecutor({ faults: { layer: 0, fault: 'crash', times: 1 } } as never), "faults.fault must be one of 'exit', 'throw', got \"crash\"");
  });

  describe('run options', () => {
    const b = new ModelBuilder('m', [1, 2, 8, 8]);
    const model = b.build(b.relu(b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same' })));
    const x = randomTensor([1, 2, 8, 8], 1);
    let pool: PoolExecutor;
    before(() => { pool = new PoolExecutor({ threads: 1 }); });
    after(() => pool.close());

    it('run, runBatch, runStream and runTile reject misspelt options', async () => {
      await expectBad(() => pool.run(model, x, { stratgy: 'fused' } as never),
        "PoolExecutor.run options: unknown key 'stratgy' (value \"fused\"); did you mean 'strategy'?", 'Accepted keys: signal, out, strategy');
      await expectBad(() => pool.run(model, x, { strategy: 'layerwise' } as never), "did you mean 'layer-wise'?");
      await expectBad(() => pool.runBatch(model, [x], { signl: AbortSignal.timeout(1000) } as never),
        "PoolExecutor.runBatch options: unknown key 'signl'", "did you mean 'signal'?", 'Accepted keys: signal, out');
      await expectBad(async () => { for await (const _ of pool.runStream(model, [x], { maxInflight: 1 } as never)) { /* drain */ } },
        "PoolExecutor.runStream options: unknown key 'maxInflight' (value 1); did you mean 'maxInFlight'?", 'Accepted keys: signal, out, maxInFlight');
      await expectBad(() => pool.runTile(model, x.shape, [0], [{ n0: 0, n1: 1, c0: 0, c1: 4, y0: 0, y1: 8, x0: 0, x1: 8 }], new Map(), { signl: 1 } as never),
        "PoolExecutor.runTile options: unknown key 'signl'");
    });

    it('the real options still run (a strategy reaches the planner, not LocalExecutor)', async () => {
      const want = (await new LocalExecutor().run(model, x)).toFloat32Array();
      expect((await pool.run(model, x, { strategy: 'auto', signal: new AbortController().signal })).toFloat32Array()).to.deep.equal(want);
      const ys = [];
      for await (const y of pool.runStream(model, [x, x], { maxInFlight: 1 })) ys.push(y.toFloat32Array());
      expect(ys).to.deep.equal([want, want]);
    });
  });
});
