import { engineLabel, resolveEngine } from '@tessera/tensor';
import type { Box } from './annotate.js';
import type { Face, StageTimes } from './analyze-photo.js';
import { clipBox } from './crop.js';
import type { Match } from './gallery.js';

/**
 * The JSON records of faces and images that `--json` prints and `serve` answers with, built in one
 * place so both say the same thing (schema/output.schema.json).
 */

/** A detected face: the box clipped to the picture, the detector's own box, score, 68 landmarks. */
export interface DetectedFaceJson {
  box: Box;
  /** The detector's box, unclipped (it may reach past the picture's border), in whole pixels. */
  rawBox: Box;
  score: number;
  /** 68 points (x, y) in the picture's pixels, to 0.01 px (empty when not computed). */
  landmarks: [number, number][];
}

/** A detected face and who it is. */
export interface IdentifiedFaceJson extends DetectedFaceJson {
  /** Enrolled name within the tolerance, or null (unknown). */
  name: string | null;
  /** Distance to the nearest enrolled descriptor; null for an empty gallery. */
  distance: number | null;
  nearest: string | null;
  descriptor?: number[];
}

/** One picture's outcome: its size, faces, or why it failed. */
export interface ImageJson<F> {
  image: string;
  error: string | null;
  width?: number;
  height?: number;
  faces: F[];
  timings?: StageTimes;
}

export function detectedFaceJson(f: Face, width: number, height: number): DetectedFaceJson {
  return { box: clipBox(f.box, width, height), rawBox: roundBox(f.box), score: round(f.score, 3), landmarks: f.landmarks.map(([x, y]) => [round(x, 2), round(y, 2)]) };
}

export function identifiedFaceJson(f: Face, width: number, height: number, m: Match, descriptors: boolean): IdentifiedFaceJson {
  const { box, rawBox, score, landmarks } = detectedFaceJson(f, width, height);
  return {
    box, rawBox, score, name: m.name, distance: Number.isFinite(m.distance) ? round(m.distance, 4) : null, nearest: m.nearest, landmarks,
    ...(descriptors ? { descriptor: Array.from(f.descriptor) } : {}),
  };
}

/** A picture's record: faces when it was analysed, else the error (with its code in brackets). */
export function imageJson<F>(path: string, r: { faces: F[]; error?: string; width?: number; height?: number; times?: StageTimes }, timings: boolean): ImageJson<F> {
  return {
    image: path, error: r.error ?? null, ...(r.width !== undefined ? { width: r.width, height: r.height } : {}), faces: r.faces,
    ...(timings && r.times ? { timings: r.times } : {}),
  };
}

export function round(x: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(x * k) / k;
}

function roundBox(b: Box): Box {
  return { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
}

/** The kernel engine of this process' CPU executors (native exact when the addon loads; TESSERA_ENGINE overrides), for --json. */
export function engineNow(): string {
  return engineLabel(resolveEngine());
}
