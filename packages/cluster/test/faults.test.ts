import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack } from '@tessera/nn';
import { connect } from '@nats-io/transport-node';
import { headers } from '@nats-io/nats-core';
import { TestCluster, expectIdentical, rejection, until } from './helpers.js';

const local = new LocalExecutor();
const model = seedDilatedStack({ size: 48, channels: 8 });
const x = randomTensor(model.inputShape, 5);

describe('ClusterExecutor under faults', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let want: Awaited<ReturnType<LocalExecutor['run']>>;

  before(async () => {
    cluster = await new TestCluster().start();
    want = await local.run(model, x);
  });
  afterEach(async () => { await cluster.stopWorkers(); });
  after(async () => { await cluster.stop(); });

  it('workers connected but none pulling: UNAVAILABLE naming the stream and subject after noWorkerTimeoutMs', async () => {
    const ex = cluster.executor({ noWorkerTimeoutMs: 2000, checkIntervalMs: 250 });
    await ex.connect();
    // Something answers on the presence subject (the run may start) but nobody pulls tasks: a stuck worker.
    const nc = await connect({ servers: cluster.server.url, user: cluster.server.user, pass: cluster.server.pass });
    nc.subscribe('tessera.workers', { callback: (_e, m) => { m.respond('stuck'); } });
    await nc.flush();
    try {
      const t0 = Date.now();
      const e = await rejection(ex.run(model, x));
      const ms = Date.now() - t0;
      expect(e.code, e.message).to.equal('UNAVAILABLE');
      expect(e.message).to.include(`no worker took a task within 2000 ms`).and.to.include(`stream 'TESSERA_TASKS'`)
        .and.to.match(/subject 'tessera\.tasks\.[0-9a-f-]+'/);
      expect(ms).to.be.at.least(2000);
    } finally {
      await nc.close();
    }
  });

  // kill -9 of a worker holding tiles: failure-detection.test.ts (redelivery timed from the kill).

  it('drops and counts duplicate results: first result wins', async () => {
    const ex = cluster.executor({ tiles: 6 });
    await ex.connect();
    await cluster.worker({ delayMs: 300 });
    // An eavesdropper republishes the first result once more: a duplicate of a done tile, arriving while
    // the other 5 tiles are still to compute (one worker, 300 ms each, 2 at a time).
    const nc = await connect({ servers: cluster.server.url, user: cluster.server.user, pass: cluster.server.pass });
    let echoed = 0;
    const sub = nc.subscribe('tessera.results.>', {
      callback: (_e, m) => {
        if (m.headers?.has('echo') || echoed > 0) return;
        echoed++;
        const h = headers();
        h.set('echo', '1');
        nc.publish(m.subject, m.data, { headers: h });
      },
    });
    try {
      expectIdentical(await ex.run(model, x), want, 'with duplicates');
      await nc.flush();
    } finally {
      sub.unsubscribe();
      await nc.close();
    }
    expect(echoed).to.equal(1);
    expect(ex.stats.duplicatesDropped).to.equal(1);
    expect(ex.stats.results).to.equal(6);
  });

  it('a worker started mid-run picks up work', async () => {
    const ex = cluster.executor({ tiles: 6 });
    await ex.connect();
    await cluster.worker({ delayMs: 1200, name: 'early' });
    const run = ex.run(model, x);
    await cluster.worker({ name: 'late' });
    expectIdentical(await run, want, 'with a late worker');
    expect(ex.stats.perWorker['early']).to.be.at.least(1);
    expect(ex.stats.perWorker['late']).to.be.at.least(1);
  });

  it('a result lost in transit (task acked, no result): the tile is re-sent and the run completes', async () => {
    const ex = cluster.executor({ tiles: 6, checkIntervalMs: 300 });
    await ex.connect();
    await cluster.worker({ env: { TESSERA_WORKER_TEST_LOSE_RESULTS: '2' } });
    expectIdentical(await ex.run(model, x), want, 'after re-sending');
    expect(ex.stats.resends).to.be.within(2, 3);
    expect(ex.stats.results).to.equal(6);
  });

  it('large tasks and results go through the object store', async () => {
    const ex = cluster.executor({ tiles: 2, maxMessageBytes: 128 * 1024 });
    const conn = await ex.connect();
    const big = seedDilatedStack({ size: 192, channels: 8 });
    const xb = randomTensor(big.inputShape, 9);
    const w = await cluster.worker({ maxMessageBytes: 128 * 1024 });
    expectIdentical(await ex.run(big, xb), await local.run(big, xb), 'through the object store');
    // Each tile's inputs (3×~100×192 floats) and output (8×48×96 floats) exceed 128 KiB.
    expect(ex.stats.bytesOut).to.be.above(192 * 192 * 3 * 4);
    expect(ex.stats.bytesIn).to.be.above(8 * 96 * 96 * 4);
    expect(w.output.lines.join('\n')).to.not.match(/ error |rejected/);
    // The run's objects are gone afterwards: only models stay.
    const left = (await conn.store.list()).filter((o) => o.name.startsWith('runs/'));
    expect(left.map((o) => o.name)).to.deep.equal([]);
  });

  it('SIGTERM: a worker finishes the tiles in hand, publishes them, and exits 0', async () => {
    const ex = cluster.executor({ tiles: 6 });
    await ex.connect();
    const leaving = await cluster.worker({ threads: 2, delayMs: 1500, name: 'leaving' });
    const run = ex.run(model, x);
    await leaving.output.waitFor(/ received /, 10_000);
    await cluster.worker({ name: 'staying' });
    leaving.kill('SIGTERM');
    expect(await leaving.exited).to.equal(0);
    expectIdentical(await run, want, 'after a SIGTERM');
    // What it held was finished and delivered, not abandoned to ack_wait (a task that reached
    // it after the SIGTERM is handed back at once: counted as released).
    expect(ex.stats.perWorker['leaving']).to.be.at.least(1);
    expect(leaving.output.lines.join('\n')).to.match(/stopped: \{"tasks":\d+,"results":[1-9]/);
  });

  it('a tile that kills every worker taking it: WORKER_LOST once max_deliver is used up', async () => {
    const ex = cluster.executor({ tiles: 1, ackWaitMs: 1000, maxDeliver: 2, checkIntervalMs: 250 });
    await ex.connect();
    // A worker must be connected for the run to start (the presence probe); the tile then kills each taker.
    let victim = await cluster.worker({ delayMs: 60_000, name: 'victim1' });
    const run = rejection(ex.run(model, x));
    for (let i = 1; i <= 2; i++) {
      if (i > 1) victim = await cluster.worker({ delayMs: 60_000, name: `victim${i}` });
      await victim.output.waitFor(/ received /, 10_000);
      victim.kill('SIGKILL');
      await victim.exited;
    }
    await cluster.worker({ name: 'bystander' });
    const e = await run;
    expect(e.code, e.message).to.equal('WORKER_LOST');
    expect(e.message).to.include('max_deliver 2');
  });

  it('abort: ABORTED at once, and the run leaves no task in the queue', async () => {
    const ex = cluster.executor({ tiles: 6 });
    const conn = await ex.connect();
    await cluster.worker({ delayMs: 2000 });
    const ac = new AbortController();
    const run = ex.run(model, x, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('user gave up')), 500);
    const t0 = Date.now();
    const e = await rejection(run);
    expect(e.code).to.equal('ABORTED');
    expect(e.message).to.include('user gave up');
    expect(Date.now() - t0).to.be.below(1500);
    const si = await conn.jsm.streams.info('TESSERA_TASKS');
    expect(si.state.messages).to.equal(0);
  });
});

describe('ClusterExecutor across a NATS server restart', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  let want: Awaited<ReturnType<LocalExecutor['run']>>;

  before(async () => {
    cluster = await new TestCluster().start();
    want = await local.run(model, x);
  });
  after(async () => { await cluster.stop(); });

  it('restart mid-run (down 1 s): the run completes, identical, within reconnectTimeoutMs', async () => {
    const ex = cluster.executor({ tiles: 6, reconnectTimeoutMs: 15_000, checkIntervalMs: 500 });
    await ex.connect();
    await cluster.worker({ delayMs: 700, name: 'steady' });
    const t0 = Date.now();
    const run = ex.run(model, x);
    await until(() => ex.stats.results >= 2, 20_000);
    const oldPid = cluster.server.pid;
    await cluster.server.restart({ downMs: 1000 });
    expect(cluster.server.pid).to.not.equal(oldPid);
    expectIdentical(await run, want, 'across a restart');
    expect(Date.now() - t0).to.be.below(15_000);
    expect(ex.stats.results).to.equal(6);
    console.log(`      restart: ${Date.now() - t0} ms, stats ${JSON.stringify(ex.stats)}`);
    // The worker reconnected by itself and still serves runs.
    expectIdentical(await ex.run(model, x), want, 'after the restart');
  });

  it('server gone for good: UNAVAILABLE within reconnectTimeoutMs', async () => {
    const ex = cluster.executor({ tiles: 6, reconnectTimeoutMs: 3000, checkIntervalMs: 250 });
    await ex.connect();
    await cluster.worker({ delayMs: 700, name: 'abandoned' });
    const run = ex.run(model, x);
    const settled = rejection(run);
    await until(() => ex.stats.results >= 1, 20_000);
    const t0 = Date.now();
    await cluster.server.stop();
    const gone = Date.now();
    const e = await settled;
    expect(e.code, e.message).to.equal('UNAVAILABLE');
    expect(e.message).to.include('unreachable');
    // The clock starts when the client saw the connection drop (at the latest when the server exited).
    console.log(`      server stop took ${gone - t0} ms, run failed ${Date.now() - gone} ms after the server exited`);
    expect(Date.now() - gone).to.be.below(3000 + 1500);
  });
});
