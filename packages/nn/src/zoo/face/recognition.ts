import { type Tensor, TesseraError } from '@tessera/tensor';
import { ModelBuilder, type Node } from '../../builder.js';
import type { Model } from '../../model.js';
import { faceApiManifest, loadFaceApiWeights, requireWeight, tfConvFilter } from '../../weights/face-api.js';
import { faceNetInput } from './input.js';

/** Per-channel mean (RGB, 0..255) face-api subtracts before the recognition net. */
export const RECOGNITION_MEAN: readonly [number, number, number] = [122.782, 117.001, 104.298];
export const RECOGNITION_SIZE = 150;

/**
 * The recognition net's input for one face crop (RGB HWC, 0..255): zero-pad
 * centred to a square, resize to 150×150 bilinearly, subtract
 * RECOGNITION_MEAN, divide by 255 — face-api's order. Returns [1, 3, 150, 150].
 */
export function recognitionInput(rgb: Float32Array | Uint8Array | Uint8ClampedArray, width: number, height: number): Tensor {
  return faceNetInput(rgb, width, height, RECOGNITION_SIZE, RECOGNITION_MEAN, true);
}

/**
 * face-api's face recognition net (a port of dlib's ResNet-34 face
 * descriptor): [N, 3, 150, 150] preprocessed (see `recognitionInput`) →
 * [N, 128] descriptor (not L2-normalised; same face ⇔ Euclidean distance
 * < 0.6). Weights: `loadFaceApiWeights` of face_recognition_model (the
 * default, read from the installed @vladmandic/face-api).
 */
export function faceRecognitionNet(weights?: ReadonlyMap<string, Tensor>, opts: { batch?: number } = {}): Model {
  const w = weights ?? loadFaceApiWeights(faceApiManifest('face_recognition_model'));
  const net = 'faceRecognitionNet';
  const b = new ModelBuilder('face-recognition', [opts.batch ?? 1, 3, RECOGNITION_SIZE, RECOGNITION_SIZE]);

  /** conv (+ bias) → x·scale + shift → optional ReLU, named after face-api's weight prefix. */
  const convLayer = (x: Node, prefix: string, stride: number, relu: boolean): Node => {
    const f = w.get(`${prefix}/conv/filters`);
    if (!f || f.shape.length !== 4) throw new TesseraError('BAD_MODEL', `${net}: weight '${prefix}/conv/filters' is missing or not 4-D`, { tensor: `${prefix}/conv/filters` });
    const [kh, kw, cin, cout] = f.shape as [number, number, number, number];
    if (cin !== x.shape[1]) throw new TesseraError('BAD_MODEL', `${net}: '${prefix}/conv/filters' expects ${cin} input channels, the layer gets ${x.shape[1]}`, { tensor: `${prefix}/conv/filters` });
    let y = b.conv2d(x, { outChannels: cout, kernel: [kh, kw], stride, padding: stride === 1 ? 'same' : 'valid', name: `${prefix}/conv` },
      { weight: tfConvFilter(f), bias: requireWeight(w, `${prefix}/conv/bias`, [cout], net) });
    y = b.scaleShift(y, {
      scale: requireWeight(w, `${prefix}/scale/weights`, [cout], net),
      shift: requireWeight(w, `${prefix}/scale/biases`, [cout], net),
    }, `${prefix}/scale`);
    return relu ? b.relu(y, `${prefix}/relu`) : y;
  };

  const residual = (x: Node, prefix: string): Node => {
    let y = convLayer(x, `${prefix}/conv1`, 1, true);
    y = convLayer(y, `${prefix}/conv2`, 1, false);
    return b.relu(b.add(y, x, `${prefix}/add`), `${prefix}/relu`);
  };

  const residualDown = (x: Node, prefix: string): Node => {
    let y = convLayer(x, `${prefix}/conv1`, 2, true);
    y = convLayer(y, `${prefix}/conv2`, 1, false);
    let s = b.avgPool(x, { kernel: 2, stride: 2, padding: 'valid' }, `${prefix}/shortcut_pool`);
    // The main branch (3×3 stride 2 VALID) can be one row/column smaller than the 2×2 pool: zeros bottom/right.
    const dh = s.shape[2]! - y.shape[2]!, dw = s.shape[3]! - y.shape[3]!;
    if (dh !== 0 || dw !== 0) {
      if (dh !== 1 || dw !== 1) throw new TesseraError('SHAPE_MISMATCH', `${net} ${prefix}: main branch ${y.shape.join('×')} vs shortcut ${s.shape.join('×')}`);
      y = b.pad(y, { top: 0, bottom: 1, left: 0, right: 1 }, `${prefix}/pad_main`);
    }
    const dc = y.shape[1]! - s.shape[1]!;
    if (dc > 0) s = b.pad(s, { top: 0, bottom: 0, left: 0, right: 0, channelsAfter: dc }, `${prefix}/pad_shortcut`);
    return b.relu(b.add(s, y, `${prefix}/add`), `${prefix}/relu`);
  };

  let x = convLayer(b.input, 'conv32_down', 2, true);
  x = b.maxPool(x, { kernel: 3, stride: 2, padding: 'valid' }, 'conv32_down/pool');
  for (const p of ['conv32_1', 'conv32_2', 'conv32_3']) x = residual(x, p);
  x = residualDown(x, 'conv64_down');
  for (const p of ['conv64_1', 'conv64_2', 'conv64_3']) x = residual(x, p);
  x = residualDown(x, 'conv128_down');
  for (const p of ['conv128_1', 'conv128_2']) x = residual(x, p);
  x = residualDown(x, 'conv256_down');
  for (const p of ['conv256_1', 'conv256_2']) x = residual(x, p);
  x = residualDown(x, 'conv256_down_out');
  x = b.globalAvgPool(x, 'mean');
  x = b.dense(x, 128, { weight: requireWeight(w, 'fc', [256, 128], net) }, 'fc');
  return b.build(x);
}
