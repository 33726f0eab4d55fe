import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack } from '@tessera/nn';
import { TestCluster, expectIdentical, rejection } from './helpers.js';

/*
 * Numeric modes across a cluster: `exact` is the same bits on a wasm-only
 * worker and a native one, so they share a run; an `fma` worker refuses an
 * exact run's tasks (and an exact worker an fma run's): one run never mixes.
 */
describe('ClusterExecutor and engine modes', function () {
  this.timeout(180_000);
  const cluster = new TestCluster();
  const model = seedDilatedStack({ size: 40, channels: 20, seed: 3 });
  const x = randomTensor(model.inputShape, 21);

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });
  afterEach(async () => { await cluster.stopWorkers(); });

  it('exact: a wasm-only worker and a native worker mixed in one run give LocalExecutor\'s bits', async () => {
    const ex = cluster.executor({ tiles: 8 });
    await ex.connect();
    await cluster.worker({ name: 'wasm-only', env: { TESSERA_ENGINE: 'wasm' } });
    await cluster.worker({ name: 'native', env: { TESSERA_ENGINE: 'native' } });
    const want = await new LocalExecutor({ fuse: false, engine: { kind: 'wasm' } }).run(model, x);
    for (let i = 0; i < 3; i++) expectIdentical(await ex.run(model, x), want, `run ${i}`);
    expect(Object.keys(ex.stats.perWorker).sort(), 'both workers computed tiles').to.deep.equal(['native', 'wasm-only']);
  });

  it('an fma worker refuses an exact run; an fma run on it equals LocalExecutor fma', async () => {
    const exact = cluster.executor({ tiles: 4 });
    await exact.connect();
    await cluster.worker({ name: 'fma', env: { TESSERA_ENGINE: 'native', TESSERA_ENGINE_MODE: 'fma' } });
    const e = await rejection(exact.run(model, x));
    expect(e.code).to.equal('UNAVAILABLE');
    expect(e.message).to.match(/worker 'fma' runs engine 'native \w+ fma'; the run asks for mode 'exact' and never mixes numeric modes/);
    const fma = cluster.executor({ tiles: 4, engine: { mode: 'fma' } });
    await fma.connect();
    expectIdentical(await fma.run(model, x), await new LocalExecutor({ fuse: false, engine: { kind: 'native', mode: 'fma' } }).run(model, x), 'fma run');
  });

  it('the engine option is strict', () => {
    expect(() => cluster.executor({ engine: { mode: 'fused' as never } })).to.throw(/ClusterExecutor engine mode must be one of 'exact', 'fma'/);
    expect(() => cluster.executor({ engine: { kind: 'native' } as never })).to.throw(/ClusterExecutor engine: unknown key 'kind'/);
  });
});
