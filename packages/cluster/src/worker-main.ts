#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { TileWorker } from './worker.js';
import { isLogLevel } from './log.js';

const USAGE = `usage: tessera-worker --nats URL [--user U --pass P] [--threads N] [--prefetch M] [--name NAME] [--log-level debug|info|warn|error] [--max-message-bytes B] [--max-memory BYTES]
  --threads N    threads of the worker's PoolExecutor (default 1); a whole-input task runs on one, a tile on all
  --prefetch M   tasks held at once (default 2 × threads), so a thread never waits on the queue's round trip
  --max-memory B feature-map bytes one task may hold (default half the machine's memory); bigger tasks are refused (RESOURCE_EXHAUSTED)
  credentials also from TESSERA_NATS_USER / TESSERA_NATS_PASS`;

/**
 * `tessera-worker`: runs tiles for ClusterExecutors on this machine's cores.
 * SIGTERM/SIGINT: stop pulling, finish the tasks in hand, drain, exit 0.
 */
async function main(): Promise<number> {
  let v;
  try {
    ({ values: v } = parseArgs({
      options: {
        nats: { type: 'string' }, user: { type: 'string' }, pass: { type: 'string' }, threads: { type: 'string' }, prefetch: { type: 'string' },
        name: { type: 'string' }, 'log-level': { type: 'string' }, 'max-message-bytes': { type: 'string' }, 'max-memory': { type: 'string' }, help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const level = v['log-level'] ?? 'info';
  const threads = v.threads === undefined ? 1 : Number(v.threads);
  const prefetch = v.prefetch === undefined ? undefined : Number(v.prefetch);
  const maxMessageBytes = v['max-message-bytes'] === undefined ? undefined : Number(v['max-message-bytes']);
  const maxMemoryBytes = v['max-memory'] === undefined ? undefined : Number(v['max-memory']);
  const bad = !v.nats ? '--nats is required' : !isLogLevel(level) ? `bad --log-level ${level}`
    : maxMemoryBytes !== undefined && !(Number.isInteger(maxMemoryBytes) && maxMemoryBytes > 0) ? `bad --max-memory ${v['max-memory']}`
    : !Number.isInteger(threads) || threads < 1 ? `bad --threads ${v.threads}`
      : prefetch !== undefined && (!Number.isInteger(prefetch) || prefetch < 1) ? `bad --prefetch ${v.prefetch}` : undefined;
  if (bad || !v.nats || !isLogLevel(level)) {
    process.stderr.write(`${bad}\n${USAGE}\n`);
    return 2;
  }
  // Testing aids, only through the environment: never on a command line by accident.
  const delay = process.env['TESSERA_WORKER_TEST_DELAY_MS'];
  const lose = process.env['TESSERA_WORKER_TEST_LOSE_RESULTS'];
  const worker = new TileWorker({
    servers: v.nats.split(','), user: v.user, pass: v.pass, threads, prefetch, name: v.name, logLevel: level,
    testDelayMs: delay ? Number(delay) : undefined,
    testLoseResults: lose ? Number(lose) : undefined,
    maxMessageBytes, maxMemoryBytes,
  });
  let stopping: Promise<void> | undefined;
  const stop = (): void => { stopping ??= worker.stop(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    await worker.start();
  } catch (e) {
    process.stderr.write(`tessera-worker: ${(e as Error).message}\n`);
    await worker.stop().catch(() => {});
    return 1;
  }
  await worker.closed();
  if (stopping) {
    await stopping;
    return 0;
  }
  process.stderr.write('tessera-worker: connection to NATS closed\n');
  await worker.stop().catch(() => {});
  return 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`tessera-worker: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
