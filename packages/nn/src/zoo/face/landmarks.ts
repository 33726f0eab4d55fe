import { type Tensor, TesseraError } from '@tessera/tensor';
import { ModelBuilder, type Node } from '../../builder.js';
import type { Model } from '../../model.js';
import { faceApiManifest, loadFaceApiWeights, requireWeight, tfConvFilter, tfDepthwiseFilter } from '../../weights/face-api.js';
import { faceNetInput } from './input.js';
import { RECOGNITION_MEAN } from './recognition.js';

export const LANDMARKS_SIZE = 112;

/**
 * The landmark net's input for one face crop (RGB HWC, 0..255): zero-pad
 * centred to a square, resize to 112×112, subtract the recognition net's
 * mean, divide by 255 (face-api's order). Returns [1, 3, 112, 112].
 */
export function landmarksInput(rgb: Float32Array | Uint8Array | Uint8ClampedArray, width: number, height: number): Tensor {
  return faceNetInput(rgb, width, height, LANDMARKS_SIZE, RECOGNITION_MEAN, true);
}

/**
 * face-api's 68-point landmark net: four dense blocks (32, 64, 128, 256
 * channels), 7×7 average pool, dense 256 → 136. [N, 3, 112, 112] (see
 * `landmarksInput`) → [N, 136]: interleaved (x, y) relative to the padded
 * square; `landmarkPoints` turns a row into crop pixels.
 */
export function faceLandmark68Net(weights?: ReadonlyMap<string, Tensor>, opts: { batch?: number } = {}): Model {
  const w = weights ?? loadFaceApiWeights(faceApiManifest('face_landmark_68_model'));
  const net = 'faceLandmark68Net';
  const b = new ModelBuilder('face-landmark-68', [opts.batch ?? 1, 3, LANDMARKS_SIZE, LANDMARKS_SIZE]);

  /** depthwise 3×3 SAME (no bias) + pointwise 1×1 + bias: tf.separableConv2d then add bias. */
  const separable = (x: Node, prefix: string, cout: number, stride: number): Node => {
    const cin = x.shape[1]!;
    const y = b.depthwiseConv2d(x, { kernel: 3, stride, padding: 'same', name: `${prefix}/depthwise` },
      { weight: tfDepthwiseFilter(requireWeight(w, `${prefix}/depthwise_filter`, [3, 3, cin, 1], net)) });
    return b.conv2d(y, { outChannels: cout, kernel: 1, name: `${prefix}/pointwise` },
      { weight: tfConvFilter(requireWeight(w, `${prefix}/pointwise_filter`, [1, 1, cin, cout], net)), bias: requireWeight(w, `${prefix}/bias`, [cout], net) });
  };

  const denseBlock = (x: Node, prefix: string, cout: number, first: boolean): Node => {
    const c0 = first
      ? b.conv2d(x, { outChannels: cout, kernel: 3, stride: 2, padding: 'same', name: `${prefix}/conv0` },
        { weight: tfConvFilter(requireWeight(w, `${prefix}/conv0/filters`, [3, 3, x.shape[1]!, cout], net)), bias: requireWeight(w, `${prefix}/conv0/bias`, [cout], net) })
      : separable(x, `${prefix}/conv0`, cout, 2);
    const out1 = b.relu(c0, `${prefix}/relu0`);
    const out2 = separable(out1, `${prefix}/conv1`, cout, 1);
    const in3 = b.relu(b.add(out1, out2, `${prefix}/sum1`), `${prefix}/relu1`);
    const out3 = separable(in3, `${prefix}/conv2`, cout, 1);
    // face-api's summation order: out1 + (out2 + out3), then out1 + (out2 + (out3 + out4))
    const in4 = b.relu(b.add(out1, b.add(out2, out3, `${prefix}/sum2a`), `${prefix}/sum2`), `${prefix}/relu2`);
    const out4 = separable(in4, `${prefix}/conv3`, cout, 1);
    const s34 = b.add(out3, out4, `${prefix}/sum3b`);
    return b.relu(b.add(out1, b.add(out2, s34, `${prefix}/sum3a`), `${prefix}/sum3`), `${prefix}/out`);
  };

  let x = denseBlock(b.input, 'dense0', 32, true);
  x = denseBlock(x, 'dense1', 64, false);
  x = denseBlock(x, 'dense2', 128, false);
  x = denseBlock(x, 'dense3', 256, false);
  x = b.avgPool(x, { kernel: 7, stride: 2, padding: 'valid' }, 'pool');
  x = b.dense(x, 136, { weight: requireWeight(w, 'fc/weights', [256, 136], net), bias: requireWeight(w, 'fc/bias', [136], net) }, 'fc');
  return b.build(x);
}

/**
 * One row of the landmark net's output (136 values: x0, y0, x1, y1, …,
 * relative to the padded 112×112 square) → 68 points in the pixels of the
 * width×height crop it was computed from, the centring padding undone as
 * face-api does: x = (o·112 − padX) / (width·s) · width with s = 112 / max(w, h).
 */
export function landmarkPoints(output: Tensor, width: number, height: number, index = 0): { x: number; y: number }[] {
  if (output.shape.length !== 2 || output.shape[1] !== 136 || index < 0 || index >= output.shape[0]!) {
    throw new TesseraError('SHAPE_MISMATCH', `landmarkPoints expects [N, 136] and a row < N, got [${output.shape.join(', ')}] row ${index}`, { shape: output.shape, index });
  }
  const row = output.toFloat32Array().subarray(index * 136, (index + 1) * 136);
  const size = LANDMARKS_SIZE;
  const s = size / Math.max(width, height);
  const iw = width * s, ih = height * s;
  const padX = iw < ih ? Math.abs(iw - ih) / 2 : 0;
  const padY = ih < iw ? Math.abs(iw - ih) / 2 : 0;
  const pts: { x: number; y: number }[] = [];
  for (let i = 0; i < 68; i++) {
    pts.push({ x: ((row[2 * i]! * size - padX) / iw) * width, y: ((row[2 * i + 1]! * size - padY) / ih) * height });
  }
  return pts;
}
