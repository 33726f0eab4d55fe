/**
 * Worker side of FaceApiRuntime: loads face-api's node-wasm bundle on one
 * tfjs backend with its three nets and answers analyze / describe1 requests.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { FaceApiRequest, FaceApiWorkerData, FaceOut } from './face-api.js';

const { backend, images, crop150 } = workerData as FaceApiWorkerData;
const require = createRequire(import.meta.url);
const warn = console.warn; // tfjs-core suggests tfjs-node on its first op: we compare with cpu/wasm on purpose
console.warn = (...a: unknown[]) => { if (!String(a[0]).includes('tfjs-node')) warn(...a); };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const faceapi: any = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const tf = faceapi.tf;
if (backend === 'wasm') tf.setWasmPaths(`${pathToFileURL(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')).href}/`);
if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
await tf.ready();
const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
const opts = {
  tiny: new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }),
  ssd: new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 }),
};
const simd = backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : undefined;

async function handle(req: FaceApiRequest): Promise<unknown> {
  if (req.cmd === 'describe1') {
    const t0 = performance.now();
    const x = tf.tensor3d(crop150, [150, 150, 3], 'int32');
    const descriptor: Float32Array = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(x);
    const ms = performance.now() - t0;
    x.dispose();
    return { ms, descriptor };
  }
  if (req.cmd !== 'analyze') return null;
  const img = images[req.image]!;
  const raw = tf.tensor3d(img.rgb, [img.height, img.width, 3], 'int32');
  const t0 = performance.now();
  const dets = await faceapi.detectAllFaces(raw, opts[req.detector]);
  const t1 = performance.now();
  // The same tasks detectAllFaces(...).withFaceLandmarks().withFaceDescriptors() chains, timed one by one.
  const withLandmarks = await new faceapi.DetectAllFaceLandmarksTask(Promise.resolve(dets.map((d: unknown) => faceapi.extendWithFaceDetection({}, d))), raw, false);
  const t2 = performance.now();
  const results = await new faceapi.ComputeAllFaceDescriptorsTask(Promise.resolve(withLandmarks), raw);
  const t3 = performance.now();
  raw.dispose();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const faces: FaceOut[] = results.map((r: any) => ({
    box: { x: r.detection.box.x, y: r.detection.box.y, width: r.detection.box.width, height: r.detection.box.height },
    landmarks: r.landmarks.positions.flatMap((p: { x: number; y: number }) => [p.x, p.y]),
    descriptor: r.descriptor,
  }));
  return { times: { detect: t1 - t0, landmarks: t2 - t1, describe: t3 - t2 }, faces };
}

parentPort!.on('message', (req: FaceApiRequest) => {
  if (req.cmd === 'close') process.exit(0);
  handle(req).then((res) => parentPort!.postMessage({ ok: res }), (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.stack : String(e) }));
});
parentPort!.postMessage({ ready: { backend: tf.getBackend(), simd, tfjs: tf.version.tfjs ?? tf.version_core } });
