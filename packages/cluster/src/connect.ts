import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { TesseraError } from '@tessera/tensor';
import { INBOX_PREFIX, type ClusterRole } from './roles.js';

export interface NatsCredentials {
  /** Server URL(s), e.g. nats://127.0.0.1:4222. */
  servers: string | string[];
  /** Default: $TESSERA_NATS_USER. */
  user?: string;
  /** Default: $TESSERA_NATS_PASS. */
  pass?: string;
}

/**
 * Connects with user + password and keeps reconnecting forever after a
 * drop (callers bound how long they wait for it). A refused or unreachable
 * first connection is UNAVAILABLE naming the server and NATS' reason
 * ("Authorization Violation" for missing or wrong credentials). Replies
 * come under the role's own inbox prefix (roles.ts).
 */
export async function connectNats(c: NatsCredentials, name: string, role: ClusterRole): Promise<NatsConnection> {
  const user = c.user ?? process.env['TESSERA_NATS_USER'];
  const pass = c.pass ?? process.env['TESSERA_NATS_PASS'];
  try {
    return await connect({
      servers: c.servers, user, pass, name, inboxPrefix: INBOX_PREFIX[role],
      // Pings every 2 s, 2 unanswered → stale: a frozen server's socket is given up in seconds, not the default minutes.
      maxReconnectAttempts: -1, reconnectTimeWait: 250, reconnectJitter: 100, pingInterval: 2000, maxPingOut: 2, timeout: 5000,
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new TesseraError('UNAVAILABLE', `cannot connect to NATS at ${String(c.servers)}${user ? ` as '${user}'` : ' without credentials'}: ${why}`, {}, { cause: e });
  }
}
