import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { TesseraError } from '@tessera/tensor';

/** A decoded photo: 8-bit RGB, rows top to bottom, pixels interleaved (HWC). */
export interface RgbImage {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

/** Largest photo accepted, in pixels (a 100-megapixel image is ~300 MB of RGB). */
export const MAX_PIXELS = 100_000_000;

/**
 * Decodes JPEG/PNG (and what else sharp reads) to RGB with one decoder for
 * every path, applying the EXIF orientation. Any failure is BAD_IMAGE naming the file.
 */
export async function decodeImage(path: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TesseraError('BAD_IMAGE', `${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path }, { cause: e });
  }
  return decodeImageBytes(bytes, path);
}

/** Decodes an image held in memory (an upload, say) like decodeImage; `path` names it in errors. */
export async function decodeImageBytes(bytes: Buffer | Uint8Array, path: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { path, width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    throw new TesseraError('BAD_IMAGE', `${path}: not a readable image (${e instanceof Error ? e.message : String(e)})`, { path }, { cause: e });
  }
}
