import {
  decodeDetections, detectorInput, faceApiManifest, faceLandmark68Net, faceRecognitionNet, landmarkPoints, landmarksInput,
  loadFaceApiWeights, recognitionInput, stackBatch, tinyFaceDetectorNet, type Model,
} from '@tessera/nn';
import type { Tensor } from '@tessera/tensor';
import type { Box } from './annotate.js';
import { alignedBox, cropRgb, type Crop } from './crop.js';
import type { RgbImage } from './image.js';

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

export interface FaceNets { readonly detector: Model; readonly landmarker: Model; readonly recognizer: Model }

export interface AnalysisOptions {
  /** Detector input size, a multiple of 32 (default 416). */
  detectorSize?: number;
  scoreThreshold?: number;
}

/** Runs one net on one input (whichever executor and plan the caller picks). */
export type RunNet = (model: Model, input: Tensor) => Promise<Tensor>;

/** The three nets with face-api's weights (the detector for its input size). */
export function loadFaceNets(detectorSize = 416): FaceNets {
  return {
    detector: tinyFaceDetectorNet(loadFaceApiWeights(faceApiManifest('tiny_face_detector_model')), detectorSize),
    landmarker: faceLandmark68Net(loadFaceApiWeights(faceApiManifest('face_landmark_68_model'))),
    recognizer: faceRecognitionNet(loadFaceApiWeights(faceApiManifest('face_recognition_model'))),
  };
}

/**
 * Photo → faces, as face-api does it: tiny face detector on the whole photo
 * (padded and resized), 68 landmarks on each detection box cut from the
 * original photo, then the descriptor of the square aligned from the eye and
 * mouth centres, also cut from the original. Landmarks and descriptors of all
 * faces of a photo run as one batch. The same code runs on the main thread and
 * in the photo workers, so every backend gives the same faces.
 */
export async function analyzePhoto(nets: FaceNets, net: RunNet, img: RgbImage, opts: AnalysisOptions = {}, times: StageTimes = {}): Promise<Face[]> {
  const size = opts.detectorSize ?? 416;
  let t0 = performance.now();
  const raw = await net(nets.detector, detectorInput(img.rgb, img.width, img.height, size));
  const found = decodeDetections(raw, { inputSize: size, imageWidth: img.width, imageHeight: img.height, scoreThreshold: opts.scoreThreshold });
  times.detect = performance.now() - t0;
  const dets = found.map((b) => ({ det: b, crop: cropRgb(img, b) })).filter((d) => d.crop !== null) as { det: typeof found[number]; crop: Crop }[];
  if (dets.length === 0) return [];

  t0 = performance.now();
  const lmOut = await net(nets.landmarker, stackBatch(dets.map((d) => landmarksInput(d.crop.rgb, d.crop.width, d.crop.height))));
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
    const desc = await net(nets.recognizer, stackBatch(keep.map((i) => recognitionInput(aligned[i]!.rgb, aligned[i]!.width, aligned[i]!.height))));
    const all = desc.toFloat32Array();
    keep.forEach((i, k) => {
      const b = dets[i]!.det;
      faces.push({ box: { x: b.x, y: b.y, width: b.width, height: b.height }, score: b.score, landmarks: landmarks[i]!, descriptor: all.slice(k * 128, (k + 1) * 128) });
    });
  }
  times.describe = performance.now() - t0;
  return faces;
}
