import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import { Tensor, TesseraError } from '@tessera/tensor';
import { readNpy } from './npy.js';

/** Largest picture decoded, in pixels (a 100-megapixel image is ~300 MB of RGB). */
const MAX_PIXELS = 100_000_000;

export const isNpy = (path: string): boolean => extname(path).toLowerCase() === '.npy';

/** A .npy tensor as the model's input: rank 4 (N, C, H, W), or rank 3 (C, H, W) taken as one sample. */
export async function npyInput(path: string): Promise<Tensor> {
  const a = await readNpy(path);
  const shape = a.shape.length === 3 ? [1, ...a.shape] : a.shape;
  if (shape.length !== 4 || shape.some((d) => d < 1)) {
    throw new TesseraError('SHAPE_MISMATCH', `${path}: the input tensor must be N,C,H,W (or C,H,W), got shape [${a.shape.join(', ')}]`, { path, shape: a.shape });
  }
  return new Tensor(a.data, shape);
}

export interface ImageOptions {
  /** Channels the model takes: 3 (RGB) or 1 (grey). */
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** Per channel (or one for all), subtracted from the [0, 1] values; default 0. */
  readonly mean?: readonly number[];
  /** Per channel (or one for all), divides after the mean; default 1. */
  readonly std?: readonly number[];
}

/**
 * A picture as a [1, C, H, W] float32 tensor: decoded by sharp (EXIF
 * orientation applied, alpha dropped), stretched to H × W (aspect not kept;
 * sharp's default lanczos3 resampling), values in [0, 1], then
 * (x − mean) / std per channel when given.
 */
export async function imageInput(path: string, o: ImageOptions): Promise<Tensor> {
  const { channels: c, height: h, width: w } = o;
  if (c !== 1 && c !== 3) {
    throw new TesseraError('SHAPE_MISMATCH', `${path}: the model takes ${c} input channels; a picture gives 3 (RGB) or 1 (grey) — pass a .npy tensor instead`, { path, channels: c });
  }
  const mean = perChannel('--mean', o.mean ?? [0], c), std = perChannel('--std', o.std ?? [1], c);
  if (std.some((s) => s === 0)) throw new TesseraError('BAD_ARGUMENT', `--std must not contain 0, got ${std.join(',')}`, { std });
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TesseraError('BAD_IMAGE', `${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path }, { cause: e });
  }
  let data: Buffer;
  try {
    let img = sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'truncated' }).rotate().removeAlpha().toColourspace('srgb');
    img = img.resize(w, h, { fit: 'fill' });
    if (c === 1) img = img.grayscale().toColourspace('b-w');
    const r = await img.raw().toBuffer({ resolveWithObject: true });
    if (r.info.channels !== c || r.info.width !== w || r.info.height !== h) throw new Error(`decoded to ${r.info.width}×${r.info.height}×${r.info.channels}`);
    data = r.data;
  } catch (e) {
    throw new TesseraError('BAD_IMAGE', `${path}: not a readable image (${e instanceof Error ? e.message : String(e)})`, { path }, { cause: e });
  }
  const out = Tensor.zeros([1, c, h, w]);
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch]!, s = std[ch]!;
    for (let i = 0; i < plane; i++) out.data[ch * plane + i] = (data[i * c + ch]! / 255 - m) / s;
  }
  return out;
}

function perChannel(flag: string, v: readonly number[], c: number): number[] {
  if (v.length === 1) return new Array<number>(c).fill(v[0]!);
  if (v.length !== c) throw new TesseraError('BAD_ARGUMENT', `${flag} has ${v.length} values; the model takes ${c} channels (give ${c} or 1)`, { [flag]: v });
  return [...v];
}
