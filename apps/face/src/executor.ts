import { LocalExecutor, type Executor } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { GpuExecutor, type GpuMode } from '@tessera/gpu';
import { ClusterExecutor } from '@tessera/cluster';
import { availableParallelism } from 'node:os';
import { TesseraError, checkEngineOptions, checkInt, type EngineOptions } from '@tessera/tensor';

export type Backend = 'local' | 'threads' | 'gpu' | 'cluster';
export const BACKENDS: readonly Backend[] = ['local', 'threads', 'gpu', 'cluster'];
export const GPU_MODES: readonly GpuMode[] = ['auto', 'gl', 'webasm', 'cpu'];

export interface ExecutorOptions {
  backend?: Backend;
  /** Worker threads for `threads` (default: all cores). */
  threads?: number;
  /** gpu.js backend for `gpu` (default auto: GL, else WebAssembly, else JS, saying why). */
  gpuMode?: GpuMode;
  /** NATS server URL(s) for `cluster`; credentials from $TESSERA_NATS_USER / $TESSERA_NATS_PASS unless given. */
  nats?: string;
  natsUser?: string;
  natsPass?: string;
  /**
   * The kernel engine of `local` and `threads` (and of their photo workers), e.g. `{ kind: 'wasm' }` or
   * `{ mode: 'fma' }` (@tessera/tensor EngineOptions; default: native exact when the addon loads, else wasm);
   * on `cluster` only `mode` applies (the workers' engines are their own). `gpu` has no kernel engine.
   */
  engine?: EngineOptions;
}

export interface ChosenExecutor {
  /**
   * The executor, made on the first call (the same one after): a threads
   * pool is only started when a net runs on it, which many photo files on
   * photo workers never need.
   */
  readonly executor: () => Executor;
  /** Closes the executor if it was made. */
  readonly close: () => Promise<void>;
  /** What really runs, e.g. "gpu (gl)", "threads ×4", "cluster nats://127.0.0.1:4222". */
  readonly description: string;
  /** Why `gpu` in auto mode did not get GL, when it did not. */
  readonly note?: string;
  /**
   * Photos in flight at once when they go through the executor: on a cluster
   * each net run goes whole to one of its workers, so photos overlap across
   * them while this thread decodes and prepares the next (1: one photo after
   * another). Many photos on threads go to photo workers instead.
   */
  readonly concurrency: number;
  /** Worker threads that take whole photo files when there are several (0: none; see PhotoPool). */
  readonly photoWorkers: number;
}

/** Photos in flight on a cluster: enough to keep a few workers busy; the queue spreads them. */
const CLUSTER_PHOTOS_IN_FLIGHT = 4;

/** The executor behind a `--backend`; all give the same faces (gpu within f32 rounding). */
export function createExecutor(o: ExecutorOptions): ChosenExecutor {
  const engine = checkEngineOptions('face pipeline engine', o.engine);
  switch (o.backend ?? 'local') {
    case 'local':
      return { ...lazy(() => new LocalExecutor({ engine })), description: 'local (1 thread)', concurrency: 1, photoWorkers: 0 };
    case 'threads': {
      const threads = checkInt('threads', o.threads ?? availableParallelism(), 1);
      return { ...lazy(() => new PoolExecutor({ threads, engine })), description: `threads ×${threads}`, concurrency: 1, photoWorkers: threads > 1 ? threads : 0 };
    }
    case 'gpu': {
      if (engine) throw new TesseraError('BAD_ARGUMENT', 'the gpu backend runs gpu.js kernels: a kernel engine option applies to local, threads and cluster only', { engine });
      const gpu = new GpuExecutor({ mode: o.gpuMode ?? 'auto' });
      return { ...made(gpu), description: `gpu (${gpu.backend})`, note: gpu.fallbackReason, concurrency: 1, photoWorkers: 0 };
    }
    case 'cluster': {
      if (!o.nats) throw new TesseraError('BAD_ARGUMENT', '--backend cluster needs --nats URL (e.g. nats://127.0.0.1:4222)');
      const servers = o.nats.split(',');
      if (engine && (engine.kind !== undefined || engine.isa !== undefined)) {
        throw new TesseraError('BAD_ARGUMENT', 'on the cluster backend each worker runs its own kernel engine: only engine.mode applies', { engine });
      }
      const cluster = new ClusterExecutor({ servers, user: o.natsUser, pass: o.natsPass, name: 'tessera-face', ...(engine?.mode ? { engine: { mode: engine.mode } } : {}) });
      return {
        ...made(cluster),
        description: `cluster ${servers.join(',')}`,
        concurrency: CLUSTER_PHOTOS_IN_FLIGHT,
        photoWorkers: 0,
      };
    }
  }
}

/** `make` on first use; close only what was made. */
function lazy(make: () => Executor): Pick<ChosenExecutor, 'executor' | 'close'> {
  let ex: Executor | undefined;
  return { executor: () => (ex ??= make()), close: async () => { await ex?.close(); } };
}

/** One made already (gpu and cluster say at once what they run on): always closed. */
function made(ex: Executor): Pick<ChosenExecutor, 'executor' | 'close'> {
  return { executor: () => ex, close: () => ex.close() };
}
