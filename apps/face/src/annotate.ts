import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import { TesseraError } from '@tessera/tensor';
import type { RgbImage } from './image.js';

export interface Box { readonly x: number; readonly y: number; readonly width: number; readonly height: number }

export interface AnnotatedFace {
  readonly box: Box;
  readonly landmarks?: readonly (readonly [number, number])[];
  /** Name, or null for an unknown face. */
  readonly name: string | null;
  readonly distance?: number;
}

const PALETTE = ['#2ec4b6', '#ff9f1c', '#e71d36', '#5e60ce', '#80ed99', '#f15bb5', '#00bbf9', '#fee440'];

/** Stable colour per name so the same person looks the same across pictures. */
function colourOf(name: string | null): string {
  if (!name) return '#c0c0c0';
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** The overlay as SVG: rounded boxes, landmark dots, a label tag with name and distance. */
export function overlaySvg(width: number, height: number, faces: readonly AnnotatedFace[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const font = Math.max(12, Math.round(Math.min(width, height) / 40));
  const parts: string[] = [];
  for (const f of faces) {
    const c = colourOf(f.name);
    const { x, y, width: w, height: h } = f.box;
    parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" rx="${stroke * 2}" fill="none" stroke="${c}" stroke-width="${stroke}"/>`);
    for (const [px, py] of f.landmarks ?? []) {
      parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="${Math.max(1, stroke * 0.6)}" fill="${c}" fill-opacity="0.9"/>`);
    }
    const label = `${f.name ?? 'unknown'}${f.distance !== undefined && Number.isFinite(f.distance) ? ` ${f.distance.toFixed(2)}` : ''}`;
    const tw = label.length * font * 0.7 + font;
    // Keep the tag inside the picture: above the box when there is room, else inside its top edge.
    const ty = y - font * 1.5 >= 0 ? y - font * 1.5 : Math.max(0, y);
    const tx = Math.min(Math.max(0, x), Math.max(0, width - tw));
    parts.push(`<rect x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" width="${tw.toFixed(1)}" height="${(font * 1.5).toFixed(1)}" rx="${stroke * 2}" fill="${c}" fill-opacity="0.85"/>`);
    parts.push(`<text x="${(tx + font / 2).toFixed(1)}" y="${(ty + font * 1.1).toFixed(1)}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${font}" font-weight="bold" fill="#111">${escapeXml(label)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Output formats by file extension; anything else is refused before the picture is drawn. */
const FORMATS: Record<string, 'png' | 'jpeg' | 'webp' | 'tiff' | 'avif' | 'gif'> = {
  '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp', '.tif': 'tiff', '.tiff': 'tiff', '.avif': 'avif', '.gif': 'gif',
};

/**
 * Writes the photo with the faces drawn on it, in the format its extension names. The picture is encoded
 * in memory and written with fs, so a bad path fails with the system's short reason (ENOTDIR, EACCES, ...)
 * instead of the image library's diagnostics.
 */
export async function annotate(img: RgbImage, faces: readonly AnnotatedFace[], out: string): Promise<void> {
  const format = FORMATS[extname(out).toLowerCase()];
  if (!format) throw new TesseraError('BAD_ARGUMENT', `cannot write the annotated picture ${out}: unknown extension (use ${Object.keys(FORMATS).join(' ')})`, { path: out });
  let bytes: Buffer;
  try {
    const base = sharp(Buffer.from(img.rgb.buffer, img.rgb.byteOffset, img.rgb.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } });
    bytes = await base.composite([{ input: Buffer.from(overlaySvg(img.width, img.height, faces)), top: 0, left: 0 }]).toFormat(format).toBuffer();
  } catch (e) {
    throw new TesseraError('BAD_IMAGE', `cannot draw the annotated picture ${out}: ${firstLine(e)}`, { path: out }, { cause: e });
  }
  try {
    await writeFile(out, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TesseraError('UNAVAILABLE', `cannot write the annotated picture ${out}${code ? ` (${code})` : `: ${firstLine(e)}`}`, { path: out, errno: code }, { cause: e });
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
}
