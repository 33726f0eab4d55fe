import { expect } from 'chai';
import { randomTensor, type Tensor } from '@tessera/tensor';
import { LocalExecutor, fuseLayers, seedDilatedStack } from '@tessera/nn';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { TILE_PROTOCOL_VERSION, decodeTileTask, encodeTileResult } from '@tessera/wire';
import { TestCluster, expectIdentical } from './helpers.js';

const model = seedDilatedStack({ size: 48, channels: 8 });
const x = randomTensor(model.inputShape, 21);

/**
 * Issue 14's attack: anyone holding the shared credentials reads the task
 * subjects and answers first. This forger answers every task copy at once,
 * as worker 'forger', with zeros; then (with `sabotage`) as 'saboteur' with an error result
 * (one worker's error must not fail a verified run); and once more for a
 * copy never sent (attempt 99), as 'ghost'. On one connection, in that order.
 */
async function startForger(url: string, user: string, pass: string, sabotage: boolean): Promise<{ nc: NatsConnection; forged: () => number }> {
  const nc = await connect({ servers: url, user, pass });
  const shapes = fuseLayers(model).shapes(model.inputShape);
  let forged = 0;
  nc.subscribe('tessera.tasks.>', {
    callback: (_e, m) => {
      let task;
      try { task = decodeTileTask(m.data); } catch { return; }
      const last = task.layers[task.layers.length - 1]!;
      const region = task.regions[task.regions.length - 1]!;
      const n = (region.n1 - region.n0) * (region.c1 - region.c0) * (region.y1 - region.y0) * (region.x1 - region.x0);
      const result = (workerId: string, attempt: number): Uint8Array => encodeTileResult({
        version: TILE_PROTOCOL_VERSION, runId: task.runId, tileId: task.tileId, workerId, attempt,
        output: { source: last, shape: shapes[last]!, region, data: new Float32Array(n) },
        timings: { queueMs: 0, computeMs: 0, codecMs: 0 },
      });
      nc.publish(`tessera.results.${task.runId}`, result('forger', task.attempt));
      if (sabotage) nc.publish(`tessera.results.${task.runId}`, encodeTileResult({
        version: TILE_PROTOCOL_VERSION, runId: task.runId, tileId: task.tileId, workerId: 'saboteur', attempt: task.attempt,
        error: { code: 'KERNEL_FAILED', message: 'sabotage' }, timings: { queueMs: 0, computeMs: 0, codecMs: 0 },
      }));
      nc.publish(`tessera.results.${task.runId}`, result('ghost', 99));
      forged++;
    },
  });
  await nc.flush();
  return { nc, forged: () => forged };
}

describe('ClusterExecutor verify: k (verified execution)', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let want: Tensor;

  before(async () => {
    cluster = await new TestCluster().start();
    want = await new LocalExecutor().run(model, x);
    await cluster.executor().connect();
    for (let i = 1; i <= 3; i++) await cluster.worker({ name: `honest${i}` });
  });
  after(async () => { await cluster.stop(); });

  it('verify: 1 (off) — a forged result wins: the output is silently wrong (the attack)', async () => {
    const f = await startForger(cluster.server.url, cluster.server.user, cluster.server.pass, false);
    try {
      const got = (await cluster.executor({ tiles: 4 }).run(model, x)).toFloat32Array();
      expect(f.forged()).to.be.at.least(1);
      expect(got.some((v, i) => v !== want.toFloat32Array()[i]), 'output differs from local').to.equal(true);
    } finally {
      await f.nc.close();
    }
  });

  it('verify: 2 — a tile is accepted only when 2 workers agree bit for bit: identical output, forger and saboteur excluded, unsolicited results counted', async () => {
    const f = await startForger(cluster.server.url, cluster.server.user, cluster.server.pass, true);
    const ex = cluster.executor({ tiles: 4, verify: 2 });
    try {
      const t0 = performance.now();
      expectIdentical(await ex.run(model, x), want, 'verify: 2 with a forger');
      const s = ex.stats;
      console.log(`      verify: 2 with a forger: ${(performance.now() - t0).toFixed(0)} ms, ${s.tasksSent} tasks for ${s.results} tiles, `
        + `${s.resends} extra copies, ${s.disagreements} disagreements, ${s.unsolicited} unsolicited, ${s.duplicatesDropped} duplicates`);
      expect(f.forged()).to.be.at.least(8);
      expect([...ex.stats.excludedWorkers].sort()).to.deep.equal(['forger', 'saboteur']);
      expect(ex.stats.disagreements).to.be.at.least(2);
      // 'ghost' answered copies never sent (attempt 99); the forger's answers after its exclusion are dropped too.
      expect(ex.stats.unsolicited).to.be.at.least(4);
      expect(Object.keys(ex.stats.perWorker).every((w) => w.startsWith('honest'))).to.equal(true);
      // A second run: the forger stays excluded from the start.
      expectIdentical(await ex.run(model, x), want, 'second run');
      expect([...ex.stats.excludedWorkers].sort()).to.deep.equal(['forger', 'saboteur']);
    } finally {
      await f.nc.close();
    }
  });

  it('verify: 2 without a forger: every tile computed by 2 distinct honest workers, nothing excluded', async () => {
    const ex = cluster.executor({ tiles: 4, verify: 2 });
    expectIdentical(await ex.run(model, x), want, 'verify: 2');
    expect(ex.stats.excludedWorkers).to.deep.equal([]);
    expect(ex.stats.disagreements + ex.stats.unsolicited).to.equal(0);
    expect(ex.stats.tasksSent).to.be.at.least(2 * ex.stats.results);
    expect(() => cluster.executor({ verify: 9 })).to.throw(/verify must be 1\.\.8, got 9/);
  });
});
