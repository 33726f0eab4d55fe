import { Tensor, TesseraError, checkInt } from '@tessera/tensor';
import { ModelBuilder, type Node } from '../../builder.js';
import type { Model } from '../../model.js';
import { faceApiManifest, loadFaceApiWeights, requireWeight, tfConvFilter, tfDepthwiseFilter } from '../../weights/face-api.js';
import type { FaceBox } from './detector.js';
import { faceNetInput } from './input.js';

/** SSD MobileNet v1's input side: its prior boxes are laid out for 512×512. */
export const SSD_SIZE = 512;

/**
 * The six prediction heads, finest first: grid side at a 512 input and anchors
 * per cell. Box i of face-api's 5118 is head k's cell (row, col), anchor a, in
 * that order (its NHWC reshape to [-1, 4]).
 */
export const SSD_HEADS: readonly { readonly grid: number; readonly anchors: number }[] = [
  { grid: 32, anchors: 3 }, { grid: 16, anchors: 6 }, { grid: 8, anchors: 6 }, { grid: 4, anchors: 6 }, { grid: 2, anchors: 6 }, { grid: 1, anchors: 6 },
];

/** Boxes over all heads (5118). */
export const SSD_BOXES = SSD_HEADS.reduce((n, h) => n + h.grid * h.grid * h.anchors, 0);

/** Output channels of head k in the net's output: 4 box encodings per anchor, then one face logit per anchor. */
const headChannels = (k: number) => 5 * SSD_HEADS[k]!.anchors;

/** BatchNorm epsilon of face-api's MobileNet v1 (float32 0.001). */
const BN_EPSILON = 0.0010000000474974513;

/**
 * SSD MobileNet v1's input for an RGB image (HWC, 0..255): zero-pad
 * bottom/right to a square, resize to 512×512 bilinearly, then v / 127.5 − 1
 * (face-api's order, each step in float32). Returns [1, 3, 512, 512].
 */
export function ssdInput(rgb: Float32Array | Uint8Array | Uint8ClampedArray, width: number, height: number): Tensor {
  return faceNetInput(rgb, width, height, SSD_SIZE, (v) => Math.fround(Math.fround(v / 127.5) - 1), false);
}

/**
 * face-api's SSD MobileNet v1 face detector: MobileNet v1 (a 3×3 stride-2
 * conv, then 13 depthwise + pointwise pairs, batch-norm folded, ReLU6), four
 * extra stride-2 stages, and a 1×1 box/class predictor on six feature maps
 * (conv 11: 32², the backbone's end: 16², then 8², 4², 2², 1²).
 *
 * A model has one output, so the heads are gathered into one map: each
 * head's 1×1 conv keeps its 4 box encodings per anchor and only the face
 * class's logit (the background and third class are never read), is
 * zero-padded bottom/right to 32×32 (an exact copy) and concatenated on
 * channels: [1, 165, 32, 32]. Decode with `decodeSsdDetections`.
 */
export function ssdMobilenetv1Net(weights?: ReadonlyMap<string, Tensor>): Model {
  const w = weights ?? loadFaceApiWeights(faceApiManifest('ssd_mobilenetv1_model'));
  const net = 'ssdMobilenetv1Net';
  const b = new ModelBuilder('ssd-mobilenetv1', [1, 3, SSD_SIZE, SSD_SIZE]);
  const relu6 = (x: Node, name: string) => b.activation({ op: 'relu6' }, x, name);

  // conv + batch-norm offset + ReLU6, TF 'same' padding (face-api's pointwiseConvLayer, also used for 3×3 convs).
  const convBn = (x: Node, prefix: string, kernel: number, cout: number, stride: number) => {
    const cin = x.shape[1]!;
    const y = b.conv2d(x, { outChannels: cout, kernel, stride, padding: 'same', name: prefix },
      { weight: tfConvFilter(requireWeight(w, `${prefix}/weights`, [kernel, kernel, cin, cout], net)),
        bias: requireWeight(w, `${prefix}/convolution_bn_offset`, [cout], net) });
    return relu6(y, `${prefix}/relu6`);
  };
  // depthwise 3×3 'same' + batch norm (folded to a per-channel scale and shift) + ReLU6.
  const depthwiseBn = (x: Node, idx: number, stride: number) => {
    const c = x.shape[1]!, prefix = `MobilenetV1/Conv2d_${idx}_depthwise`;
    const y = b.depthwiseConv2d(x, { kernel: 3, stride, padding: 'same', name: prefix },
      { weight: tfDepthwiseFilter(requireWeight(w, `${prefix}/depthwise_weights`, [3, 3, c, 1], net)) });
    const bn = (n: string) => requireWeight(w, `${prefix}/BatchNorm/${n}`, [c], net).toFloat32Array();
    const gamma = bn('gamma'), beta = bn('beta'), mean = bn('moving_mean'), variance = bn('moving_variance');
    const scale = new Float32Array(c), shift = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      scale[i] = gamma[i]! / Math.sqrt(variance[i]! + BN_EPSILON);
      shift[i] = beta[i]! - mean[i]! * scale[i]!;
    }
    return relu6(b.scaleShift(y, { scale: new Tensor(scale, [c]), shift: new Tensor(shift, [c]) }, `${prefix}/bn`), `${prefix}/relu6`);
  };

  let x = convBn(b.input, 'MobilenetV1/Conv2d_0_pointwise', 3, 32, 2);
  const widths = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
  let conv11: Node | undefined;
  for (let i = 1; i <= 13; i++) {
    x = depthwiseBn(x, i, [2, 4, 6, 12].includes(i) ? 2 : 1);
    x = convBn(x, `MobilenetV1/Conv2d_${i}_pointwise`, 1, widths[i - 1]!, 1);
    if (i === 11) conv11 = x;
  }
  const features: Node[] = [conv11!, x];
  let p = x;
  for (let i = 0; i < 8; i += 2) {
    const out = [[256, 512], [128, 256], [128, 256], [64, 128]][i / 2]!;
    p = convBn(p, `Prediction/Conv2d_${i}_pointwise`, 1, out[0]!, 1);
    p = convBn(p, `Prediction/Conv2d_${i + 1}_pointwise`, 3, out[1]!, 2);
    features.push(p);
  }

  const grid = SSD_HEADS[0]!.grid;
  const heads = features.map((f, k) => {
    const { anchors } = SSD_HEADS[k]!, cin = f.shape[1]!;
    if (f.shape[2] !== SSD_HEADS[k]!.grid) throw new TesseraError('BAD_MODEL', `${net}: head ${k} has grid ${f.shape[2]}, expected ${SSD_HEADS[k]!.grid}`);
    const pre = `Prediction/BoxPredictor_${k}`;
    const boxW = requireWeight(w, `${pre}/BoxEncodingPredictor/weights`, [1, 1, cin, 4 * anchors], net).toFloat32Array();
    const boxB = requireWeight(w, `${pre}/BoxEncodingPredictor/biases`, [4 * anchors], net).toFloat32Array();
    const clsW = requireWeight(w, `${pre}/ClassPredictor/weights`, [1, 1, cin, 3 * anchors], net).toFloat32Array();
    const clsB = requireWeight(w, `${pre}/ClassPredictor/biases`, [3 * anchors], net).toFloat32Array();
    // One 1×1 conv: TF's [1, 1, Cin, Cout] columns picked: all box columns, then class 1 (face) of each anchor.
    const cout = headChannels(k);
    const cols = [...Array.from({ length: 4 * anchors }, (_, j) => ({ src: boxW, b: boxB, j, n: 4 * anchors })),
      ...Array.from({ length: anchors }, (_, a) => ({ src: clsW, b: clsB, j: 3 * a + 1, n: 3 * anchors }))];
    const weight = new Float32Array(cin * cout), bias = new Float32Array(cout);
    cols.forEach((c, o) => {
      for (let i = 0; i < cin; i++) weight[i * cout + o] = c.src[i * c.n + c.j]!;
      bias[o] = c.b[c.j]!;
    });
    const y = b.conv2d(f, { outChannels: cout, kernel: 1, name: `${pre}/head` },
      { weight: tfConvFilter(new Tensor(weight, [1, 1, cin, cout])), bias: new Tensor(bias, [cout]) });
    const g = SSD_HEADS[k]!.grid;
    return g === grid ? y : b.pad(y, { top: 0, bottom: grid - g, left: 0, right: grid - g }, `${pre}/gather`);
  });
  return b.build(b.concat(heads, 'heads'));
}

/**
 * The prior boxes, [5118 × (ymin, xmin, ymax, xmax)] in the 512 input's unit
 * square, as face-api ships them (`Output/extra_dim`).
 */
export function ssdPriors(weights?: ReadonlyMap<string, Tensor>): Float32Array {
  const w = weights ?? loadFaceApiWeights(faceApiManifest('ssd_mobilenetv1_model'));
  return requireWeight(w, 'Output/extra_dim', [1, SSD_BOXES, 4], 'ssdMobilenetv1Net').toFloat32Array();
}

export interface SsdDecodeOptions {
  imageWidth: number;
  imageHeight: number;
  /** Keep boxes with a face score above this, in (0, 1) (face-api's minConfidence, default 0.5). */
  minScore?: number;
  /** At most this many faces (face-api's maxResults, default 100). */
  maxResults?: number;
}

/** face-api's IoU for SSD boxes (ymin, xmin, ymax, xmax), corners in either order; 0 for an empty box. */
function ssdIou(b: Float64Array, i: number, j: number): number {
  const yi0 = Math.min(b[4 * i]!, b[4 * i + 2]!), xi0 = Math.min(b[4 * i + 1]!, b[4 * i + 3]!);
  const yi1 = Math.max(b[4 * i]!, b[4 * i + 2]!), xi1 = Math.max(b[4 * i + 1]!, b[4 * i + 3]!);
  const yj0 = Math.min(b[4 * j]!, b[4 * j + 2]!), xj0 = Math.min(b[4 * j + 1]!, b[4 * j + 3]!);
  const yj1 = Math.max(b[4 * j]!, b[4 * j + 2]!), xj1 = Math.max(b[4 * j + 1]!, b[4 * j + 3]!);
  const areaI = (yi1 - yi0) * (xi1 - xi0), areaJ = (yj1 - yj0) * (xj1 - xj0);
  if (areaI <= 0 || areaJ <= 0) return 0;
  const inter = Math.max(Math.min(yi1, yj1) - Math.max(yi0, yj0), 0) * Math.max(Math.min(xi1, xj1) - Math.max(xi0, xj0), 0);
  return inter / (areaI + areaJ - inter);
}

/**
 * The net's output [1, 165, 32, 32] → face boxes in the image's pixels, best
 * first, as face-api's SsdMobilenetv1.locateFaces does: per prior box (cy, cx,
 * h, w), centre += (t_y / 10, t_x / 10)·size, size ·= exp(t_h / 5, t_w / 5);
 * score = σ(face logit); boxes scoring above minScore, best first, each kept
 * unless it overlaps a kept one by IoU > 0.5, at most maxResults; corners
 * clipped to the unit square of the padded input, then the bottom/right
 * padding undone (so a box may reach past the image, as face-api's does).
 */
export function decodeSsdDetections(output: Tensor, priors: Float32Array, opts: SsdDecodeOptions): FaceBox[] {
  const grid = SSD_HEADS[0]!.grid, channels = SSD_HEADS.reduce((n, _, k) => n + headChannels(k), 0);
  if (output.shape.length !== 4 || output.shape[0] !== 1 || output.shape[1] !== channels || output.shape[2] !== grid || output.shape[3] !== grid) {
    throw new TesseraError('SHAPE_MISMATCH', `decodeSsdDetections expects [1, ${channels}, ${grid}, ${grid}], got [${output.shape.join(', ')}]`, { shape: output.shape });
  }
  if (priors.length !== 4 * SSD_BOXES) throw new TesseraError('BAD_ARGUMENT', `SSD priors must hold ${4 * SSD_BOXES} values, got ${priors.length}`);
  const { imageWidth: iw, imageHeight: ih } = opts;
  checkInt('imageWidth', iw, 1);
  checkInt('imageHeight', ih, 1);
  const minScore = opts.minScore ?? 0.5, maxResults = opts.maxResults ?? 100;
  if (!(minScore > 0 && minScore < 1)) throw new TesseraError('BAD_ARGUMENT', `minScore must be in (0, 1), got ${minScore}`, { minScore });
  checkInt('maxResults', maxResults, 1);

  const data = output.toFloat32Array();
  const plane = grid * grid;
  const boxes = new Float64Array(4 * SSD_BOXES), scores = new Float64Array(SSD_BOXES);
  let i = 0, ch = 0;
  SSD_HEADS.forEach(({ grid: g, anchors }, k) => {
    for (let row = 0; row < g; row++) for (let col = 0; col < g; col++) for (let a = 0; a < anchors; a++, i++) {
      const at = (c: number) => data[(ch + c) * plane + row * grid + col]!;
      const p0 = priors[4 * i]!, p1 = priors[4 * i + 1]!, p2 = priors[4 * i + 2]!, p3 = priors[4 * i + 3]!;
      const h = p2 - p0, w = p3 - p1, cy = p0 + h / 2, cx = p1 + w / 2;
      const y = (at(4 * a) / 10) * h + cy, x = (at(4 * a + 1) / 10) * w + cx;
      const hh = (Math.exp(at(4 * a + 2) / 5) * h) / 2, hw = (Math.exp(at(4 * a + 3) / 5) * w) / 2;
      boxes.set([y - hh, x - hw, y + hh, x + hw], 4 * i);
      scores[i] = 1 / (1 + Math.exp(-at(4 * anchors + a)));
    }
    ch += headChannels(k);
  });

  // Stable sort, best first: equal scores keep the prior order, as face-api's Array.sort does.
  const cands = Array.from(scores.keys()).filter((j) => scores[j]! > minScore).sort((p, q) => scores[q]! - scores[p]!);
  const picked: number[] = [];
  for (const c of cands) {
    if (picked.length >= Math.min(maxResults, SSD_BOXES)) break;
    if (picked.every((s) => ssdIou(boxes, c, s) <= 0.5)) picked.push(c);
  }
  // The padded square's unit side in the image's own units (face-api's padX, padY).
  const scale = SSD_SIZE / Math.max(iw, ih);
  const padX = SSD_SIZE / Math.round(iw * scale), padY = SSD_SIZE / Math.round(ih * scale);
  return picked.map((j) => {
    const top = Math.max(0, boxes[4 * j]!) * padY, bottom = Math.min(1, boxes[4 * j + 2]!) * padY;
    const left = Math.max(0, boxes[4 * j + 1]!) * padX, right = Math.min(1, boxes[4 * j + 3]!) * padX;
    return { x: left * iw, y: top * ih, width: (right - left) * iw, height: (bottom - top) * ih, score: scores[j]! };
  });
}
