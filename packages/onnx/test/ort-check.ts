import { expect } from 'chai';
import { LocalExecutor } from '@tessera/nn';
import { FAST_TOLERANCE, randomTensor, type Shape, type Tensor } from '@tessera/tensor';
import { importOnnx, type OnnxImport } from '../src/index.js';

/** onnxruntime-node on one thread, loaded once (its native library is large). */
let ort: Promise<typeof import('onnxruntime-node')> | undefined;

export async function runOrt(bytes: Uint8Array, inputName: string, x: Tensor): Promise<{ data: Float32Array; dims: number[] }> {
  ort ??= import('onnxruntime-node');
  const o = await ort;
  const session = await o.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 3 });
  try {
    const feed = { [inputName]: new o.Tensor('float32', Float32Array.from(x.toFloat32Array()), [...x.shape]) };
    const res = await session.run(feed);
    const t = res[session.outputNames[0]!]!;
    return { data: Float32Array.from(t.data as Float32Array), dims: t.dims.map(Number) };
  } finally {
    await session.release();
  }
}

const local = new LocalExecutor();

/**
 * Imports `bytes`, runs a random input through onnxruntime-node and
 * LocalExecutor, and expects agreement within FAST_TOLERANCE · max|ref|
 * and the ONNX output shape.
 */
export async function expectMatchesOrt(bytes: Uint8Array, inputShape: Shape, seed: number, what: string): Promise<{ imp: OnnxImport; x: Tensor; ours: Tensor }> {
  const imp = importOnnx(bytes, { inputShape });
  const x = randomTensor(inputShape, seed);
  const ref = await runOrt(bytes, imp.inputName, x);
  const ours = await local.run(imp.model, x);
  expect([...imp.outputShape], `${what}: ONNX output shape`).to.deep.equal(ref.dims);
  const got = ours.toFloat32Array();
  expect(got.length, `${what}: element count`).to.equal(ref.data.length);
  let maxRef = 0, maxErr = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]!));
    const e = Math.abs(got[i]! - ref.data[i]!);
    if (Number.isNaN(maxErr)) break;
    if (!(e <= maxErr)) { maxErr = e; at = i; }
  }
  expect(maxErr, `${what}: max error ${maxErr} at ${at} (ours ${got[at]}, ORT ${ref.data[at]}), max|ref| ${maxRef}`).to.be.at.most(FAST_TOLERANCE * Math.max(maxRef, 1e-30));
  return { imp, x, ours };
}
