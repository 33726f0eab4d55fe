import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TesseraError } from '@tessera/tensor';
import { decodeImage } from '../src/image.js';

const faceApiDir = dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json'));
const sample = join(faceApiDir, 'demo', 'sample1.jpg');

describe('decodeImage', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tessera-image-')); });
  after(() => { rmSync(dir, { recursive: true, force: true }); });

  it('decodes a JPEG to interleaved RGB', async () => {
    const img = await decodeImage(sample);
    expect(img.width).to.be.greaterThan(100);
    expect(img.rgb.length).to.equal(img.width * img.height * 3);
  });

  for (const [name, bytes] of [
    ['truncated.jpg', () => readFileSync(sample).subarray(0, 5000)],
    ['text.png', () => Buffer.from('this is not an image')],
    ['empty.jpg', () => Buffer.alloc(0)],
  ] as const) {
    it(`rejects ${name} with BAD_IMAGE naming the file`, async () => {
      const p = join(dir, name);
      writeFileSync(p, bytes());
      try {
        await decodeImage(p);
        expect.fail('should reject');
      } catch (e) {
        expect((e as TesseraError).code).to.equal('BAD_IMAGE');
        expect((e as Error).message).to.contain(p);
      }
    });
  }

  it('rejects a missing file with BAD_IMAGE and the errno', async () => {
    try {
      await decodeImage(join(dir, 'nope.jpg'));
      expect.fail('should reject');
    } catch (e) {
      expect((e as TesseraError).code).to.equal('BAD_IMAGE');
      expect((e as Error).message).to.match(/nope\.jpg: cannot read the file \(ENOENT\)/);
    }
  });
});
