import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
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
