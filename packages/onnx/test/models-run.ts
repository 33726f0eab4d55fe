import { expect } from 'chai';
import { LocalExecutor, type Model } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { randomTensor, type Shape, type Tensor } from '@tessera/tensor';
import type { ClusterExecutor } from '@tessera/cluster';
import { TestCluster } from '../../cluster/test/helpers.js';
import { importOnnx, type OnnxImport } from '../src/index.js';

/*
 * Whole models on every executor: LocalExecutor is the oracle for bits, and
 * onnxruntime-node for values. One set of executors (pools of 1, 2 and 3
 * threads, a nats-server with two worker processes) serves a whole test file.
 */

/** Largest |ours − ORT| allowed, relative to the largest |ORT| output. */
export const ORT_TOLERANCE = 1e-4;

interface Runner { readonly name: string; runAll(model: Model, x: Tensor): Promise<Record<string, Tensor>> }

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
    const rs: Runner[] = this.pools.map(({ threads, pool }) => ({ name: `PoolExecutor ${threads} thread${threads > 1 ? 's' : ''}`, runAll: (m, x) => pool.runAll(m, x) }));
    if (this.clusterEx) { const c = this.clusterEx; rs.push({ name: 'ClusterExecutor (2 workers)', runAll: (m, x) => c.runAll(m, x) }); }
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

/** Every graph output from onnxruntime-node on one thread, by name. */
async function runOrtAll(bytes: Uint8Array, inputName: string, x: Tensor): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 3 });
  try {
    const res = await session.run({ [inputName]: new ort.Tensor('float32', Float32Array.from(x.toFloat32Array()), [...x.shape]) });
    return Object.fromEntries(session.outputNames.map((n) => [n, { data: Float32Array.from(res[n]!.data as Float32Array), dims: res[n]!.dims.map(Number) }]));
  } finally {
    await session.release();
  }
}

/**
 * Imports `bytes` for `inputShape`, runs `input` (default: random values in
 * [lo, hi]) through onnxruntime-node and LocalExecutor: every graph output
 * within ORT_TOLERANCE of ORT's (relative to its largest value), same
 * element count and ONNX shape. Then through every other executor (runAll):
 * each output must equal LocalExecutor's bit for bit. Returns the worst
 * relative error and the largest ORT value over the outputs.
 */
export async function checkEveryExecutor(
  bytes: Uint8Array, inputShape: Shape, execs: AllExecutors, what: string, opts: { seed?: number; lo?: number; hi?: number; input?: Tensor } = {},
): Promise<{ imp: OnnxImport; ours: Record<string, Tensor>; rel: number; maxRef: number }> {
  const imp = importOnnx(bytes, { inputShape });
  const x = opts.input ?? randomTensor(inputShape, opts.seed ?? 1, opts.lo ?? -1, opts.hi ?? 1);
  const ref = await runOrtAll(bytes, imp.inputName, x);
  const ours = await execs.local.runAll(imp.model, x);
  expect(imp.outputs.map((o) => o.name), `${what}: outputs`).to.deep.equal(Object.keys(ref));
  let worst = 0, largest = 0;
  for (const o of imp.outputs) {
    const r = ref[o.name]!, y = ours[o.name]!;
    const label = `${what} output '${o.name}'`;
    expect(o.permutation, `${label}: a permuted output is compared in Tessera's layout here`).to.equal(undefined);
    expect([...o.shape], `${label}: ONNX shape`).to.deep.equal(r.dims);
    expect(y.size, `${label}: element count`).to.equal(r.data.length);
    const got = y.toFloat32Array();
    const { rel, at, maxRef } = relError(got, r.data);
    expect(rel, `${label}: LocalExecutor vs onnxruntime-node, max error ${rel} × max|ORT| (${maxRef}) at ${at} (ours ${got[at]}, ORT ${r.data[at]})`).to.be.at.most(ORT_TOLERANCE);
    worst = Math.max(worst, rel);
    largest = Math.max(largest, maxRef);
  }
  for (const r of execs.runners()) {
    const ys = await r.runAll(imp.model, x);
    expect(Object.keys(ys).sort(), `${what}: ${r.name} outputs`).to.deep.equal(Object.keys(ours).sort());
    for (const [name, want] of Object.entries(ours)) {
      const y = ys[name]!;
      expect([...y.shape], `${what}: ${r.name} '${name}' shape`).to.deep.equal([...want.shape]);
      if (!bits(y).equals(bits(want))) {
        const a = y.toFloat32Array(), b = want.toFloat32Array();
        const i = a.findIndex((v, k) => !Object.is(v, b[k]));
        expect.fail(`${what}: ${r.name} output '${name}' differs from LocalExecutor at element ${i}: ${a[i]} vs ${b[i]}`);
      }
    }
  }
  return { imp, ours, rel: worst, maxRef: largest };
}
