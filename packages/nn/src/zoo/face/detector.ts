import { type Tensor, TesseraError, checkInt } from '@tessera/tensor';
import { ModelBuilder, type Node } from '../../builder.js';
import type { Model } from '../../model.js';
import { faceApiManifest, loadFaceApiWeights, requireWeight, tfConvFilter, tfDepthwiseFilter } from '../../weights/face-api.js';
import { faceNetInput } from './input.js';

/** Per-channel mean (RGB, 0..255) face-api subtracts before the tiny face detector. */
export const DETECTOR_MEAN: readonly [number, number, number] = [117.001, 114.697, 97.404];
/** The 5 box priors (width, height in grid cells) of face-api's tiny face detector. */
export const DETECTOR_ANCHORS: readonly (readonly [number, number])[] = [
  [1.603231, 2.094468], [6.041143, 7.080126], [2.882459, 3.518061], [4.266906, 5.178857], [9.041765, 10.66308],
];

/**
 * The detector's input for an RGB image (HWC, 0..255): zero-pad bottom/right
 * to a square, resize to size×size bilinearly, subtract DETECTOR_MEAN, divide
 * by 255 (face-api's order). Returns [1, 3, size, size].
 */
export function detectorInput(rgb: Float32Array | Uint8Array | Uint8ClampedArray, width: number, height: number, size = 416): Tensor {
  checkDetectorSize(size);
  return faceNetInput(rgb, width, height, size, DETECTOR_MEAN, false);
}

function checkDetectorSize(size: number): void {
  checkInt('detector input size', size, 32);
  if (size % 32 !== 0) throw new TesseraError('BAD_ARGUMENT', `detector input size must be a multiple of 32, got ${size}`, { size });
}

/**
 * face-api's tiny face detector (a Tiny-YOLOv2 with separable convs):
 * [1, 3, size, size] (see `detectorInput`) → [1, 25, size/32, size/32]: per
 * cell, 5 anchors × (tx, ty, tw, th, score) on the channel axis, anchor-major.
 * Decode with `decodeDetections`.
 */
export function tinyFaceDetectorNet(weights?: ReadonlyMap<string, Tensor>, size = 416): Model {
  checkDetectorSize(size);
  const w = weights ?? loadFaceApiWeights(faceApiManifest('tiny_face_detector_model'));
  const net = 'tinyFaceDetectorNet';
  const b = new ModelBuilder('tiny-face-detector', [1, 3, size, size]);
  const leaky = (x: Node, name: string) => b.leakyRelu(x, 0.1, name);
  const pool = (x: Node, stride: number, name: string) => b.maxPool(x, { kernel: 2, stride, padding: 'same' }, name);

  let x = b.conv2d(b.input, { outChannels: 16, kernel: 3, padding: 'valid', name: 'conv0' },
    { weight: tfConvFilter(requireWeight(w, 'conv0/filters', [3, 3, 3, 16], net)), bias: requireWeight(w, 'conv0/bias', [16], net) });
  x = pool(leaky(x, 'conv0/leaky'), 2, 'conv0/pool');
  const widths = [16, 32, 64, 128, 256, 512];
  for (let i = 1; i <= 5; i++) {
    const cin = widths[i - 1]!, cout = widths[i]!;
    // zero-pad 1 + depthwise 3×3 VALID = depthwise with padding 1; then pointwise 1×1 + bias.
    x = b.depthwiseConv2d(x, { kernel: 3, padding: 1, name: `conv${i}/depthwise` },
      { weight: tfDepthwiseFilter(requireWeight(w, `conv${i}/depthwise_filter`, [3, 3, cin, 1], net)) });
    x = b.conv2d(x, { outChannels: cout, kernel: 1, name: `conv${i}/pointwise` },
      { weight: tfConvFilter(requireWeight(w, `conv${i}/pointwise_filter`, [1, 1, cin, cout], net)), bias: requireWeight(w, `conv${i}/bias`, [cout], net) });
    x = pool(leaky(x, `conv${i}/leaky`), i < 5 ? 2 : 1, `conv${i}/pool`);
  }
  x = b.conv2d(x, { outChannels: 25, kernel: 1, name: 'conv8' },
    { weight: tfConvFilter(requireWeight(w, 'conv8/filters', [1, 1, 512, 25], net)), bias: requireWeight(w, 'conv8/bias', [25], net) });
  return b.build(x);
}

export interface FaceBox {
  /** Box in the original image's pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

export interface DecodeOptions {
  /** The detector's input size (416 by default). */
  inputSize?: number;
  imageWidth: number;
  imageHeight: number;
  /** Keep boxes with sigmoid(score) above this (default 0.5). */
  scoreThreshold?: number;
  /** Non-maximum suppression drops boxes overlapping a better one by more than this IoU (default 0.4). */
  iouThreshold?: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Turns the detector's raw output [1, 25, S, S] into face boxes in the
 * original image's pixels, best first, as face-api does: per cell and anchor,
 * score = σ(t_s); centre = ((col, row) + σ(t_x, t_y)) / S; size =
 * exp(t_w, t_h)·anchor / S; the bottom/right padding to a square is undone
 * by scaling with inputSize / (the resized image's side); then greedy NMS.
 */
export function decodeDetections(output: Tensor, opts: DecodeOptions): FaceBox[] {
  const nA = DETECTOR_ANCHORS.length;
  if (output.shape.length !== 4 || output.shape[0] !== 1 || output.shape[1] !== nA * 5 || output.shape[2] !== output.shape[3]) {
    throw new TesseraError('SHAPE_MISMATCH', `decodeDetections expects [1, ${nA * 5}, S, S], got [${output.shape.join(', ')}]`, { shape: output.shape });
  }
  const { imageWidth: iw, imageHeight: ih } = opts;
  checkInt('imageWidth', iw, 1);
  checkInt('imageHeight', ih, 1);
  const inputSize = opts.inputSize ?? 416;
  const threshold = opts.scoreThreshold ?? 0.5, iouThreshold = opts.iouThreshold ?? 0.4;
  const s = output.shape[2]!;
  // The image's extent inside the square input (the rest is bottom/right padding).
  const scale = inputSize / Math.max(iw, ih);
  const rw = Math.round(iw * scale), rh = Math.round(ih * scale);
  const side = Math.max(rw, rh);
  const cx = side / rw, cy = side / rh;
  const data = output.toFloat32Array();
  const at = (c: number, row: number, col: number) => data[(c * s + row) * s + col]!;
  const cands: { left: number; top: number; right: number; bottom: number; score: number }[] = [];
  for (let row = 0; row < s; row++) {
    for (let col = 0; col < s; col++) {
      for (let a = 0; a < nA; a++) {
        const score = sigmoid(at(a * 5 + 4, row, col));
        if (!(score > threshold)) continue;
        const ctX = ((col + sigmoid(at(a * 5, row, col))) / s) * cx;
        const ctY = ((row + sigmoid(at(a * 5 + 1, row, col))) / s) * cy;
        const w = ((Math.exp(at(a * 5 + 2, row, col)) * DETECTOR_ANCHORS[a]![0]) / s) * cx;
        const h = ((Math.exp(at(a * 5 + 3, row, col)) * DETECTOR_ANCHORS[a]![1]) / s) * cy;
        const left = ctX - w / 2, top = ctY - h / 2;
        cands.push({ left, top, right: left + w, bottom: top + h, score });
      }
    }
  }
  const keep = nms(cands.map((c) => ({ left: c.left * inputSize, top: c.top * inputSize, right: c.right * inputSize, bottom: c.bottom * inputSize })),
    cands.map((c) => c.score), iouThreshold);
  return keep.map((i) => {
    const c = cands[i]!;
    return { x: c.left * iw, y: c.top * ih, width: (c.right - c.left) * iw, height: (c.bottom - c.top) * ih, score: c.score };
  });
}

interface Rect { left: number; top: number; right: number; bottom: number }

/** Intersection over union of two boxes. */
export function boxIou(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left));
  const h = Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const inter = w * h;
  return inter / ((a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top) - inter);
}

/** Greedy NMS: best score first, dropping boxes whose IoU with a kept one exceeds the threshold. Returns indices. */
export function nms(boxes: readonly Rect[], scores: readonly number[], iouThreshold: number): number[] {
  let order = scores.map((score, i) => ({ score, i })).sort((p, q) => p.score - q.score).map((p) => p.i);
  const pick: number[] = [];
  while (order.length > 0) {
    const cur = order.pop()!;
    pick.push(cur);
    order = order.filter((j) => boxIou(boxes[cur]!, boxes[j]!) <= iouThreshold);
  }
  return pick;
}
