import type { ClusterNames } from './names.js';

/**
 * The two roles of a cluster and what each may do on NATS. A coordinator
 * (ClusterExecutor) owns the queue: it creates the task stream, its consumer
 * and the object store bucket, publishes tasks, reads results. A worker
 * (tessera-worker) pulls from the shared consumer, acks, reads models, writes
 * oversized outputs and publishes results — nothing else: it cannot publish a
 * task, read another run's results or anyone's inbox but its own, so a stolen
 * worker credential can at most publish wrong results (which `verify: k`
 * catches), not steer or read the cluster.
 */
export type ClusterRole = 'coordinator' | 'worker';

/**
 * Each role's replies arrive under its own inbox prefix, so the server can
 * keep one role out of the other's inboxes (the default `_INBOX.` is shared).
 */
export const INBOX_PREFIX: Readonly<Record<ClusterRole, string>> = Object.freeze({
  coordinator: '_INBOX_tessera_coordinator',
  worker: '_INBOX_tessera_worker',
});

/** A nats-server user's permissions (the `permissions` block of its config). */
export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  /** Lets a user answer requests it received (a worker's presence reply) without publishing to any inbox at will. */
  allow_responses?: boolean;
}

/** The subjects `role` needs under `names`, and no more. */
export function rolePermissions(role: ClusterRole, names: ClusterNames): NatsPermissions {
  const objStream = `OBJ_${names.bucket}`;
  if (role === 'coordinator') {
    return {
      publish: {
        allow: [
          `${names.tasks}.>`, names.presence,
          // The coordinator administers its queue and bucket: JetStream's API, object chunks and metadata, flow control.
          '$JS.API.>', `$O.${names.bucket}.>`, `$JS.FC.${objStream}.>`,
        ],
      },
      subscribe: { allow: [`${names.results}.>`, `${INBOX_PREFIX.coordinator}.>`] },
    };
  }
  const api = '$JS.API';
  return {
    publish: {
      allow: [
        `${names.results}.>`,
        // JetStream's account info (the client asks once), then the shared task consumer: bind to it, pull, ack / nak / working().
        `${api}.INFO`,
        `${api}.CONSUMER.INFO.${names.stream}.${names.consumer}`,
        `${api}.CONSUMER.MSG.NEXT.${names.stream}.${names.consumer}`,
        `$JS.ACK.${names.stream}.${names.consumer}.>`,
        // The object store: read models, write an output too big for a message.
        `${api}.STREAM.INFO.${objStream}`, `${api}.STREAM.MSG.GET.${objStream}`, `${api}.DIRECT.GET.${objStream}.>`,
        `${api}.CONSUMER.CREATE.${objStream}`, `${api}.CONSUMER.CREATE.${objStream}.>`, `${api}.CONSUMER.DELETE.${objStream}.>`,
        `${api}.CONSUMER.MSG.NEXT.${objStream}.>`, `${api}.STREAM.PURGE.${objStream}`,
        `$O.${names.bucket}.C.>`, `$O.${names.bucket}.M.>`, `$JS.FC.${objStream}.>`,
      ],
    },
    subscribe: { allow: [names.presence, `${INBOX_PREFIX.worker}.>`] },
    allow_responses: true,
  };
}

/** One user of a nats-server `authorization { users = [...] }` block; no permissions: every subject. */
export interface NatsUser {
  user: string;
  password: string;
  permissions?: NatsPermissions;
}

/**
 * The `authorization` block of a nats-server config for `users` (JSON is
 * valid nats-server config syntax). startNatsServer writes it; a production
 * server gets the same block (see docs/cluster-security.md).
 */
export function authorizationConfig(users: readonly NatsUser[]): string {
  const lines = users.map((u) => JSON.stringify(u, null, 2).replace(/^/gm, '    '));
  return `authorization {\n  users = [\n${lines.join(',\n')}\n  ]\n}`;
}
