import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack } from '@tessera/nn';
import { ClusterExecutor, TileWorker } from '../src/index.js';
import { TestCluster, expectIdentical, rejection } from './helpers.js';

const local = new LocalExecutor();
const model = seedDilatedStack({ size: 32, channels: 4 });
const x = randomTensor(model.inputShape, 7);

describe('ClusterExecutor options', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  before(async () => { cluster = await new TestCluster().start(); });
  afterEach(async () => { await cluster.stopWorkers(); });
  after(async () => { await cluster.stop(); });

  it('are strict: an unknown key of the options, of names or of a run is BAD_ARGUMENT naming it', async () => {
    const servers = cluster.server.url;
    const bad = (f: () => unknown): Error & { code?: string } => {
      try { f(); } catch (e) { return e as Error & { code?: string }; }
      return expect.fail('expected a throw');
    };
    const e1 = bad(() => new ClusterExecutor({ servers, ackWait: 3000 } as never));
    expect(e1.code).to.equal('BAD_ARGUMENT');
    expect(e1.message).to.include("ClusterExecutor options: unknown key 'ackWait'").and.to.include("did you mean 'ackWaitMs'");
    expect(bad(() => new ClusterExecutor({ servers, names: { bukket: 'b' } } as never)).message).to.include("ClusterExecutor names: unknown key 'bukket'").and.to.include("did you mean 'bucket'");
    expect(bad(() => new ClusterExecutor({ servers, maxResends: -1 })).message).to.include('maxResends');
    const ex = cluster.executor();
    // Checked before anything is sent: no connection is needed to refuse them.
    const r1 = await rejection(ex.run(model, x, { signl: new AbortController().signal } as never));
    expect(r1.code).to.equal('BAD_ARGUMENT');
    expect(r1.message).to.include("ClusterExecutor.run options: unknown key 'signl'").and.to.include("did you mean 'signal'");
    const r2 = await rejection(ex.runBatch(model, [x], { out: x } as never));
    expect(r2.message).to.include("ClusterExecutor.runBatch options: unknown key 'out'");
    const r3 = await rejection((async () => { for await (const _y of ex.runStream(model, [x], { maxInFlite: 2 } as never)) { /* none */ } })());
    expect(r3.message).to.include("unknown key 'maxInFlite'").and.to.include("did you mean 'maxInFlight'");
    expect(ex.stats.tasksSent).to.equal(0);
  });

  it('run `out`: the output is written into the given tensor', async () => {
    const ex = cluster.executor({ split: 'whole' });
    await ex.connect();
    await cluster.worker();
    const want = await local.run(model, x);
    const out = randomTensor(want.shape, 1);
    expect(await ex.run(model, x, { out })).to.equal(out);
    expectIdentical(out, want, 'out');
  });

  it('runTimeoutMs: a run whose tiles take longer fails with TIMEOUT after it, not later', async () => {
    const ex = cluster.executor({ tiles: 2, runTimeoutMs: 1500, checkIntervalMs: 250 });
    await ex.connect();
    await cluster.worker({ delayMs: 30_000, name: 'sluggish' });
    const t0 = Date.now();
    const e = await rejection(ex.run(model, x));
    const ms = Date.now() - t0;
    expect(e.code, e.message).to.equal('TIMEOUT');
    expect(e.message).to.include('did not finish within 1500 ms');
    expect(ms).to.be.at.least(1500).and.below(5000);
  });

  it('maxResends: a tile whose result is lost more often fails the run with WORKER_LOST after exactly that many re-sends', async () => {
    const ex = cluster.executor({ split: 'whole', maxResends: 1, checkIntervalMs: 250 });
    await ex.connect();
    // This worker acks every task without publishing its result: each send of the tile is lost.
    await cluster.worker({ env: { TESSERA_WORKER_TEST_LOSE_RESULTS: '1000' } });
    const e = await rejection(ex.run(model, x));
    expect(e.code, e.message).to.equal('WORKER_LOST');
    expect(e.message).to.include('lost its result 2 time(s)');
    expect(ex.stats.resends).to.equal(1);
    expect(ex.stats.tasksSent).to.equal(2);
  });

  it('name: the coordinator connects under the given client name (workers as `tessera-worker <name>`), as the server lists its clients', async () => {
    const ex = cluster.executor({ name: 'coordinator-of-test' });
    await ex.connect();
    await cluster.worker({ name: 'named-worker' });
    const connz = await (await fetch(`${cluster.server.monitorUrl}/connz?limit=1000`)).json() as { connections: { name?: string; authorized_user?: string }[] };
    const clients = connz.connections.map((c) => c.name);
    expect(clients).to.include('coordinator-of-test').and.to.include('tessera-worker named-worker');
    expect(clients, 'the default name is not used when one is given').to.not.include('tessera-coordinator');
  });

  it('names: stream, subjects, consumer, bucket and presence of their own; a coordinator with other names sees no worker', async () => {
    const names = { stream: 'ALT_TASKS', tasks: 'alt.tasks', results: 'alt.results', consumer: 'alt-workers', bucket: 'alt', presence: 'alt.workers' };
    // The server's role permissions are for the default names: other names take the superuser here (or roles made with rolePermissions(role, names)).
    const ex = cluster.executor({ names, tiles: 2, user: cluster.server.user, pass: cluster.server.pass });
    const conn = await ex.connect();
    const creds = { servers: cluster.server.url, user: cluster.server.user, pass: cluster.server.pass };
    const w = new TileWorker({ ...creds, names, name: 'alt-worker', log: () => {} });
    await w.start();
    try {
      expectIdentical(await ex.run(model, x), await local.run(model, x), 'under other names');
      expect(ex.stats.perWorker).to.deep.equal({ 'alt-worker': 2 });
      expect((await conn.jsm.consumers.info('ALT_TASKS', 'alt-workers')).config.durable_name).to.equal('alt-workers');
      expect((await conn.store.status()).bucket).to.equal('alt');
      // The default names reach none of it: no worker answers on tessera.workers.
      const other = cluster.executor();
      const e = await rejection(other.run(model, x));
      expect(e.code).to.equal('UNAVAILABLE');
      expect(e.message).to.include("'tessera.workers'");
    } finally {
      await w.stop();
    }
  });
});
