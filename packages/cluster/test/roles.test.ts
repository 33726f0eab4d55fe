import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, PermissionViolationError } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack } from '@tessera/nn';
import { INBOX_PREFIX, authorizationConfig, rolePermissions, DEFAULT_NAMES } from '../src/index.js';
import { TestCluster, expectIdentical } from './helpers.js';

/** A client of `cluster`'s server as `role`, recording every permission violation the server reports to it. */
async function client(cluster: TestCluster, role: 'coordinator' | 'worker'): Promise<{ nc: NatsConnection; violations: PermissionViolationError[] }> {
  const { user, pass } = cluster.server.roles[role];
  const nc = await connect({ servers: cluster.server.url, user, pass, inboxPrefix: INBOX_PREFIX[role] });
  const violations: PermissionViolationError[] = [];
  void (async () => {
    // By name: the transport may hold its own copy of nats-core's classes.
    for await (const s of nc.status()) if (s.type === 'error' && s.error.name === 'PermissionViolationError') violations.push(s.error as PermissionViolationError);
  })();
  return { nc, violations };
}

/** Waits for the server's violation of `operation` on `subject` (sent before its PONG; the status event may come a tick later). */
async function refused(c: { nc: NatsConnection; violations: PermissionViolationError[] }, operation: 'publish' | 'subscription', subject: string): Promise<void> {
  await c.nc.flush();
  const find = (): PermissionViolationError | undefined => c.violations.find((v) => v.operation === operation && v.subject === subject);
  for (let i = 0; i < 100 && !find(); i++) await new Promise((r) => setTimeout(r, 20));
  const hit = find();
  expect(hit, `${operation} of '${subject}' refused (saw ${c.violations.map((v) => `${v.operation} ${v.subject}`).join(', ') || 'none'})`).to.not.equal(undefined);
}

describe('cluster roles: each credential may do its own part only', function () {
  this.timeout(90_000);
  let cluster: TestCluster;
  const model = seedDilatedStack({ size: 192, channels: 8 });
  const x = randomTensor(model.inputShape, 5);

  before(async () => { cluster = await new TestCluster().start(); });
  after(async () => {
    // This file provokes violations on purpose: they are asserted one by one above, not at stop().
    cluster.expectViolations = true;
    await cluster.stop();
  });

  it('a whole run with the role credentials (tiles, object store for big payloads) needs no subject outside them', async () => {
    const ex = cluster.executor({ tiles: 3, maxMessageBytes: 128 * 1024 });
    await ex.connect();
    await cluster.worker({ maxMessageBytes: 128 * 1024 });
    expectIdentical(await ex.run(model, x), await new LocalExecutor().run(model, x), 'run under roles');
    expect(ex.stats.bytesOut, 'payloads went through the object store').to.be.above(128 * 1024);
    expect(cluster.violations(), 'server-reported violations').to.deep.equal([]);
  });

  it('the worker role cannot publish a task, read tasks or results off the wire, or touch the queue and the coordinator\'s inboxes', async () => {
    const ex = cluster.executor();
    const conn = await ex.connect();
    const w = await client(cluster, 'worker');
    try {
      const runId = randomUUID();
      const before = (await conn.jsm.streams.info(DEFAULT_NAMES.stream)).state.messages;
      w.nc.publish(`${DEFAULT_NAMES.tasks}.${runId}`, new Uint8Array(8));
      await refused(w, 'publish', `${DEFAULT_NAMES.tasks}.${runId}`);
      expect((await conn.jsm.streams.info(DEFAULT_NAMES.stream)).state.messages, 'no forged task reached the queue').to.equal(before);

      for (const subject of [`${DEFAULT_NAMES.tasks}.>`, `${DEFAULT_NAMES.results}.>`, `${INBOX_PREFIX.coordinator}.>`, '_INBOX.>', '>']) {
        const sub = w.nc.subscribe(subject);
        await refused(w, 'subscription', subject);
        expect(await sub.closed.then(() => 'closed', (e: Error) => e.name)).to.be.oneOf(['closed', 'PermissionViolationError']);
      }
      // Queue administration: deleting the stream or the consumer is refused, both are still there.
      w.nc.publish(`$JS.API.STREAM.DELETE.${DEFAULT_NAMES.stream}`);
      await refused(w, 'publish', `$JS.API.STREAM.DELETE.${DEFAULT_NAMES.stream}`);
      w.nc.publish(`$JS.API.CONSUMER.DELETE.${DEFAULT_NAMES.stream}.${DEFAULT_NAMES.consumer}`);
      await refused(w, 'publish', `$JS.API.CONSUMER.DELETE.${DEFAULT_NAMES.stream}.${DEFAULT_NAMES.consumer}`);
      expect((await conn.jsm.consumers.info(DEFAULT_NAMES.stream, DEFAULT_NAMES.consumer)).name).to.equal(DEFAULT_NAMES.consumer);
      // Presence is answered, never faked by publishing.
      w.nc.publish(DEFAULT_NAMES.presence);
      await refused(w, 'publish', DEFAULT_NAMES.presence);
      // What it may do still works on the same connection: bind to the task consumer.
      const c = await jetstream(w.nc).consumers.get(DEFAULT_NAMES.stream, DEFAULT_NAMES.consumer);
      expect((await c.info()).name).to.equal(DEFAULT_NAMES.consumer);
    } finally {
      await w.nc.close();
    }
  });

  it('the coordinator role cannot read the workers\' inboxes nor answer as a worker', async () => {
    const co = await client(cluster, 'coordinator');
    try {
      co.nc.subscribe(`${INBOX_PREFIX.worker}.>`);
      await refused(co, 'subscription', `${INBOX_PREFIX.worker}.>`);
      co.nc.subscribe(DEFAULT_NAMES.presence);
      await refused(co, 'subscription', DEFAULT_NAMES.presence);
      const result = `${DEFAULT_NAMES.results}.${randomUUID()}`;
      co.nc.publish(result);
      await refused(co, 'publish', result);
    } finally {
      await co.nc.close();
    }
  });

  it('the generated permissions render as a nats-server authorization block (the documented production config)', () => {
    const conf = authorizationConfig([{ user: 'w', password: 'p', permissions: rolePermissions('worker', DEFAULT_NAMES) }]);
    expect(conf).to.match(/^authorization \{\n {2}users = \[\n/);
    expect(conf).to.include('"allow_responses": true').and.to.include('"tessera.results.>"').and.to.not.include('"tessera.tasks.>"');
    // docs/cluster-security.md shows the same block for the default names: it may not drift from what the code needs.
    const doc = readFileSync(new URL('../../../docs/cluster-security.md', import.meta.url), 'utf8');
    const documented = authorizationConfig((['coordinator', 'worker'] as const).map((r) => ({
      user: `tessera-${r}`, password: `REPLACE-WITH-THE-${r.toUpperCase()}-SECRET`, permissions: rolePermissions(r, DEFAULT_NAMES),
    })));
    expect(doc).to.include(documented);
  });
});
