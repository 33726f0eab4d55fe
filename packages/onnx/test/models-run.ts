import { expect } from 'chai';
import { LocalExecutor, type Model } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { randomTensor, type Shape, type Tensor } from '@tessera/tensor';
import type { ClusterExecutor } from '@tessera/cluster';
import { TestCluster } from '../../cluster/test/helpers.js';
import { importOnnx, type OnnxImport } from '../src/index.js';
import { runOrt } from './ort-check.js';

/*
 * Whole models on every executor: LocalExecutor is the oracle for bits, and
 * onnxruntime-node for values. One set of executors (pools of 1, 2 and 3
 * threads, a nats-server with two worker processes) serves a whole test file.
 */

/** Largest |ours − ORT| allowed, relative to the largest |ORT| output. */
export const ORT_TOLERANCE = 1e-4;

interface Runner { readonly name: string; run(model: Model, x: Tensor): Promise<Tensor> }

export class AllExecutors {
  readonly local = new LocalExecutor();
  private readonly pools = [1, 2, 3].map((threads) => ({ threads, pool: new PoolExecutor({ threads }) }));
  private readonly cluster = new TestCluster();
  private clusterEx: ClusterExecutor | undefined;

  /** Starts the nats-server and two `tessera-worker` processes (one thread each). */
  async start(): Promise<void> {
    await this.cluster.start();
    const ex = this.cluster.executor({ tiles: 4 });
    await ex.connect();
    this.clusterEx = ex;
    await this.cluster.worker();
    await this.cluster.worker();
  }

  /** Every executor but the local oracle, in the order they are checked. */
  runners(): Runner[] {
    const rs: Runner[] = this.pools.map(({ threads, pool }) => ({ name: `PoolExecutor ${threads} thread${threads > 1 ? 's' : ''}`, run: (m, x) => pool.run(m, x) }));
    if (this.clusterEx) { const c = this.clusterEx; rs.push({ name: 'ClusterExecutor (2 workers)', run: (m, x) => c.run(m, x) }); }
    return rs;
  }

  /** Closes the pools and stops the cluster (asserting no process is left). */
  async stop(): Promise<void> {
    await Promise.all(this.pools.map(({ pool }) => pool.close()));
    await this.cluster.stop();
  }
}

const bits = (t: Tensor): Buffer => { const a = t.toFloat32Array(); return Buffer.from(a.buffer, a.byteOffset, a.byteLength); };

/** Max |a − b| over max |b|, and where; NaN anywhere is a failure. */
export function relError(got: ArrayLike<number>, ref: ArrayLike<number>): { rel: number; at: number; maxRef: number } {
  let maxRef = 0, maxErr = 0, at = -1;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]!));
  for (let i = 0; i < got.length; i++) {
    const e = Math.abs(got[i]! - ref[i]!);
    if (!(e <= maxErr)) { maxErr = e; at = i; }
    if (Number.isNaN(e)) { maxErr = NaN; at = i; break; }
  }
  return { rel: maxErr / Math.max(maxRef, 1e-30), at, maxRef };
}

/**
 * Imports `bytes` for `inputShape`, runs `input` (default: random values in
 * [lo, hi]) through onnxruntime-node and LocalExecutor (within
 * ORT_TOLERANCE of ORT, same element count and ONNX output shape), then
 * through every other executor: each must equal LocalExecutor bit for bit.
 */
export async function checkEveryExecutor(
  bytes: Uint8Array, inputShape: Shape, execs: AllExecutors, what: string, opts: { seed?: number; lo?: number; hi?: number; input?: Tensor } = {},
): Promise<{ imp: OnnxImport; ours: Tensor; rel: number; maxRef: number }> {
  const imp = importOnnx(bytes, { inputShape });
  const x = opts.input ?? randomTensor(inputShape, opts.seed ?? 1, opts.lo ?? -1, opts.hi ?? 1);
  const ref = await runOrt(bytes, imp.inputName, x);
  const ours = await execs.local.run(imp.model, x);
  expect([...imp.outputShape], `${what}: ONNX output shape`).to.deep.equal(ref.dims);
  expect(ours.size, `${what}: element count`).to.equal(ref.data.length);
  const got = ours.toFloat32Array();
  const { rel, at, maxRef } = relError(got, ref.data);
  expect(rel, `${what}: LocalExecutor vs onnxruntime-node, max error ${rel} × max|ORT| (${maxRef}) at ${at} (ours ${got[at]}, ORT ${ref.data[at]})`).to.be.at.most(ORT_TOLERANCE);
  const want = bits(ours);
  for (const r of execs.runners()) {
    const y = await r.run(imp.model, x);
    expect([...y.shape], `${what}: ${r.name} shape`).to.deep.equal([...ours.shape]);
    if (!bits(y).equals(want)) {
      const a = y.toFloat32Array();
      const i = a.findIndex((v, k) => !Object.is(v, got[k]));
      expect.fail(`${what}: ${r.name} differs from LocalExecutor at element ${i}: ${a[i]} vs ${got[i]}`);
    }
  }
  return { imp, ours, rel, maxRef };
}
