import {
  AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type JetStreamManager, type MsgRequest, type NextMsgRequest,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { ClusterNames } from './names.js';

export interface QueueConfig {
  /** How long a worker may hold a task without ack or working() before it is redelivered. */
  readonly ackWaitMs: number;
  /** Deliveries of one task before the server gives up on it. */
  readonly maxDeliver: number;
  /** Largest message the stream accepts (the payload limit, enforced by the server too). */
  readonly maxMessageBytes: number;
}

/**
 * Creates the task stream and the workers' durable consumer, or brings an
 * existing consumer to `cfg` (the coordinator owns the delivery settings;
 * workers only bind to the consumer). Idempotent.
 *
 * - Work-queue retention: a task is removed once a worker acks it, so what is
 *   left under a run's subject is exactly the tasks not yet done.
 * - File storage: the queue survives a server restart (see ClusterExecutor).
 * - Explicit acks + ack_wait + max_deliver: a task held by a dead worker goes
 *   to another one after ack_wait; a live worker extends it with working().
 */
export async function ensureTaskQueue(jsm: JetStreamManager, names: ClusterNames, cfg: QueueConfig): Promise<void> {
  const stream = {
    name: names.stream,
    subjects: [`${names.tasks}.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_msg_size: cfg.maxMessageBytes,
    num_replicas: 1,
  };
  try {
    await jsm.streams.info(names.stream);
    await jsm.streams.update(names.stream, { subjects: stream.subjects, max_msg_size: stream.max_msg_size });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await jsm.streams.add(stream);
  }
  const consumer = {
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(cfg.ackWaitMs),
    max_deliver: cfg.maxDeliver,
    max_ack_pending: 10_000,
  };
  try {
    const info = await jsm.consumers.info(names.stream, names.consumer);
    if (info.config.ack_wait !== consumer.ack_wait || info.config.max_deliver !== consumer.max_deliver) {
      await jsm.consumers.update(names.stream, names.consumer, consumer);
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
    await jsm.consumers.add(names.stream, { ...consumer, durable_name: names.consumer, deliver_policy: DeliverPolicy.All });
  }
}

/** A JetStream "stream/consumer not found" answer (the API error codes 10059 / 10014). */
export function isNotFound(e: unknown): boolean {
  const err = e as { code?: number | string; api_error?: { err_code?: number }; message?: string };
  const code = err?.api_error?.err_code;
  return code === 10059 || code === 10014 || /not found/i.test(err?.message ?? '');
}

/** A run's share of the queue: its tasks still in the stream, and the shared consumer's held, waiting-worker and undelivered counts. */
export interface RunQueueState {
  left: number;
  held: number;
  waiting: number;
  undelivered: number;
}

export async function runQueueState(jsm: JetStreamManager, names: ClusterNames, subject: string): Promise<RunQueueState> {
  const si = await jsm.streams.info(names.stream, { subjects_filter: subject });
  const ci = await jsm.consumers.info(names.stream, names.consumer);
  return { left: si.state.subjects?.[subject] ?? 0, held: ci.num_ack_pending, waiting: ci.num_waiting, undelivered: ci.num_pending };
}

/**
 * Deletes every message left under `subject` from the task stream (a
 * worker's ack of one racing this is harmless).
 *
 * One by one, never purged by subject filter: nats-server (2.9) applies a
 * filtered purge to every consumer of the stream — the shared consumer's
 * delivery pointer and ack floor jump to the stream's last sequence — so the
 * other runs' tasks not yet delivered would be skipped for good (and their
 * held ones dropped from redelivery). Deleting a message leaves the
 * consumer's position alone; a held one also leaves its ack pending list.
 */
export async function deleteRunTasks(jsm: JetStreamManager, names: ClusterNames, subject: string): Promise<void> {
  for (let seq = 1; ;) {
    // STREAM.MSG.GET takes next_by_subj (nats-server ≥ 2.9); the client's MsgRequest type lists it only for direct gets.
    const next: NextMsgRequest = { next_by_subj: subject, seq };
    const m = await jsm.streams.getMessage(names.stream, next as unknown as MsgRequest);
    if (!m) return;
    await jsm.streams.deleteMessage(names.stream, m.seq, false).catch(() => false);
    seq = m.seq + 1;
  }
}
