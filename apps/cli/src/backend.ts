import { availableParallelism } from 'node:os';
import { LocalExecutor, type Executor } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import type { GpuMode } from '@tessera/gpu';
import { usageError } from './args.js';

export type Backend = 'local' | 'threads' | 'gpu' | 'cluster';
export const BACKENDS: readonly Backend[] = ['local', 'threads', 'gpu', 'cluster'];
export const GPU_MODES: readonly GpuMode[] = ['auto', 'gl', 'webasm', 'cpu'];

export interface BackendOptions {
  readonly backend: Backend;
  /** Worker threads for `threads` (default: all cores). */
  readonly threads?: number;
  readonly gpuMode?: GpuMode;
  /** NATS server URL(s), comma-separated, for `cluster`; credentials from TESSERA_NATS_USER / TESSERA_NATS_PASS. */
  readonly nats?: string;
}

export interface OpenBackend {
  readonly executor: Executor;
  /** What really runs, e.g. "threads ×2", "gpu (webasm)". */
  readonly description: string;
  /** Why gpu auto did not get GL, when it did not. */
  readonly note?: string;
}

/** Checks the flags that belong to one backend only, before anything is loaded. */
export function checkBackendFlags(o: BackendOptions): void {
  if (o.backend === 'cluster' && !o.nats) throw usageError('--backend cluster needs --nats URL (e.g. nats://127.0.0.1:4222)');
  if (o.nats !== undefined && o.backend !== 'cluster') throw usageError(`--nats is for --backend cluster, not '${o.backend}'`);
  if (o.threads !== undefined && o.backend !== 'threads') throw usageError(`--threads is for --backend threads, not '${o.backend}'`);
  if (o.gpuMode !== undefined && o.backend !== 'gpu') throw usageError(`--gpu-mode is for --backend gpu, not '${o.backend}'`);
}

/**
 * The executor behind --backend: all give LocalExecutor's bits except gpu
 * (within f32 rounding). Close it. gpu.js and the NATS client are imported
 * only for their backend.
 */
export async function openBackend(o: BackendOptions): Promise<OpenBackend> {
  switch (o.backend) {
    case 'local':
      return { executor: new LocalExecutor(), description: 'local (1 thread)' };
    case 'threads': {
      const threads = o.threads ?? availableParallelism();
      return { executor: new PoolExecutor({ threads }), description: `threads ×${threads}` };
    }
    case 'gpu': {
      const { GpuExecutor } = await import('@tessera/gpu');
      const gpu = new GpuExecutor({ mode: o.gpuMode ?? 'auto' });
      return { executor: gpu, description: `gpu (${gpu.backend})`, ...(gpu.fallbackReason ? { note: gpu.fallbackReason } : {}) };
    }
    case 'cluster': {
      const { ClusterExecutor } = await import('@tessera/cluster');
      const servers = (o.nats ?? '').split(',');
      return { executor: new ClusterExecutor({ servers, name: 'tessera-cli' }), description: `cluster ${servers.join(',')}` };
    }
  }
}
