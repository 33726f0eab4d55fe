import { TesseraError, checkEnum, checkInt, checkKeys, type NumericMode } from '@tessera/tensor';
import type { NatsCredentials } from './connect.js';
import type { ClusterNames } from './names.js';

/**
 * How an input is cut into tasks: `whole` — the whole input, every layer, one
 * task (no halo, one round trip; many inputs in flight spread over workers);
 * `tiles` — fused tiles (`tiles` of them per stage; one large input over
 * several workers); `auto` (default) — whole for a batch or a stream, and for
 * one input unless a tile would still be worth several protocol round trips
 * of compute (AUTO_TILE_MS).
 */
export type ClusterSplit = 'auto' | 'whole' | 'tiles';
export const SPLITS: readonly ClusterSplit[] = ['auto', 'whole', 'tiles'];

export interface ClusterExecutorOptions extends NatsCredentials {
  /** How many tiles the planner cuts for ("workers" of the plan; default 4). More tiles spread better, cost more halo. */
  tiles?: number;
  /** Whole inputs or fused tiles per task (default 'auto'; see ClusterSplit). */
  split?: ClusterSplit;
  /**
   * A run that gets no result while no worker holds or asks for a task fails with UNAVAILABLE after this (default 10 000 ms).
   * A run that starts while no worker is connected at all fails at once (the presence probe, see names.ts).
   */
  noWorkerTimeoutMs?: number;
  /**
   * JetStream ack_wait of the workers' consumer: a task held this long by a silent worker is redelivered
   * (default 3000 ms). Live workers call working() every third of it while they compute, so a long tile is
   * never redelivered; a worker killed with kill -9 loses its tasks to the others within this.
   */
  ackWaitMs?: number;
  /** JetStream max_deliver of the consumer (default 5). */
  maxDeliver?: number;
  /** A run (one input of a stream) fails with TIMEOUT after this (default 600 000 ms). */
  runTimeoutMs?: number;
  /**
   * While the server is unreachable (disconnected, or silent to the connection's heartbeat), a run waits this long
   * for it, then fails with UNAVAILABLE (default 3000 ms: a restart survives, a dead server is reported in seconds).
   */
  reconnectTimeoutMs?: number;
  /** How often a waiting run with no new result inspects the queue (default 1000 ms). */
  checkIntervalMs?: number;
  /** Times one task may be re-sent after its result was lost before the run fails with WORKER_LOST (default 3). */
  maxResends?: number;
  /**
   * Verified execution (default 1: off): each task goes to k distinct workers and a tile is accepted only
   * when k of them return bit-identical results (the region contract makes honest results identical). A
   * worker whose result differs is reported in stats.excludedWorkers and its results are dropped from then
   * on; a result for a copy never sent is dropped and counted (stats.unsolicited). Costs k× the compute.
   */
  verify?: number;
  /** Largest message sent (default: the server's max_payload); bigger task inputs go through the object store. */
  maxMessageBytes?: number;
  /** Stream, subjects, consumer and bucket names (defaults in names.ts). */
  names?: Partial<ClusterNames>;
  /** Client name shown by the server (default tessera-coordinator). */
  name?: string;
  /**
   * The numeric mode of every tile of a run (default 'exact'): tasks carry it, a worker whose engine runs
   * another mode refuses them, and a result from another mode fails the run — one run never mixes modes.
   * 'exact' is bit-identical on native and wasm workers alike, so those may mix.
   */
  engine?: { mode?: NumericMode };
}

export const DEFAULTS = {
  tiles: 4, noWorkerTimeoutMs: 10_000, ackWaitMs: 3000, maxDeliver: 5, runTimeoutMs: 600_000,
  reconnectTimeoutMs: 3000, checkIntervalMs: 1000, maxResends: 3, verify: 1,
};
/** verify above this would cost more than it protects. */
const MAX_VERIFY = 8;
export type Limits = typeof DEFAULTS;

/** Bytes kept free in a message for the header fields around the slices. */
const FRAMING_BYTES = 64 * 1024;

/** Every key of ClusterExecutorOptions: an unknown or misspelt one is BAD_ARGUMENT, never ignored (checkKeys). */
const OPTION_KEYS: readonly string[] = [
  'servers', 'user', 'pass', 'split', 'maxMessageBytes', 'names', 'name', 'engine', ...Object.keys(DEFAULTS),
];
const NAME_KEYS: readonly string[] = ['stream', 'tasks', 'results', 'consumer', 'bucket', 'presence'];

/** The numeric options with their defaults; BAD_ARGUMENT naming the first unknown key or bad value. */
export function resolveLimits(opts: ClusterExecutorOptions): Limits {
  checkKeys('ClusterExecutor options', opts, OPTION_KEYS);
  if (opts.names !== undefined) checkKeys('ClusterExecutor names', opts.names, NAME_KEYS);
  const o = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS) as (keyof Limits)[]) {
    if (opts[k] !== undefined) o[k] = checkInt(`ClusterExecutor ${k}`, opts[k], k === 'maxResends' ? 0 : 1);
  }
  if (o.verify > MAX_VERIFY) throw new TesseraError('BAD_ARGUMENT', `ClusterExecutor verify must be 1..${MAX_VERIFY}, got ${o.verify}`, { verify: o.verify });
  if (opts.split !== undefined && !SPLITS.includes(opts.split)) {
    throw new TesseraError('BAD_ARGUMENT', `ClusterExecutor split must be one of ${SPLITS.map((x) => `'${x}'`).join(', ')}, got ${JSON.stringify(opts.split)}`, { split: opts.split });
  }
  if (opts.maxMessageBytes !== undefined) checkInt('ClusterExecutor maxMessageBytes', opts.maxMessageBytes, 2 * FRAMING_BYTES);
  return o;
}

/** The run's numeric mode (ClusterExecutorOptions.engine), checked strictly. */
export function resolveEngineMode(opts: ClusterExecutorOptions): NumericMode {
  if (opts.engine === undefined) return 'exact';
  checkKeys('ClusterExecutor engine', opts.engine, ['mode']);
  return checkEnum('ClusterExecutor engine mode', opts.engine.mode, ['exact', 'fma'] as const) ?? 'exact';
}
