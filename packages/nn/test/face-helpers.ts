// Shared by the face fidelity tests: face-api on @tensorflow/tfjs (cpu backend), sharp-decoded photos, model traces.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { Tensor, runOp } from '@tessera/tensor';
import { INPUT, type Model } from '../src/index.js';

const require = createRequire(import.meta.url);

/** face-api's CommonJS Node build; its `tf` is plain @tensorflow/tfjs, set to the cpu backend. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FaceApi = any;
let faceapiP: Promise<FaceApi> | undefined;
export function loadFaceApi(): Promise<FaceApi> {
  faceapiP ??= (async () => {
    const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
    const warn = console.warn; // the cpu backend warns "install tfjs-node" on its first tensor
    console.warn = () => {};
    try {
      await faceapi.tf.setBackend('cpu');
      await faceapi.tf.ready();
      faceapi.tf.tensor([0]).dispose();
    } finally {
      console.warn = warn;
    }
    return faceapi;
  })();
  return faceapiP;
}

export const faceApiRoot = dirname(require.resolve('@vladmandic/face-api/package.json'));
export const modelDir = join(faceApiRoot, 'model');

export interface RgbImage { data: Uint8Array; width: number; height: number }

/** One decoder for both sides: sharp → RGB HWC uint8. */
export async function decodeSample(i: number): Promise<RgbImage> {
  const { data, info } = await sharp(join(faceApiRoot, 'demo', `sample${i}.jpg`)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export function crop(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) out.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + w) * 3), r * w * 3);
  return { data: out, width: w, height: h };
}

/** Every layer's output by layer name (runs the fast kernels, keeps all values). */
export function traceModel(model: Model, input: Tensor): Map<string, Tensor> {
  const values: Tensor[] = [];
  const shapes = model.shapes(input.shape);
  const byName = new Map<string, Tensor>();
  for (const l of model.layers) {
    const out = Tensor.zeros(shapes[l.index]!);
    runOp(l.spec, l.inputs.map((s) => (s === INPUT ? input : values[s]!)), l.weights, out, undefined, 'fast');
    values[l.index] = out;
    byName.set(l.name, out);
  }
  return byName;
}

/** NHWC tf data → NCHW Float32Array. */
export function nhwcToNchw(data: ArrayLike<number>, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
    out[((b * c + k) * h + y) * w + x] = data[((b * h + y) * w + x) * c + k]!;
  }
  return out;
}

/** NCHW tensor → tf NHWC float32 tensor. */
export function toTf(faceapi: FaceApi, t: Tensor) {
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const src = t.toFloat32Array();
  const out = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[((b * h + y) * w + x) * c + k] = src[((b * c + k) * h + y) * w + x]!;
  }
  return faceapi.tf.tensor4d(out, [n, h, w, c], 'float32');
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Max abs diff between our NCHW feature map and a tf NHWC tensor. */
export function diffTf(ours: Tensor, theirs: { shape: number[]; dataSync(): ArrayLike<number> }): number {
  const [n, h, w, c] = theirs.shape as [number, number, number, number];
  if (ours.shape.join() !== [n, c, h, w].join()) return Infinity;
  return maxAbsDiff(ours.toFloat32Array(), nhwcToNchw(theirs.dataSync(), n, h, w, c));
}
