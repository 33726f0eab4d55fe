import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { TesseraError } from '@tessera/tensor';
import type { Box } from './annotate.js';
import { faceChip } from './crop.js';
import type { RgbImage } from './image.js';

/**
 * `--crop DIR`: each face's aligned 150×150 chip (see faceChip) as DIR/<stem>-face<i>.png, i the
 * face's index in the output. Returns the files written; a face whose chip is empty is passed over.
 */
export async function writeChips(img: RgbImage, faces: readonly { rawBox: Box; landmarks: readonly (readonly [number, number])[] }[], dir: string, stem: string): Promise<string[]> {
  const written: string[] = [];
  for (let i = 0; i < faces.length; i++) {
    const chip = faceChip(img, faces[i]!.rawBox, faces[i]!.landmarks);
    if (!chip) continue;
    const out = join(dir, `${stem}-face${i}.png`);
    const bytes = await sharp(Buffer.from(chip.rgb.buffer, chip.rgb.byteOffset, chip.rgb.byteLength), { raw: { width: chip.width, height: chip.height, channels: 3 } }).png().toBuffer();
    try {
      await writeFile(out, bytes);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new TesseraError('UNAVAILABLE', `cannot write the face chip ${out}${code ? ` (${code})` : ''}`, { path: out, errno: code }, { cause: e });
    }
    written.push(out);
  }
  return written;
}
