import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TesseraError, isTesseraError, type ErrorCode } from '@tessera/tensor';
import type { BoundedQueue, Place } from './serve-queue.js';

/**
 * The HTTP side of `tessera-face serve`, on Node's own `http` (the API is six routes of JSON; a
 * framework would add a dependency and hide the two things that matter here: when the body is
 * read, and when a connection ends). It finds the route, takes a queue place for routes that run
 * the nets (before reading the body, so a full queue costs no memory), reads the body within the
 * upload limit, answers JSON, and stops gracefully.
 */

/** What a route gets: the parsed URL, its path parameters and the request body (read on demand, within the limit). */
export interface RouteRequest {
  readonly url: URL;
  readonly params: readonly string[];
  body(): Promise<Buffer>;
}

export interface Reply { status: number; body: unknown }

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Matched against the whole path; capture groups become `params` (URL-decoded). */
  readonly path: RegExp;
  /** Runs the nets: goes through the bounded queue (503 when full). */
  readonly queued: boolean;
  handle(req: RouteRequest): Promise<Reply>;
}

/** HTTP status of a failure, by error code: the client's fault (4xx) or the server's (5xx). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_ARGUMENT: 400, BAD_IMAGE: 400, SHAPE_MISMATCH: 400, RESOURCE_EXHAUSTED: 413, UNAVAILABLE: 503, TIMEOUT: 504,
};

/** A failure with the HTTP status to answer it with (404, 405, 413, 415, 503 ...). */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/** Bytes of an over-limit upload read and dropped so the client can read its 413; past this the connection is cut. */
const DRAIN_BYTES = 64 * 1024 * 1024;

export class FaceServer {
  private readonly server: Server;
  private stopping = false;
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly routes: readonly Route[], private readonly queue: BoundedQueue, private readonly maxUploadBytes: number) {
    this.server = createServer((req, res) => void this.handle(req, res));
    // A client that trickles its upload holds a queue place: give it two minutes, not Node's five.
    this.server.requestTimeout = 120_000;
  }

  get isStopping(): boolean { return this.stopping; }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        reject(new TesseraError('UNAVAILABLE', `cannot listen on ${host}:${port} (${e.code ?? e.message})`, { host, port }, { cause: e }));
      };
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /**
   * Stops accepting connections, answers requests arriving on open connections with 503, lets
   * every request already taken finish (its response written), then closes the connections.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    // Every response is written with Connection: close by now; a client that keeps its socket open anyway is cut.
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    let place: Place | undefined;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const { route, params } = this.find(req.method ?? 'GET', url.pathname);
      if (this.stopping) throw new HttpError(503, 'UNAVAILABLE', 'the server is shutting down');
      if (route.queued) {
        place = this.queue.admit();
        if (!place) {
          throw new HttpError(503, 'UNAVAILABLE', `busy: ${this.queue.capacity} requests are being served or waiting; retry later`,
            { 'retry-after': String(this.queue.retryAfterSeconds()) });
        }
      }
      let reply: Reply;
      if (place) {
        // The upload is read while the request waits, not while it holds one of the nets' slots (a slow
        // client must not stall the others); a client gone by its turn costs no net work.
        const body = await this.readBody(req);
        reply = await place.run(async () => {
          if (res.destroyed) throw new HttpError(499, 'ABORTED', 'the client went away before its turn');
          return route.handle({ url, params, body: async () => body });
        });
      } else {
        reply = await route.handle({ url, params, body: () => this.readBody(req) });
      }
      this.send(res, reply.status, reply.body);
    } catch (e) {
      const err = asHttpError(e);
      this.send(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
    } finally {
      place?.release();
      if (--this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private find(method: string, path: string): { route: Route; params: string[] } {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const m = route.path.exec(path);
      if (!m) continue;
      if (route.method === method) {
        try {
          return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) };
        } catch {
          throw new HttpError(400, 'BAD_ARGUMENT', `bad percent-encoding in the path '${path}'`);
        }
      }
      allowed.push(route.method);
    }
    if (allowed.length) throw new HttpError(405, 'BAD_ARGUMENT', `${method} ${path} is not served (use ${allowed.join(' or ')})`, { allow: allowed.join(', ') });
    throw new HttpError(404, 'NOT_FOUND', `no such path '${path}' (routes: POST /identify, POST /detect, POST /enroll?name=, GET /people, DELETE /people/NAME, GET /healthz)`);
  }

  /** The raw body, refused (413) past the upload limit, from its Content-Length at once or while it streams in. */
  private readBody(req: IncomingMessage): Promise<Buffer> {
    const limit = this.maxUploadBytes;
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('multipart/')) {
      return Promise.reject(new HttpError(415, 'BAD_ARGUMENT', `${type.split(';')[0]} is not read: send the image file's bytes as the body (curl --data-binary @photo.jpg)`));
    }
    const declared = Number(req.headers['content-length']);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      // Over the limit (declared, or met while reading): nothing more is kept, but the upload is read to its end
      // and dropped before the 413 goes out — a client still sending would otherwise fail on the closed socket
      // (EPIPE) before it reads its answer. Past DRAIN_BYTES more the connection is cut instead.
      let over = Number.isFinite(declared) && declared > limit ? tooLarge(`is ${declared} bytes`, limit) : undefined;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (!over && size > limit) over = tooLarge(`passed ${limit} bytes`, limit);
        if (!over) {
          chunks.push(c);
          return;
        }
        chunks.length = 0;
        if (size > limit + DRAIN_BYTES) {
          req.socket.destroy();
          reject(over);
        }
      });
      req.once('end', () => (over ? reject(over) : resolve(Buffer.concat(chunks, size))));
      req.once('error', (e) => reject(over ?? new HttpError(400, 'BAD_ARGUMENT', `the upload failed: ${e.message}`)));
      req.once('close', () => { if (!req.complete) reject(over ?? new HttpError(400, 'BAD_ARGUMENT', 'the client aborted the upload')); });
    });
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const bytes = Buffer.from(`${JSON.stringify(body, null, 2)}\n`);
    // While stopping, no connection is kept for another request.
    const close = this.stopping;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length, ...(close ? { connection: 'close' } : {}), ...headers });
    res.end(bytes);
  }
}

function tooLarge(what: string, limit: number): HttpError {
  return new HttpError(413, 'RESOURCE_EXHAUSTED', `the upload ${what}; the limit is ${limit} bytes (--max-upload-mb)`);
}

function asHttpError(e: unknown): HttpError {
  if (e instanceof HttpError) return e;
  if (isTesseraError(e)) return new HttpError(STATUS[e.code] ?? 500, e.code, e.message);
  return new HttpError(500, 'INTERNAL', e instanceof Error ? e.message : String(e));
}
