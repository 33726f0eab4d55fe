import {
  decodeDetections, detectorInput, faceApiManifest, faceLandmark68Net, faceRecognitionNet, landmarkPoints, landmarksInput,
  loadFaceApiWeights, recognitionInput, runBatch, stackBatch, tinyFaceDetectorNet, type Executor, type Model,
} from '@tessera/nn';
import type { Tensor } from '@tessera/tensor';
import type { Box } from './annotate.js';
import type { RgbImage } from './image.js';
import { createExecutor, type ExecutorOptions } from './executor.js';

export type { Backend } from './executor.js';

/** Milliseconds per stage of the last analysis. */
export type StageTimes = Partial<Record<'detect' | 'landmarks' | 'describe', number>>;

export interface Face {
  /** Detection box in the original photo's pixels. */
  readonly box: Box;
  readonly score: number;
  /** 68 points in the original photo's pixels (empty when the landmark net is not used). */
  readonly landmarks: readonly (readonly [number, number])[];
  /** 128-D descriptor: Euclidean distance below ~0.6 means the same person. */
  readonly descriptor: Float32Array;
}

export interface PipelineOptions extends ExecutorOptions {
  /** Detector input size, a multiple of 32 (default 416). */
  detectorSize?: number;
  scoreThreshold?: number;
}

/**
 * Photo → faces, as face-api does it: tiny face detector on the whole photo
 * (padded and resized), 68 landmarks on each detection box cut from the
 * original photo, then the descriptor of the square aligned from the eye and
 * mouth centres, also cut from the original. Landmarks and descriptors of all
 * faces of a photo run as one batch. Every net runs on Tessera's executors.
 */
export class FacePipeline {
  private constructor(
    private readonly executor: Executor,
    private readonly detector: Model,
    private readonly landmarker: Model,
    private readonly recognizer: Model,
    private readonly opts: PipelineOptions,
    /** The backend that really runs the nets, e.g. "gpu (gl)". */
    readonly backend: string,
    /** Why the backend is not the one asked for (gpu auto without GL), if so. */
    readonly backendNote: string | undefined,
    /** Photos worth analysing at once (see ChosenExecutor.concurrency). */
    readonly concurrency: number,
  ) {}

  static async create(opts: PipelineOptions = {}): Promise<FacePipeline> {
    const size = opts.detectorSize ?? 416;
    const detector = tinyFaceDetectorNet(loadFaceApiWeights(faceApiManifest('tiny_face_detector_model')), size);
    const landmarker = faceLandmark68Net(loadFaceApiWeights(faceApiManifest('face_landmark_68_model')));
    const recognizer = faceRecognitionNet(loadFaceApiWeights(faceApiManifest('face_recognition_model')));
    const chosen = createExecutor(opts);
    return new FacePipeline(chosen.executor, detector, landmarker, recognizer, opts, chosen.description, chosen.note, chosen.concurrency);
  }

  /**
   * One net on one input. With several photos in flight each input runs
   * whole on one worker (the executor's batch form), so photos overlap
   * across workers; one photo alone takes the executor's own choice (tiles
   * where they are faster).
   */
  private async net(model: Model, input: Tensor): Promise<Tensor> {
    if (this.inFlight > 1) return (await runBatch(this.executor, model, [input]))[0]!;
    return this.executor.run(model, input);
  }

  /** Photos being analysed now (analyze calls not yet settled). */
  private inFlight = 0;

  async analyze(img: RgbImage, times: StageTimes = {}): Promise<Face[]> {
    this.inFlight++;
    try {
      return await this.analyzeOne(img, times);
    } finally {
      this.inFlight--;
    }
  }

  private async analyzeOne(img: RgbImage, times: StageTimes): Promise<Face[]> {
    const size = this.opts.detectorSize ?? 416;
    let t0 = performance.now();
    const raw = await this.net(this.detector, detectorInput(img.rgb, img.width, img.height, size));
    const found = decodeDetections(raw, { inputSize: size, imageWidth: img.width, imageHeight: img.height, scoreThreshold: this.opts.scoreThreshold });
    times.detect = performance.now() - t0;
    const dets = found.map((b) => ({ det: b, crop: cropRgb(img, b) })).filter((d) => d.crop !== null) as { det: typeof found[number]; crop: Crop }[];
    if (dets.length === 0) return [];

    t0 = performance.now();
    const lmOut = await this.net(this.landmarker, stackBatch(dets.map((d) => landmarksInput(d.crop.rgb, d.crop.width, d.crop.height))));
    const local = dets.map((d, i) => landmarkPoints(lmOut, d.crop.width, d.crop.height, i));
    // Reported landmarks: crop pixels + where the crop was cut.
    const landmarks = dets.map((d, i) => local[i]!.map((p) => [p.x + d.crop.x, p.y + d.crop.y] as const));
    times.landmarks = performance.now() - t0;

    t0 = performance.now();
    // face-api aligns from the landmarks shifted by the unfloored, unclipped detection box (not by the cut's
    // origin) and clamps the square by the cut's size; doing the same keeps every descriptor equal to its own.
    const aligned = dets.map((d, i) => cropRgb(img, alignedBox(local[i]!.map((p) => [p.x + d.det.x, p.y + d.det.y] as const), d.crop.width, d.crop.height)) ?? null);
    const keep = dets.map((_, i) => i).filter((i) => aligned[i] !== null);
    const faces: Face[] = [];
    if (keep.length > 0) {
      const desc = await this.net(this.recognizer, stackBatch(keep.map((i) => recognitionInput(aligned[i]!.rgb, aligned[i]!.width, aligned[i]!.height))));
      const all = desc.toFloat32Array();
      keep.forEach((i, k) => {
        const b = dets[i]!.det;
        faces.push({ box: { x: b.x, y: b.y, width: b.width, height: b.height }, score: b.score, landmarks: landmarks[i]!, descriptor: all.slice(k * 128, (k + 1) * 128) });
      });
    }
    times.describe = performance.now() - t0;
    return faces;
  }

  async close(): Promise<void> {
    await this.executor.close();
  }
}

interface Crop { rgb: Uint8Array; width: number; height: number; x: number; y: number }

/**
 * The part of the photo inside `box`, as face-api cuts it (Box.clipAtImageBorders: the left and
 * top clipped to 0, the width and height to what is left of the photo, then all four floored),
 * as HWC RGB; null when nothing is left.
 */
export function cropRgb(img: RgbImage, box: Box): Crop | null {
  const cx = Math.max(box.x, 0), cy = Math.max(box.y, 0);
  const w = Math.floor(Math.min(box.x + box.width - cx, img.width - cx)), h = Math.floor(Math.min(box.y + box.height - cy, img.height - cy));
  const x0 = Math.floor(cx), y0 = Math.floor(cy);
  if (w < 2 || h < 2) return null;
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) rgb.set(img.rgb.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + w) * 3), y * w * 3);
  return { rgb, width: w, height: h, x: x0, y: y0 };
}

/**
 * dlib-style alignment box from 68 landmarks (face-api's `withFaceDescriptors`): a square
 * of side ⌊mean eye-to-mouth distance / 0.45⌋ around the centre of the two
 * eye centres and the mouth centre, 0.5 of it left and 0.43 above.
 * `width` and `height` clamp the side as face-api does (min(side, width + x)); face-api
 * passes the size of the landmark net's cut, not of the photo. To match face-api,
 * `pts` are the landmarks in the cut's pixels shifted by the detection box's x, y as they are
 * (fractional, possibly negative), not by the cut's origin.
 */
export function alignedBox(pts: readonly (readonly [number, number])[], width: number, height: number): Box {
  const centre = (a: number, b: number): [number, number] => {
    let x = 0, y = 0;
    for (let i = a; i < b; i++) { x += pts[i]![0]; y += pts[i]![1]; }
    return [x / (b - a), y / (b - a)];
  };
  const left = centre(36, 42), right = centre(42, 48), mouth = centre(48, 68);
  const dist = (p: [number, number]): number => Math.hypot(mouth[0] - p[0], mouth[1] - p[1]);
  const size = Math.floor((dist(left) + dist(right)) / 2 / 0.45);
  const rx = (left[0] + right[0] + mouth[0]) / 3, ry = (left[1] + right[1] + mouth[1]) / 3;
  const x = Math.floor(Math.max(0, rx - 0.5 * size)), y = Math.floor(Math.max(0, ry - 0.43 * size));
  return { x, y, width: Math.min(size, width + x), height: Math.min(size, height + y) };
}
