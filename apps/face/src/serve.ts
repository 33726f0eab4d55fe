import type { Io } from './cli.js';
import { FacePipeline, type PipelineOptions } from './pipeline.js';
import { BoundedQueue } from './serve-queue.js';
import { faceRoutes } from './serve-routes.js';
import { FaceServer } from './serve-server.js';

export interface ServeOptions {
  port: number;
  /** Address to bind: 127.0.0.1 unless asked, so the service is not on the network by accident. */
  host: string;
  maxUploadBytes: number;
  /** Requests that may wait for the nets beyond those running. */
  queue: number;
}

/**
 * `tessera-face serve`: loads the nets, listens, prints where, and runs until SIGTERM or SIGINT;
 * then stops accepting, lets every request taken finish, closes the pipeline (worker threads, GPU,
 * NATS) and returns 0. A second signal while stopping exits at once with 1.
 */
export async function serve(pipeOpts: PipelineOptions, o: ServeOptions & { db: string; tolerance: number }, io: Io): Promise<number> {
  const pipe = await FacePipeline.create(pipeOpts);
  try {
    if (pipe.backendNote) io.err(`note: ${pipe.backendNote}`);
    // Nets loaded and kernels warmed before the first request (a blank picture: the detector finds nothing).
    await pipe.analyze({ path: 'warm-up', width: 64, height: 64, rgb: new Uint8Array(64 * 64 * 3).fill(128) });
    const queue = new BoundedQueue(pipe.concurrency, o.queue);
    const routes = faceRoutes({
      pipe, db: o.db, tolerance: o.tolerance,
      queueState: () => ({ running: queue.runningNow, held: queue.size, capacity: queue.capacity }),
    });
    const server = new FaceServer(routes, queue, o.maxUploadBytes);
    const addr = await server.listen(o.port, o.host);
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const stop = new Promise<string>((resolve) => {
      const on = (sig: string): void => {
        process.off('SIGTERM', onTerm).off('SIGINT', onInt);
        process.once('SIGTERM', () => process.exit(1)).once('SIGINT', () => process.exit(1));
        resolve(sig);
      };
      const onTerm = (): void => on('SIGTERM'), onInt = (): void => on('SIGINT');
      process.on('SIGTERM', onTerm).on('SIGINT', onInt);
    });
    io.out(`listening on http://${host}:${addr.port} (backend ${pipe.backend}, ${pipe.concurrency} running + ${o.queue} waiting, uploads up to ${o.maxUploadBytes} bytes, gallery ${o.db})`);
    const sig = await stop;
    io.err(`${sig}: stopping (finishing ${queue.size} request(s))`);
    await server.stop();
    io.err('stopped');
    return 0;
  } finally {
    await pipe.close();
  }
}
