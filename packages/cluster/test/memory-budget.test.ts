import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, seedDilatedStack } from '@tessera/nn';
import { TileWorker, encodedModel, spawnWorker } from '../src/index.js';
import { TestCluster, expectIdentical, rejection } from './helpers.js';

/** Resident memory of a process, bytes (Linux). */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) * 1024;
}

/** Issue 14's hostile case: a tiny model that pads a 1×1 input to 16000² (977 MiB of float32). */
function padBomb() {
  const b = new ModelBuilder('pad-bomb', [1, 1, 1, 1]);
  return b.build(b.pad(b.input, { top: 0, bottom: 15_999, left: 0, right: 15_999 }, 'bomb'));
}

describe('cluster worker memory budget (--max-memory)', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  before(async () => { cluster = await new TestCluster().start(); });
  after(async () => { await cluster.stop(); });

  it('a 977 MiB pad bomb is refused before allocating: RESOURCE_EXHAUSTED, task terminated, RSS unchanged, the worker keeps serving', async () => {
    const bomb = padBomb();
    expect(encodedModel(bomb).bytes.length).to.be.below(200);
    const ex = cluster.executor({ split: 'whole' });
    const conn = await ex.connect();
    const w = await cluster.worker({ name: 'budgeted', maxMemoryBytes: 64 * 1024 * 1024 });
    // Warm the worker (model fetch, pool threads) so RSS is measured in its serving state.
    const m = seedDilatedStack({ size: 32, channels: 4 });
    const xm = randomTensor(m.inputShape, 3);
    await ex.run(m, xm);
    const before = rss(w.pid);
    for (const split of ['whole', 'tiles'] as const) {
      const e = await rejection(cluster.executor({ split }).run(bomb, randomTensor(bomb.inputShape, 1)));
      expect(e.code, e.message).to.equal('RESOURCE_EXHAUSTED');
      expect(e.message, e.message).to.include("worker 'budgeted'").and.to.include("layer 0 'bomb'").and.to.include('[1, 1, 16000, 16000]').and.to.match(/needs \d+ bytes .* over the memory budget of 67108864 bytes/);
    }
    const grown = rss(w.pid) - before;
    console.log(`      worker RSS before ${(before / 2 ** 20).toFixed(0)} MiB, growth ${(grown / 2 ** 20).toFixed(1)} MiB`);
    expect(grown).to.be.below(100 * 1024 * 1024);
    // Each refused task was delivered once (terminated, not redelivered) and left nothing queued or stored.
    const tasks = w.output.lines.filter((l) => / received /.test(l));
    expect(tasks.filter((l) => !/delivery 1\)/.test(l))).to.deep.equal([]);
    expect((await conn.jsm.streams.info('TESSERA_TASKS')).state.messages).to.equal(0);
    expect((await conn.store.list()).filter((o) => o.name.startsWith('runs/')).map((o) => o.name)).to.deep.equal([]);
    // Still serving, same process.
    expectIdentical(await ex.run(m, xm), await new LocalExecutor().run(m, xm), 'after the refusals');
    expect(w.output.lines.join('\n')).to.not.match(/out of memory|FATAL/i);
  });

  it('the option is checked: TileWorker maxMemoryBytes and --max-memory refuse bad values, a misspelt key is named', async () => {
    expect(() => new TileWorker({ servers: cluster.server.url, maxMemoryBytes: -1 })).to.throw(/maxMemoryBytes must be a whole number of bytes > 0/);
    expect(() => new TileWorker({ servers: cluster.server.url, maxMemory: 5 } as never)).to.throw(/unknown key 'maxMemory'.*did you mean 'maxMemoryBytes'/);
    const w = spawnWorker({ url: cluster.server.url, user: cluster.server.user, pass: cluster.server.pass, name: 'bad-flag', maxMemoryBytes: 1.5 });
    expect(await w.exited).to.equal(2);
    expect(w.output.lines.join('\n')).to.include('bad --max-memory 1.5');
  });
});
