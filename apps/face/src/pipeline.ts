import {
  LocalExecutor, decodeDetections, detectorInput, faceApiManifest, faceRecognitionNet, loadFaceApiWeights, recognitionInput,
  tinyFaceDetectorNet, type Executor, type Model,
} from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import type { Box } from './annotate.js';
import type { RgbImage } from './image.js';

export type Backend = 'local' | 'threads';

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

export interface PipelineOptions {
  backend?: Backend;
  threads?: number;
  /** Detector input size, a multiple of 32 (default 416). */
  detectorSize?: number;
  scoreThreshold?: number;
}

/**
 * Photo → faces: tiny face detector on the whole photo (padded and resized),
 * then for each face a crop from the original photo → 128-D descriptor.
 * Every net runs on Tessera's executors.
 */
export class FacePipeline {
  private constructor(
    private readonly executor: Executor,
    private readonly detector: Model,
    private readonly recognizer: Model,
    private readonly opts: PipelineOptions,
  ) {}

  static async create(opts: PipelineOptions = {}): Promise<FacePipeline> {
    const size = opts.detectorSize ?? 416;
    const detector = tinyFaceDetectorNet(loadFaceApiWeights(faceApiManifest('tiny_face_detector_model')), size);
    const recognizer = faceRecognitionNet(loadFaceApiWeights(faceApiManifest('face_recognition_model')));
    const executor: Executor = opts.backend === 'threads' ? new PoolExecutor({ threads: opts.threads }) : new LocalExecutor();
    return new FacePipeline(executor, detector, recognizer, opts);
  }

  async analyze(img: RgbImage, times: StageTimes = {}): Promise<Face[]> {
    const size = this.opts.detectorSize ?? 416;
    let t0 = performance.now();
    const raw = await this.executor.run(this.detector, detectorInput(img.rgb, img.width, img.height, size));
    const boxes = decodeDetections(raw, { inputSize: size, imageWidth: img.width, imageHeight: img.height, scoreThreshold: this.opts.scoreThreshold });
    times.detect = performance.now() - t0;
    t0 = performance.now();
    const faces: Face[] = [];
    for (const b of boxes) {
      const crop = cropRgb(img, b);
      if (!crop) continue;
      const out = await this.executor.run(this.recognizer, recognitionInput(crop.rgb, crop.width, crop.height));
      faces.push({ box: { x: b.x, y: b.y, width: b.width, height: b.height }, score: b.score, landmarks: [], descriptor: Float32Array.from(out.toFloat32Array()) });
    }
    times.describe = performance.now() - t0;
    return faces;
  }

  async close(): Promise<void> {
    await this.executor.close();
  }
}

/** The part of the photo inside `box` (clipped to the photo), as HWC RGB; null when nothing is left. */
export function cropRgb(img: RgbImage, box: Box): { rgb: Uint8Array; width: number; height: number } | null {
  const x0 = Math.max(0, Math.round(box.x)), y0 = Math.max(0, Math.round(box.y));
  const x1 = Math.min(img.width, Math.round(box.x + box.width)), y1 = Math.min(img.height, Math.round(box.y + box.height));
  if (x1 - x0 < 2 || y1 - y0 < 2) return null;
  const w = x1 - x0, h = y1 - y0;
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) rgb.set(img.rgb.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x1) * 3), y * w * 3);
  return { rgb, width: w, height: h };
}
