import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { cli, json } from './cli-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
const sample1 = join(demo, 'sample1.jpg');

describe('tessera-face CLI (spawned)', function () {
  this.timeout(180_000);
  let dir: string, db: string, ada: string, ada2: string, other: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-face-cli-'));
    db = join(dir, 'gallery.db');
    // Single-face pictures cut from a group photo: the left and right women of sample1
    // (two different cuts and sizes of the left one, so they are not the same pixels).
    ada = join(dir, 'ada.jpg');
    ada2 = join(dir, 'ada-small.png');
    other = join(dir, 'other.jpg');
    await sharp(sample1).extract({ left: 150, top: 200, width: 700, height: 700 }).jpeg({ quality: 92 }).toFile(ada);
    await sharp(sample1).extract({ left: 100, top: 180, width: 660, height: 660 }).resize(500).png().toFile(ada2);
    await sharp(sample1).extract({ left: 1250, top: 50, width: 660, height: 660 }).jpeg({ quality: 92 }).toFile(other);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('list on a new gallery says it is empty; --json gives a people array', async () => {
    const r = await cli(['list', '--db', db]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/is empty/);
    const j = json(await cli(['list', '--db', db, '--json']));
    expect(j).to.deep.equal({ command: 'list', db, people: [] });
  });

  it('enroll --name stores the face; identify names it in the group photo and writes an annotated picture', async () => {
    const e = await cli(['enroll', '--db', db, '--name', 'ada', ada, '--json']);
    expect(e.code, e.stderr).to.equal(0);
    expect(json(e).people).to.deep.equal([{ name: 'ada', enrolled: 1, skipped: [] }]);
    const out = join(dir, 'annotated.png');
    const r = await cli(['identify', '--db', db, '--json', '--timings', '--annotate', out, sample1]);
    expect(r.code, r.stderr).to.equal(0);
    const j = json(r);
    expect(j.command).to.equal('identify');
    expect(j.images).to.have.length(1);
    const faces = j.images[0].faces as { box: { x: number; y: number; width: number; height: number }; score: number; name: string | null; distance: number }[];
    expect(faces.length).to.equal(3);
    for (const f of faces) {
      expect(f.box).to.have.keys(['x', 'y', 'width', 'height']);
      expect(f.score).to.be.within(0.5, 1);
    }
    const named = faces.filter((f) => f.name === 'ada');
    expect(named, JSON.stringify(faces)).to.have.length(1);
    expect(named[0]!.distance).to.be.below(0.4);
    expect(named[0]!.box.x).to.be.within(250, 730);
    expect(j.images[0].timings).to.have.keys(['detect', 'landmarks', 'describe']);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).to.deep.equal(['png', 1920, 1280]);
  });

  it('verify tells the same person from a different one', async () => {
    const same = json(await cli(['verify', '--json', ada, ada2]));
    expect(same.same, JSON.stringify(same)).to.equal(true);
    const diff = json(await cli(['verify', '--json', ada, other]));
    expect(diff.same, JSON.stringify(diff)).to.equal(false);
    expect(diff.distance).to.be.above(same.distance);
    const text = await cli(['verify', ada, other]);
    expect(text.stdout).to.match(/^different people: distance \d\.\d{4} \(tolerance 0\.53\)/);
  });

  it('eval on a labelled folder reports detection rate, pair accuracy, best threshold and ROC', async () => {
    const labelled = join(dir, 'labelled');
    mkdirSync(join(labelled, 'ada'), { recursive: true });
    mkdirSync(join(labelled, 'other'), { recursive: true });
    await sharp(ada).toFile(join(labelled, 'ada', '1.jpg'));
    await sharp(ada2).toFile(join(labelled, 'ada', '2.png'));
    await sharp(other).toFile(join(labelled, 'other', '1.jpg'));
    const r = await cli(['eval', '--json', labelled]);
    expect(r.code, r.stderr).to.equal(0);
    const j = json(r);
    expect(j).to.include({ command: 'eval', images: 3, facesFound: 3, detectionRate: 1, pairs: 3, accuracy: 1 });
    expect(j.roc).to.have.length(21);
    expect(j.bestAccuracy).to.equal(1);
  });

  it('--backend threads gives the same faces and distances as local, bit for bit', async () => {
    const local = json(await cli(['identify', '--db', db, '--json', sample1]));
    const threads = json(await cli(['identify', '--db', db, '--json', '--backend', 'threads', '--threads', '2', sample1]));
    expect(threads.images).to.deep.equal(local.images);
    const v1 = json(await cli(['verify', '--json', ada, other]));
    const v2 = json(await cli(['verify', '--json', '--backend', 'threads', ada, other]));
    expect(v2.distance).to.equal(v1.distance);
  });

  it('a bad file in a batch is named, the others are still processed, exit code 1', async () => {
    const junk = join(dir, 'notes.jpg');
    writeFileSync(junk, 'not a photo');
    const r = await cli(['identify', '--db', db, '--json', ada, junk]);
    expect(r.code).to.equal(1);
    const j = json(r);
    expect(j.images[0].faces[0].name).to.equal('ada');
    expect(j.images[1].error).to.contain(junk).and.to.contain('BAD_IMAGE');
  });

  it('a photo with no face says so', async () => {
    const blank = join(dir, 'wall.png');
    await sharp({ create: { width: 320, height: 240, channels: 3, background: '#8899aa' } }).png().toFile(blank);
    const r = await cli(['identify', '--db', db, blank]);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain(`${blank}: no face found`);
  });

  it('forget removes a person; bad usage is exit code 2 with the usage text', async () => {
    expect((await cli(['forget', '--db', db, 'ada'])).stdout).to.match(/forgot ada \(1 face/);
    const again = await cli(['forget', '--db', db, 'ada']);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/nobody named 'ada'/);
    const bad = await cli(['frobnicate']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/unknown command 'frobnicate'/).and.to.match(/usage:/);
    expect((await cli(['identify', '--tolerance', 'x', ada])).stderr).to.match(/--tolerance must be a positive number, got 'x'/);
    expect(existsSync(db)).to.equal(true);
  });
});
