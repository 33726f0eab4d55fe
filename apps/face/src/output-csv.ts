import type { DetectedFaceJson, IdentifiedFaceJson, ImageJson } from './output-json.js';

/**
 * CSV for spreadsheets and shell pipelines: a header line, then one row per face (a picture with no
 * face or that failed has no row; failures go to stderr). Quoting is RFC 4180's: a field holding a
 * comma, a double quote, CR or LF is enclosed in double quotes, its double quotes doubled. Lines end
 * in LF (what `cut`, `awk` and spreadsheets all read).
 */

export const IDENTIFY_CSV_HEADER = ['image', 'face', 'name', 'distance', 'x', 'y', 'width', 'height'] as const;

/** detect's columns: the box, the score, then the 68 landmarks as lm0_x, lm0_y, ... lm67_y. */
export const DETECT_CSV_HEADER = ['image', 'face', 'score', 'x', 'y', 'width', 'height', ...Array.from({ length: 68 }, (_, i) => [`lm${i}_x`, `lm${i}_y`]).flat()];

export function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(fields: readonly (string | number | null | undefined)[]): string {
  return fields.map(csvField).join(',');
}

/** identify's rows: an unknown face is named `unknown`; distance is empty for an empty gallery. */
export function identifyCsv(images: readonly ImageJson<IdentifiedFaceJson>[]): string[] {
  const lines = [csvLine(IDENTIFY_CSV_HEADER)];
  for (const im of images) {
    im.faces.forEach((f, i) => lines.push(csvLine([im.image, i, f.name ?? 'unknown', f.distance, f.box.x, f.box.y, f.box.width, f.box.height])));
  }
  return lines;
}

/** detect's rows: a face's landmarks fill 136 columns (empty when there are none). */
export function detectCsv(images: readonly ImageJson<DetectedFaceJson>[]): string[] {
  const lines = [csvLine(DETECT_CSV_HEADER)];
  for (const im of images) {
    im.faces.forEach((f, i) => {
      const lm = f.landmarks.length === 68 ? f.landmarks.flat() : new Array<string>(136).fill('');
      lines.push(csvLine([im.image, i, f.score, f.box.x, f.box.y, f.box.width, f.box.height, ...lm]));
    });
  }
  return lines;
}
