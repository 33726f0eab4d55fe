import { RECOGNITION_SIZE, faceNetInput } from '@tessera/nn';
import type { Box } from './annotate.js';
import type { RgbImage } from './image.js';

export interface Crop { rgb: Uint8Array; width: number; height: number; x: number; y: number }

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

/**
 * `box` in whole pixels (x, y, width, height each rounded), then clipped to a width×height picture
 * (a detector box may reach past the border; the face is the part inside). A box inside the picture
 * is just the rounded box.
 */
export function clipBox(box: Box, width: number, height: number): Box {
  const x = Math.round(box.x), y = Math.round(box.y), w = Math.round(box.width), h = Math.round(box.height);
  const x0 = clamp(x, 0, width), y0 = clamp(y, 0, height);
  return { x: x0, y: y0, width: clamp(x + w, x0, width) - x0, height: clamp(y + h, y0, height) - y0 };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

/** An aligned face chip: what the recognition net sees, as 8-bit RGB (HWC). */
export interface FaceChip { rgb: Uint8Array; width: number; height: number }

/**
 * The 150×150 chip a face's descriptor is computed from, rebuilt from the detector box and
 * the landmarks the pipeline reports: the same landmark cut, alignment square (alignedBox) and
 * centred pad + bilinear resize (faceNetInput) as the pipeline, rounded to 8 bits. Null when the
 * alignment square leaves nothing of the picture (the pipeline gives no descriptor then either).
 */
export function faceChip(img: RgbImage, rawBox: Box, landmarks: readonly (readonly [number, number])[]): FaceChip | null {
  const cut = cropRgb(img, rawBox);
  if (!cut || landmarks.length !== 68) return null;
  // Reported landmarks are the cut's pixels plus the cut's origin; alignment wants them plus the raw box's x, y.
  const aligned = cropRgb(img, alignedBox(landmarks.map(([x, y]) => [x - cut.x + rawBox.x, y - cut.y + rawBox.y] as const), cut.width, cut.height));
  if (!aligned) return null;
  const size = RECOGNITION_SIZE;
  // The identity as the net's scaling: the padded, resized pixels themselves (float32, CHW).
  const t = faceNetInput(aligned.rgb, aligned.width, aligned.height, size, (v) => v, true).data;
  const plane = size * size, rgb = new Uint8Array(plane * 3);
  for (let q = 0; q < plane; q++) {
    for (let c = 0; c < 3; c++) rgb[q * 3 + c] = Math.min(255, Math.max(0, Math.round(t[c * plane + q]!)));
  }
  return { rgb, width: size, height: size };
}
