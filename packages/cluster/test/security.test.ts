import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { randomTensor, regionVolume } from '@tessera/tensor';
import { LocalExecutor, fuseLayers, seedDilatedStack } from '@tessera/nn';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { TILE_PROTOCOL_VERSION, decodeTileResult, encodeTileTask } from '@tessera/wire';
import { ClusterExecutor, encodedModel, modelObjectName, spawnWorker } from '../src/index.js';
import { TestCluster, expectIdentical, rejection } from './helpers.js';

describe('cluster security', function () {
  this.timeout(90_000);
  let cluster: TestCluster;

  before(async () => { cluster = await new TestCluster().start(); });
  after(async () => { await cluster.stop(); });

  it('refuses clients without credentials or with a wrong password', async () => {
    const url = cluster.server.url;
    expect(await rejection(connect({ servers: url, reconnect: false }))).to.match(/Authorization Violation/i);
    expect(await rejection(connect({ servers: url, user: cluster.server.user, pass: 'wrong', reconnect: false }))).to.match(/Authorization Violation/i);
    const ex = new ClusterExecutor({ servers: url, user: cluster.server.user, pass: 'wrong' });
    const m = seedDilatedStack({ size: 16, channels: 2 });
    const e = await rejection(ex.run(m, randomTensor(m.inputShape, 1)));
    expect(e.code).to.equal('UNAVAILABLE');
    expect(e.message).to.match(/Authorization Violation/i).and.to.include(url);
    await ex.close();
    // A worker with a wrong password exits with an error instead of running.
    const w = spawnWorker({ url, user: cluster.server.user, pass: 'wrong', name: 'intruder' });
    expect(await w.exited).to.equal(1);
    expect(w.output.lines.join('\n')).to.match(/Authorization Violation/i);
  });

  it('a worker rejects and counts garbage on the task subject, terminates it, and keeps working', async () => {
    const ex = cluster.executor({ tiles: 4 });
    await ex.connect();
    const w = await cluster.worker({ name: 'sturdy' });
    const nc = await connect({ servers: cluster.server.url, user: cluster.server.user, pass: cluster.server.pass });
    const js = jetstream(nc);
    try {
      const garbage = [randomBytes(0), randomBytes(1), randomBytes(300), randomBytes(70_000), Buffer.from('{"runId":"x"}'), new Uint8Array(64).fill(0xff)];
      for (const g of garbage) await js.publish(`tessera.tasks.garbage-${randomUUID()}`, g);
      for (let i = 1; i <= garbage.length; i++) await w.output.waitFor(new RegExp(`rejected message .*\\[rejected ${i}\\]`), 10_000);
      const m = seedDilatedStack({ size: 32, channels: 4 });
      const x = randomTensor(m.inputShape, 3);
      expectIdentical(await ex.run(m, x), await new LocalExecutor().run(m, x), 'after garbage');
      expect(w.pid).to.be.above(0);
      // Terminated, not redelivered: each garbage message was rejected exactly once.
      expect(w.output.lines.filter((l) => / rejected message /.test(l))).to.have.length(garbage.length);
      const si = await (await js.streams.get('TESSERA_TASKS')).info();
      expect(si.state.messages).to.equal(0);
    } finally {
      await nc.close();
    }
  });

  it('a worker runs only known models: a task naming an unknown model gets a BAD_MODEL error result', async () => {
    const ex = cluster.executor();
    await ex.connect();
    if (cluster.workers.length === 0) await cluster.worker();
    const nc = await connect({ servers: cluster.server.url, user: cluster.server.user, pass: cluster.server.pass });
    try {
      const runId = randomUUID();
      const got = new Promise<Uint8Array>((resolve) => {
        const sub = nc.subscribe(`tessera.results.${runId}`, { max: 1, callback: (_e, msg) => resolve(msg.data) });
        void sub;
      });
      await nc.flush();
      const shape = [1, 3, 8, 8];
      const region = { n0: 0, n1: 1, c0: 0, c1: 3, y0: 0, y1: 8, x0: 0, x1: 8 };
      const task = encodeTileTask({
        version: TILE_PROTOCOL_VERSION, runId, tileId: 0, stage: 0, modelId: 'no-such-model', modelVersion: 'ab'.repeat(32),
        inputShape: shape, layers: [0], regions: [region], attempt: 1,
        inputs: [{ source: -1, shape, region, data: new Float32Array(regionVolume(region)) }],
      });
      await jetstream(nc).publish(`tessera.tasks.${runId}`, task);
      const res = decodeTileResult(await got);
      expect(res.error?.code).to.equal('BAD_MODEL');
      expect(res.error?.message).to.include('no-such-model');
    } finally {
      await nc.close();
    }
  });

  it('a tampered model in the store: the worker refuses it and the run fails with its BAD_MODEL error', async () => {
    const ex = cluster.executor();
    const conn = await ex.connect();
    if (cluster.workers.length === 0) await cluster.worker();
    const m = seedDilatedStack({ size: 16, channels: 2, seed: 99 });
    // The executor ships the fused model (under id `<id>+fused`): forge that one.
    const shipped = fuseLayers(m);
    const { bytes, version } = encodedModel(shipped);
    // Same name and size as the real thing, other bytes: the hash check catches it.
    const forged = new Uint8Array(bytes);
    forged[forged.length - 1]! ^= 1;
    await conn.store.putBlob({ name: modelObjectName(shipped.id, version) }, forged);
    const e = await rejection(ex.run(m, randomTensor(m.inputShape, 1)));
    expect(e.code, e.message).to.equal('BAD_MODEL');
    expect(e.message).to.include(`hashes to`).and.to.include(version);
  });
});
