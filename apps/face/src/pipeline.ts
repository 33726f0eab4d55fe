import { statSync } from 'node:fs';
import { runBatch, type Model } from '@tessera/nn';
import { isTesseraError, type EngineOptions, type Tensor } from '@tessera/tensor';
import { analysisOptions, analyzePhoto, loadFaceNets, type AnalysisOptions, type Face, type FaceNets, type StageTimes } from './analyze-photo.js';
import { decodeImage, type RgbImage } from './image.js';
import { createExecutor, type ChosenExecutor, type ExecutorOptions } from './executor.js';
import { PhotoPool } from './photo-pool.js';

export type { Backend } from './executor.js';
export type { Face, StageTimes, Detector, AnalysisOptions } from './analyze-photo.js';
export { DETECTORS, DEFAULT_DETECTOR, DEFAULT_MIN_SCORE, DEFAULT_INPUT_SIZE } from './analyze-photo.js';
export { alignedBox, cropRgb } from './crop.js';

export interface PipelineOptions extends ExecutorOptions, AnalysisOptions {}

/** One photo file's outcome in analyzeFiles: its faces, or why it failed. */
export interface FileResult {
  path: string;
  faces: Face[];
  times?: StageTimes;
  /** The decoded photo's size (after EXIF rotation), to clip boxes to. */
  width?: number;
  height?: number;
  /** The decoded photo, when asked for (to draw on). */
  image?: RgbImage;
  error?: Error;
  /** Not tried: the backend was gone before its turn (`error` says why). */
  notAttempted?: true;
}

/** An error that ends every later photo too: the executor's backend is unavailable (not one photo's fault). */
export function isBackendGone(e: Error | undefined): boolean {
  return isTesseraError(e) && e.code === 'UNAVAILABLE';
}

/**
 * The face pipeline (see analyzePhoto) on the backend the user picked. One
 * photo runs net by net on the executor, which may cut it into tiles; many
 * photo files on the threads backend go whole to photo workers (PhotoPool),
 * each decoding, detecting, landmarking and describing its own photo.
 */
export class FacePipeline {
  private constructor(
    /** The executor (made on first use) and how to close it (see ChosenExecutor). */
    private readonly chosen: ChosenExecutor,
    /** The detector and its options, checked, defaults filled in. */
    readonly analysis: Required<AnalysisOptions>,
    /** The backend that really runs the nets, e.g. "gpu (gl)". */
    readonly backend: string,
    /** Why the backend is not the one asked for (gpu auto without GL), if so. */
    readonly backendNote: string | undefined,
    /** Photos worth analysing at once (see ChosenExecutor.concurrency). */
    readonly concurrency: number,
    /** Photo workers for many files (0: none, photos go through the executor). */
    private readonly photoWorkers: number,
    /** The kernel engine option, for the photo workers' own executors. */
    private readonly engine: EngineOptions | undefined,
  ) {}

  static async create(opts: PipelineOptions = {}): Promise<FacePipeline> {
    const { detector, minScore, inputSize, ...exec } = opts;
    // Checked before any executor starts: a bad detector option leaks nothing.
    const analysis = analysisOptions(stripUndefined({ detector, minScore, inputSize }));
    const chosen = createExecutor(exec);
    return new FacePipeline(chosen, analysis, chosen.description, chosen.note, chosen.concurrency, chosen.photoWorkers, exec.engine);
  }

  /**
   * One net on one input. With several photos in flight each input runs
   * whole on one worker (the executor's batch form), so photos overlap
   * across workers; one photo alone takes the executor's own choice (tiles
   * where they are faster).
   */
  private async net(model: Model, input: Tensor): Promise<Tensor> {
    if (this.inFlight > 1) return (await runBatch(this.chosen.executor(), model, [input]))[0]!;
    return this.chosen.executor().run(model, input);
  }

  /** Photos being analysed now (analyze calls not yet settled). */
  private inFlight = 0;
  private nets: FaceNets | undefined;

  /** The faces of one decoded photo, on the executor. */
  async analyze(img: RgbImage, times: StageTimes = {}, describe = true): Promise<Face[]> {
    this.inFlight++;
    try {
      // Loaded on first use: many photo files on photo workers never need them on this thread.
      this.nets ??= loadFaceNets(this.analysis);
      return await analyzePhoto(this.nets, (m, x) => this.net(m, x), img, this.analysis, times, describe);
    } finally {
      this.inFlight--;
    }
  }

  /** Started on the first call with several files (a single photo never needs it). */
  private pool: PhotoPool | undefined;

  /** The photo workers: no more than the first call's files (each loads its own nets), at most one per thread. */
  private photoPool(files: number): PhotoPool {
    return (this.pool ??= new PhotoPool(Math.min(this.photoWorkers, files), this.analysis, this.engine));
  }

  /**
   * Photo files → faces, results in input order, as a stream: on the
   * threads backend every photo worker takes whole photos (from the file
   * path on); otherwise up to `concurrency` photos are in flight on the
   * executor. A file that fails becomes its result's error, not an exception.
   */
  async analyzeFiles(paths: readonly string[], o: { keepImages?: boolean; describe?: boolean; onDone?(path: string): void } = {}): Promise<FileResult[]> {
    const onWorkers = this.photoWorkers > 1 && paths.length > 1;
    const one = async (path: string): Promise<FileResult> => {
      try {
        if (onWorkers) {
          const r = await this.photoPool(paths.length).analyze(path, o.keepImages, o.describe);
          return { path, faces: r.faces, times: r.times, width: r.width, height: r.height, image: r.image };
        }
        const img = await decodeImage(path);
        const times: StageTimes = {};
        const faces = await this.analyze(img, times, o.describe);
        // The decoded picture is kept only when it will be drawn on.
        return { path, faces, times, width: img.width, height: img.height, image: o.keepImages ? img : undefined };
      } catch (e) {
        return { path, faces: [], error: e instanceof Error ? e : new Error(String(e)) };
      } finally {
        o.onDone?.(path);
      }
    };
    const results = new Array<FileResult>(paths.length);
    // On workers, larger files first: the last photos handed out decide how long the others wait idle at the end.
    const order = paths.map((_, i) => i);
    if (onWorkers) {
      const size = paths.map(fileSize);
      order.sort((a, b) => size[b]! - size[a]! || a - b);
    }
    let next = 0;
    // The backend itself gone (no cluster worker, a lost server): no photo after it can be analysed either.
    let fatal: Error | undefined;
    const lane = async (): Promise<void> => {
      while (next < order.length && !fatal) {
        const i = order[next++]!;
        const r = await one(paths[i]!);
        results[i] = r;
        if (r.error && isBackendGone(r.error)) fatal ??= r.error;
      }
    };
    // The pool queues every photo itself and hands them out as workers free up.
    const lanes = onWorkers ? paths.length : Math.min(this.concurrency, paths.length);
    await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));
    for (let i = 0; i < results.length; i++) results[i] ??= { path: paths[i]!, faces: [], error: fatal, notAttempted: true };
    return results;
  }

  async close(): Promise<void> {
    try {
      await this.pool?.close();
    } finally {
      await this.chosen.close();
    }
  }
}

/** Bytes of a file, 0 when it cannot be read (its decode will say why). */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The options that were given (an undefined one takes its default, not a strict-key error). */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
