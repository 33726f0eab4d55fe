import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TesseraError, isTesseraError } from '@tessera/tensor';
import { annotate } from './annotate.js';
import { writeChips } from './chips.js';
import { Gallery, defaultGalleryPath, euclidean } from './gallery.js';
import type { RgbImage } from './image.js';
import { BACKENDS, GPU_MODES, type Backend } from './executor.js';
import { largestFace as largest } from './largest-face.js';
import { imagesOf, labelledFolder, uniqueStems, type Skipped } from './folders.js';
import { detectCsv, identifyCsv } from './output-csv.js';
import { detectedFaceJson, engineNow, identifiedFaceJson, imageJson, round, type DetectedFaceJson, type ImageJson } from './output-json.js';
import { FacePipeline, isBackendGone, type Face, type PipelineOptions, type StageTimes } from './pipeline.js';
import type { GpuMode } from '@tessera/gpu';
import { Progress } from './progress.js';
import { pairStats, pairStatsLines } from './pair-stats.js';
import { DEFAULT_TOLERANCE } from './tolerance.js';
import { DETECTOR_FLAGS, DETECTOR_USAGE, detectorFlags, type DetectorChoice } from './detector-flags.js';
import { serve, type ServeOptions } from './serve.js';

export const USAGE = `tessera-face — face recognition on Tessera's own kernels

usage:
  tessera-face enroll --name NAME IMAGE...   enroll the face in each image as NAME
  tessera-face enroll DIR                    each file (or sub-folder) name in DIR is the person
  tessera-face identify IMAGE|DIR...         every face: box, name or 'unknown', distance (a DIR: its images, sub-folders too)
  tessera-face detect IMAGE|DIR...           every face: box, score and 68 landmarks, no recognition
  tessera-face verify A B                    same person or not, and the distance
  tessera-face eval DIR                      all same/different pairs of a labelled folder: accuracy, best threshold, ROC
  tessera-face list                          enrolled people
  tessera-face forget NAME                   remove a person
  tessera-face serve [--port P] [--host H]   HTTP server: POST /identify /detect /enroll?name=, GET /people,
                                             DELETE /people/NAME, GET /healthz (image bytes as the request body)

options:
  --db PATH            gallery database (default ${defaultGalleryPath()})
  --backend B          local | threads | gpu | cluster (default local)
  --threads N          worker threads for --backend threads (default: all cores)
  --gpu-mode M         gpu.js backend for --backend gpu: auto | gl | webasm | cpu (default auto;
                       gl fails with UNAVAILABLE where no GL context can be made, auto falls back and says so)
  --nats URL           NATS server(s) of the tessera-worker cluster for --backend cluster;
                       credentials from TESSERA_NATS_USER / TESSERA_NATS_PASS
  --tolerance T        largest distance that still names a person (default ${DEFAULT_TOLERANCE}, measured with eval)
${DETECTOR_USAGE}
  --annotate OUT       write the picture with boxes, landmarks and names (a folder when several images)
  --crop DIR           identify/detect: write each face's aligned 150×150 chip (the descriptor's input)
                       as DIR/<image>-face<i>.png
  --json               machine-readable output on stdout (boxes clipped to the picture, the detector's
                       own box as rawBox, 68 landmarks)
  --csv                identify/detect: CSV on stdout, a header then one row per face
                       (identify: image,face,name,distance,x,y,width,height)
  --descriptors        with identify --json: each face's 128-D descriptor too
  --timings            per-stage times
  --port P             serve: TCP port (default 8080; 0 picks a free one, printed)
  --host H             serve: address to bind (default 127.0.0.1, this machine only)
  --max-upload-mb M    serve: largest request body (default 20); larger is 413
  --queue N            serve: requests that may wait for the nets (default 16); more is 503 + Retry-After
  -h, --help           this text

list and identify open the gallery read-only (a read-only file or folder is fine).
exit status: 0 ok; 1 something failed and was named on stderr (an image, a folder entry that cannot
be read, an annotated picture that cannot be written, a damaged gallery row); 2 bad usage`;

export interface Io {
  out(line: string): void;
  err(line: string): void;
  isTTY: boolean;
}

interface Opts {
  db: string;
  backend: Backend;
  threads?: number;
  gpuMode?: GpuMode;
  nats?: string;
  tolerance: number;
  /** --detector, --min-score, --input-size, checked. */
  analysis: DetectorChoice;
  annotate?: string;
  crop?: string;
  json: boolean;
  csv: boolean;
  descriptors: boolean;
  timings: boolean;
  name?: string;
  serve: ServeOptions;
  /** Set once the pipeline exists: the backend that really runs, for --json output. */
  backendUsed?: string;
}

/** Runs one command line; returns the process exit code (0 ok, 1 some input failed, 2 usage). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        db: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' }, 'gpu-mode': { type: 'string' }, nats: { type: 'string' }, tolerance: { type: 'string' },
        ...DETECTOR_FLAGS,
        annotate: { type: 'string' }, json: { type: 'boolean' }, descriptors: { type: 'boolean' }, timings: { type: 'boolean' }, name: { type: 'string' },
        crop: { type: 'string' }, csv: { type: 'boolean' },
        port: { type: 'string' }, host: { type: 'string' }, 'max-upload-mb': { type: 'string' }, queue: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    io.err(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, ...args] = positionals;
  if (v.help || !command) {
    io.out(USAGE);
    return v.help ? 0 : 2;
  }
  let opts: Opts;
  try {
    opts = {
      db: v.db ?? defaultGalleryPath(),
      backend: parseBackend(v.backend ?? 'local'),
      threads: v.threads === undefined ? undefined : positiveInt('--threads', v.threads),
      gpuMode: v['gpu-mode'] === undefined ? undefined : parseGpuMode(v['gpu-mode']),
      nats: v.nats,
      tolerance: v.tolerance === undefined ? DEFAULT_TOLERANCE : positiveNumber('--tolerance', v.tolerance),
      analysis: detectorFlags(v),
      annotate: v.annotate,
      crop: v.crop,
      json: v.json ?? false,
      csv: v.csv ?? false,
      descriptors: v.descriptors ?? false,
      timings: v.timings ?? false,
      name: v.name,
      serve: {
        port: v.port === undefined ? 8080 : intIn('--port', v.port, 0, 65535),
        host: v.host ?? '127.0.0.1',
        maxUploadBytes: Math.round((v['max-upload-mb'] === undefined ? 20 : positiveNumber('--max-upload-mb', v['max-upload-mb'])) * 1024 * 1024),
        queue: v.queue === undefined ? 16 : intIn('--queue', v.queue, 0, 1_000_000),
      },
    };
    if (opts.json && opts.csv) throw new TesseraError('BAD_ARGUMENT', '--json and --csv: choose one output format');
    for (const [flag, given, ok] of [
      ['--csv', v.csv, ['identify', 'detect']], ['--crop', v.crop, ['identify', 'detect']],
      ['--port', v.port, ['serve']], ['--host', v.host, ['serve']], ['--max-upload-mb', v['max-upload-mb'], ['serve']], ['--queue', v.queue, ['serve']],
    ] as const) {
      if (given !== undefined && !(ok as readonly string[]).includes(command)) throw new TesseraError('BAD_ARGUMENT', `${flag} is for ${ok.join(' and ')}, not '${command}'`);
    }
    if (opts.backend === 'cluster' && !opts.nats) throw new TesseraError('BAD_ARGUMENT', '--backend cluster needs --nats URL');
    if (opts.nats !== undefined && opts.backend !== 'cluster') throw new TesseraError('BAD_ARGUMENT', `--nats is for --backend cluster, not '${opts.backend}'`);
    if (opts.gpuMode !== undefined && opts.backend !== 'gpu') throw new TesseraError('BAD_ARGUMENT', `--gpu-mode is for --backend gpu, not '${opts.backend}'`);
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return 2;
  }
  const commands: Record<string, (args: string[], o: Opts, io: Io) => Promise<number>> = {
    enroll, identify, detect, verify, eval: evaluate, list, forget,
    serve: (a, o, i) => {
      if (a.length) throw new TesseraError('BAD_ARGUMENT', `serve takes no arguments, got ${a.join(' ')}`);
      return serve(pipelineOptions(o), { ...o.serve, db: o.db, tolerance: o.tolerance }, i);
    },
  };
  const run = commands[command];
  if (!run) {
    io.err(`error: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  }
  try {
    return await run(args, opts, io);
  } catch (e) {
    io.err(`error${isTesseraError(e) ? ` [${e.code}]` : ''}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

/** One image through the pipeline; a bad file becomes a reported failure, not an exception. */
interface ImageResult { path: string; faces: Face[]; error?: string; times?: StageTimes; width?: number; height?: number; img?: RgbImage }

/** The photos through the pipeline as a stream (FacePipeline.analyzeFiles), results in input order. */
async function analyzeAll(paths: readonly string[], pipe: FacePipeline, io: Io, o: Opts, describe = true): Promise<ImageResult[]> {
  const bar = new Progress(paths.length, io.isTTY && !o.json && paths.length > 1);
  const results = await pipe.analyzeFiles(paths, { keepImages: o.annotate !== undefined || o.crop !== undefined, describe, onDone: (p) => bar.tick(basename(p)) });
  bar.done();
  // The backend was gone before any photo got through (no cluster worker, say): one error for the run, not one per photo.
  if (results.length > 0 && results.every((r) => isBackendGone(r.error))) throw results[0]!.error!;
  return results.map((r) => r.error
    ? { path: r.path, faces: [], error: isTesseraError(r.error) ? `[${r.error.code}] ${r.error.message}` : String(r.error) }
    : { path: r.path, faces: r.faces, times: r.times, width: r.width, height: r.height, img: r.image });
}

/** The pipeline a command line asks for (every command that runs the nets, serve too). */
function pipelineOptions(o: Opts): PipelineOptions {
  return { backend: o.backend, threads: o.threads, gpuMode: o.gpuMode, nats: o.nats, ...o.analysis };
}

async function withPipeline<T>(o: Opts, io: Io, f: (p: FacePipeline) => Promise<T>): Promise<T> {
  const pipe = await FacePipeline.create(pipelineOptions(o));
  // Say what really runs (gpu auto may have fallen back) on stderr, so --json stdout stays one document.
  if (pipe.backendNote) io.err(`note: ${pipe.backendNote}`);
  if (o.backend !== 'local') io.err(`backend: ${pipe.backend}`);
  o.backendUsed = pipe.backend;
  try {
    return await f(pipe);
  } finally {
    await pipe.close();
  }
}

async function enroll(args: string[], o: Opts, io: Io): Promise<number> {
  let jobs: { name: string; paths: string[] }[];
  let unread: Skipped[] = [];
  if (o.name !== undefined) {
    if (args.length === 0) throw new TesseraError('BAD_ARGUMENT', 'enroll --name NAME needs at least one image');
    jobs = [{ name: o.name, paths: args }];
  } else {
    if (args.length !== 1) throw new TesseraError('BAD_ARGUMENT', 'enroll needs --name NAME IMAGE... or a single folder DIR');
    ({ jobs, skipped: unread } = labelledFolder(args[0]!));
    warnSkipped(unread, io);
  }
  return withPipeline(o, io, async (pipe) => {
    const gallery = Gallery.open(o.db);
    try {
      let failed = unread.length;
      const report: { name: string; enrolled: number; skipped: { path: string; reason: string }[] }[] = [];
      // Every person's photos in one stream (photos of different people overlap on the workers).
      const all = await analyzeAll(jobs.flatMap((j) => j.paths), pipe, io, o);
      let at = 0;
      for (const job of jobs) {
        const results = all.slice(at, (at += job.paths.length));
        const items: { descriptor: Float32Array; source: string }[] = [];
        const skipped: { path: string; reason: string }[] = [];
        for (const r of results) {
          if (r.error) { failed++; skipped.push({ path: r.path, reason: r.error }); continue; }
          if (r.faces.length === 0) { skipped.push({ path: r.path, reason: 'no face found' }); continue; }
          // The largest face is the one being enrolled.
          const face = largest(r.faces);
          items.push({ descriptor: face.descriptor, source: r.path });
        }
        if (items.length > 0) gallery.enroll(job.name, items);
        report.push({ name: job.name, enrolled: items.length, skipped });
      }
      if (o.json) io.out(JSON.stringify({ command: 'enroll', db: o.db, backend: o.backendUsed, engine: engineNow(), people: report, unreadable: unread }, null, 2));
      else {
        for (const r of report) {
          io.out(`${r.name}: ${r.enrolled} face(s) enrolled${r.skipped.length ? `, ${r.skipped.length} skipped` : ''}`);
          for (const s of r.skipped) io.err(`  skipped ${s.path}: ${s.reason}`);
        }
      }
      return failed > 0 ? 1 : 0;
    } finally {
      gallery.close();
    }
  });
}

/** Command-line paths → image files (folders walked recursively), with the entries the walk skipped warned about. */
function expandImages(args: readonly string[], io: Io): { paths: string[]; skipped: Skipped[] } {
  const walked = args.map(imagesOf);
  const skipped = walked.flatMap((w) => w.skipped);
  warnSkipped(skipped, io);
  return { paths: walked.flatMap((w) => w.files), skipped };
}

/**
 * --annotate and --crop for the analysed pictures; what could not be written, one line per picture,
 * reported after the results (which are never lost to them).
 */
async function writePictures(results: readonly ImageResult[], records: readonly ImageJson<DetectedFaceJson & { name?: string | null; distance?: number | null }>[], o: Opts): Promise<string[]> {
  const unwritten: string[] = [];
  const stems = uniqueStems(results.map((r) => r.path));
  if (o.crop !== undefined) {
    try {
      mkdirSync(o.crop, { recursive: true });
    } catch (e) {
      return [`cannot make the --crop folder ${o.crop} (${(e as NodeJS.ErrnoException).code ?? String(e)})`];
    }
  }
  for (let k = 0; k < results.length; k++) {
    const r = results[k]!, img = r.img;
    if (!img) continue;
    const why = (e: unknown): string => `${r.path}: ${isTesseraError(e) ? `[${e.code}] ` : ''}${e instanceof Error ? e.message : String(e)}`;
    if (o.annotate) {
      const target = results.length > 1 ? join(o.annotate, `${stems[k]}.png`) : o.annotate;
      try {
        await annotate(img, records[k]!.faces.map((f) => ({ box: f.box, landmarks: f.landmarks, name: f.name ?? null, distance: f.distance ?? undefined })), target);
      } catch (e) {
        unwritten.push(why(e));
      }
    }
    if (o.crop !== undefined) {
      try {
        await writeChips(img, r.faces.map((f) => ({ rawBox: f.box, landmarks: f.landmarks })), o.crop, stems[k]!);
      } catch (e) {
        unwritten.push(why(e));
      }
    }
  }
  return unwritten;
}

async function identify(args: string[], o: Opts, io: Io): Promise<number> {
  if (args.length === 0) throw new TesseraError('BAD_ARGUMENT', 'identify needs at least one image');
  const { paths, skipped } = expandImages(args, io);
  return withPipeline(o, io, async (pipe) => {
    const gallery = Gallery.open(o.db, { readonly: true });
    try {
      if (gallery.size === 0) io.err(`note: the gallery ${o.db} is empty: every face will be 'unknown' (enroll people first)`);
      if (gallery.damaged > 0) io.err(`warning: the gallery ${o.db} has ${gallery.damaged} damaged descriptor(s), skipped when matching ('tessera-face list' names them)`);
      const results = await analyzeAll(paths, pipe, io, o);
      const out = results.map((r) => imageJson(r.path, {
        ...r, faces: r.faces.map((f) => identifiedFaceJson(f, r.width!, r.height!, gallery.match(f.descriptor, o.tolerance), o.descriptors)),
      }, o.timings));
      const unwritten = await writePictures(results, out, o);
      if (o.json) io.out(JSON.stringify({ command: 'identify', db: o.db, backend: o.backendUsed, engine: engineNow(), tolerance: o.tolerance, images: out }, null, 2));
      else if (o.csv) {
        for (const line of identifyCsv(out)) io.out(line);
        for (const r of out) if (r.error) io.err(`${r.image}: ${r.error}`);
      } else {
        for (const r of out) {
          if (r.error) { io.err(`${r.image}: ${r.error}`); continue; }
          if (r.faces.length === 0) { io.out(`${r.image}: no face found`); continue; }
          io.out(`${r.image}: ${r.faces.length} face(s)`);
          io.out(`  ${'#'.padEnd(3)}${'box (x, y, w, h)'.padEnd(26)}${'name'.padEnd(18)}distance`);
          r.faces.forEach((f, i) => io.out(`  ${String(i).padEnd(3)}${fmtBox(f.box).padEnd(26)}${(f.name ?? 'unknown').padEnd(18)}${f.distance ?? '-'}`));
          if (o.timings && r.timings) io.out(`  timings: ${fmtTimes(r.timings)}`);
        }
      }
      for (const u of unwritten) io.err(u);
      return out.some((r) => r.error) || unwritten.length > 0 || skipped.length > 0 ? 1 : 0;
    } finally {
      gallery.close();
    }
  });
}

async function detect(args: string[], o: Opts, io: Io): Promise<number> {
  if (args.length === 0) throw new TesseraError('BAD_ARGUMENT', 'detect needs at least one image');
  const { paths, skipped } = expandImages(args, io);
  return withPipeline(o, io, async (pipe) => {
    // No recognition net: boxes, scores and landmarks only.
    const results = await analyzeAll(paths, pipe, io, o, false);
    const out = results.map((r) => imageJson(r.path, { ...r, faces: r.faces.map((f) => detectedFaceJson(f, r.width!, r.height!)) }, o.timings));
    const unwritten = await writePictures(results, out, o);
    if (o.json) io.out(JSON.stringify({ command: 'detect', backend: o.backendUsed, engine: engineNow(), images: out }, null, 2));
    else if (o.csv) {
      for (const line of detectCsv(out)) io.out(line);
      for (const r of out) if (r.error) io.err(`${r.image}: ${r.error}`);
    } else {
      for (const r of out) {
        if (r.error) { io.err(`${r.image}: ${r.error}`); continue; }
        if (r.faces.length === 0) { io.out(`${r.image}: no face found`); continue; }
        io.out(`${r.image}: ${r.faces.length} face(s)`);
        io.out(`  ${'#'.padEnd(3)}${'box (x, y, w, h)'.padEnd(26)}score`);
        r.faces.forEach((f, i) => {
          io.out(`  ${String(i).padEnd(3)}${fmtBox(f.box).padEnd(26)}${f.score}`);
          if (f.landmarks.length) io.out(`     landmarks: ${f.landmarks.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}`);
        });
        if (o.timings && r.timings) io.out(`  timings: ${fmtTimes(r.timings)}`);
      }
    }
    for (const u of unwritten) io.err(u);
    return out.some((r) => r.error) || unwritten.length > 0 || skipped.length > 0 ? 1 : 0;
  });
}

async function verify(args: string[], o: Opts, io: Io): Promise<number> {
  if (args.length !== 2) throw new TesseraError('BAD_ARGUMENT', 'verify needs exactly two images A B');
  return withPipeline(o, io, async (pipe) => {
    const results = await analyzeAll(args, pipe, io, o);
    for (const r of results) {
      if (r.error) throw new TesseraError('BAD_IMAGE', r.error);
      if (r.faces.length === 0) throw new TesseraError('BAD_IMAGE', `${r.path}: no face found`);
    }
    const [a, b] = results.map((r) => largest(r.faces).descriptor) as [Float32Array, Float32Array];
    const distance = euclidean(a, b);
    const same = distance <= o.tolerance;
    if (o.json) io.out(JSON.stringify({ command: 'verify', backend: o.backendUsed, engine: engineNow(), a: args[0], b: args[1], distance: round(distance, 4), tolerance: o.tolerance, same }, null, 2));
    else io.out(`${same ? 'same person' : 'different people'}: distance ${distance.toFixed(4)} (tolerance ${o.tolerance})`);
    return 0;
  });
}

async function evaluate(args: string[], o: Opts, io: Io): Promise<number> {
  if (args.length !== 1) throw new TesseraError('BAD_ARGUMENT', 'eval needs one labelled folder DIR');
  const { jobs, skipped: unread } = labelledFolder(args[0]!);
  warnSkipped(unread, io);
  return withPipeline(o, io, async (pipe) => {
    const samples: { name: string; path: string; d: Float32Array }[] = [];
    let images = 0, found = 0, failed = unread.length;
    // Every person's photos in one stream (photos of different people overlap on the workers).
    const all = await analyzeAll(jobs.flatMap((j) => j.paths), pipe, io, o);
    let at = 0;
    for (const job of jobs) {
      for (const r of all.slice(at, (at += job.paths.length))) {
        images++;
        if (r.error) { failed++; io.err(`${r.path}: ${r.error}`); continue; }
        if (r.faces.length === 0) continue;
        found++;
        samples.push({ name: job.name, path: r.path, d: largest(r.faces).descriptor });
      }
    }
    const pairs: { same: boolean; distance: number }[] = [];
    for (let i = 0; i < samples.length; i++) {
      for (let j = i + 1; j < samples.length; j++) pairs.push({ same: samples[i]!.name === samples[j]!.name, distance: euclidean(samples[i]!.d, samples[j]!.d) });
    }
    const result = pairStats(pairs, o.tolerance);
    const report = { command: 'eval', backend: o.backendUsed, engine: engineNow(), folder: args[0], images, facesFound: found, detectionRate: images ? found / images : 0, pairs: pairs.length, ...result, unreadable: unread };
    if (o.json) io.out(JSON.stringify(report, null, 2));
    else {
      io.out(`${images} images, face found in ${found} (${(100 * report.detectionRate).toFixed(1)}%), ${pairs.length} pairs (${pairs.filter((p) => p.same).length} same, ${pairs.filter((p) => !p.same).length} different)`);
      for (const line of pairStatsLines(result, o.tolerance)) io.out(line);
    }
    return failed > 0 ? 1 : 0;
  });
}

async function list(args: string[], o: Opts, io: Io): Promise<number> {
  if (args.length) throw new TesseraError('BAD_ARGUMENT', `list takes no arguments, got ${args.join(' ')}`);
  const gallery = Gallery.open(o.db, { readonly: true });
  try {
    const people = gallery.list();
    if (o.json) io.out(JSON.stringify({ command: 'list', db: o.db, people }, null, 2));
    else if (people.length === 0) io.out(`the gallery ${o.db} is empty`);
    else for (const p of people) io.out(`${p.name.padEnd(24)} ${p.descriptors} face(s)${p.damaged.length ? `, ${p.damaged.length} damaged` : ''}`);
    const damaged = people.flatMap((p) => p.damaged.map((d) => ({ name: p.name, ...d })));
    for (const d of damaged) io.err(`warning: ${o.db}: ${d.name}: damaged descriptor from ${d.source}: ${d.reason} (never matched; forget and re-enroll)`);
    // Damaged rows are a fault in the gallery: say so in the exit status too.
    return damaged.length > 0 ? 1 : 0;
  } finally {
    gallery.close();
  }
}

async function forget(args: string[], o: Opts, io: Io): Promise<number> {
  if (args.length !== 1) throw new TesseraError('BAD_ARGUMENT', 'forget needs exactly one NAME');
  const gallery = Gallery.open(o.db);
  try {
    const n = gallery.forget(args[0]!);
    if (o.json) io.out(JSON.stringify({ command: 'forget', db: o.db, name: args[0], removed: n }));
    else io.out(`forgot ${args[0]} (${n} face(s))`);
    return 0;
  } finally {
    gallery.close();
  }
}

function warnSkipped(skipped: readonly Skipped[], io: Io): void {
  for (const s of skipped) io.err(`warning: skipped ${s.path}: ${s.reason}`);
}


function parseBackend(s: string): Backend {
  if ((BACKENDS as readonly string[]).includes(s)) return s as Backend;
  throw new TesseraError('BAD_ARGUMENT', `--backend must be one of ${BACKENDS.join(', ')}, got '${s}'`);
}

function parseGpuMode(s: string): GpuMode {
  if ((GPU_MODES as readonly string[]).includes(s)) return s as GpuMode;
  throw new TesseraError('BAD_ARGUMENT', `--gpu-mode must be one of ${GPU_MODES.join(', ')}, got '${s}'`);
}

function positiveInt(what: string, s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new TesseraError('BAD_ARGUMENT', `${what} must be a positive integer, got '${s}'`);
  return n;
}

function positiveNumber(what: string, s: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new TesseraError('BAD_ARGUMENT', `${what} must be a positive number, got '${s}'`);
  return n;
}

function intIn(what: string, s: string, lo: number, hi: number): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new TesseraError('BAD_ARGUMENT', `${what} must be an integer from ${lo} to ${hi}, got '${s}'`);
  return n;
}

function fmtBox(b: { x: number; y: number; width: number; height: number }): string {
  return `${b.x}, ${b.y}, ${b.width}, ${b.height}`;
}

function fmtTimes(t: StageTimes): string {
  return Object.entries(t).map(([k, ms]) => `${k} ${ms.toFixed(1)} ms`).join(', ');
}
