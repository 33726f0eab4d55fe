import { expect } from 'chai';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { cli, json, unprivileged } from './cli-helpers.js';

const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
const sample1 = join(demo, 'sample1.jpg');

/** Issue 14's face CLI findings, one test each: every one failed on main before the fix. */
describe('tessera-face CLI with hostile files and folders (spawned)', function () {
  this.timeout(180_000);
  let dir: string, ada: string, other: string, enrolled: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-face-faults-'));
    // Runs as `nobody` (see cli-helpers) must reach the pictures and folders made here.
    chmodSync(dir, 0o755);
    ada = join(dir, 'ada.jpg');
    other = join(dir, 'other.jpg');
    await sharp(sample1).extract({ left: 150, top: 200, width: 700, height: 700 }).jpeg({ quality: 92 }).toFile(ada);
    await sharp(sample1).extract({ left: 1250, top: 50, width: 660, height: 660 }).jpeg({ quality: 92 }).toFile(other);
    enrolled = join(dir, 'enrolled.db');
    const e = await cli(['enroll', '--db', enrolled, '--name', 'ada', ada]);
    expect(e.code, e.stderr).to.equal(0);
  });
  after(() => {
    for (const d of ['walk/locked', 'ro']) try { chmodSync(join(dir, d), 0o755); } catch { /* not made */ }
    rmSync(dir, { recursive: true, force: true });
  });

  it('enroll DIR skips a dangling link, a link loop and an unreadable sub-folder with a warning each, and enrolls the rest', async () => {
    const walk = join(dir, 'walk');
    mkdirSync(join(walk, 'locked'), { recursive: true });
    chmodSync(walk, 0o777);
    copyFileSync(ada, join(walk, 'ada.jpg'));
    copyFileSync(other, join(walk, 'locked', 'other.jpg'));
    chmodSync(join(walk, 'locked'), 0o000);
    symlinkSync(join(walk, 'nowhere.jpg'), join(walk, 'dangling.jpg'));
    symlinkSync('loop.jpg', join(walk, 'loop.jpg'));
    const db = join(walk, 'g.db');
    const r = await cli(['enroll', '--db', db, '--json', walk], {}, unprivileged);
    expect(r.code, r.stderr).to.equal(1);
    const j = json(r);
    expect(j.people).to.deep.equal([{ name: 'ada', enrolled: 1, skipped: [] }]);
    expect(j.unreadable).to.deep.equal([
      { path: join(walk, 'dangling.jpg'), reason: 'a link to nothing (ENOENT)' },
      { path: join(walk, 'locked'), reason: 'permission denied (EACCES)' },
      { path: join(walk, 'loop.jpg'), reason: 'a symbolic link loop (ELOOP)' },
    ]);
    expect(r.stderr).to.contain(`warning: skipped ${join(walk, 'dangling.jpg')}: a link to nothing (ENOENT)`);
    expect(r.stderr.match(/^warning: skipped /gm)).to.have.length(3);
  });

  it('identify DIR reports a dangling link in it as that image\'s error and goes on', async () => {
    const folder = join(dir, 'identify-dir');
    mkdirSync(folder);
    copyFileSync(ada, join(folder, 'ada.jpg'));
    symlinkSync(join(folder, 'gone.jpg'), join(folder, 'broken.jpg'));
    const r = await cli(['identify', '--db', enrolled, '--json', folder]);
    expect(r.code, r.stderr).to.equal(1);
    const j = json(r);
    expect(j.images.map((i: { image: string }) => i.image)).to.deep.equal([join(folder, 'ada.jpg'), join(folder, 'broken.jpg')]);
    expect(j.images[0].faces[0].name).to.equal('ada');
    expect(j.images[1].error).to.contain('BAD_IMAGE').and.to.contain(join(folder, 'broken.jpg'));
  });

  it('a SQLite file with another schema is UNAVAILABLE naming the file and the missing columns', async () => {
    const foreign = join(dir, 'foreign.db');
    const db = new Database(foreign);
    db.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, nick TEXT)');
    db.close();
    const r = await cli(['list', '--db', foreign]);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal(`error [UNAVAILABLE]: gallery ${foreign}: not a tessera-face gallery: table 'people' lacks column(s) name, created (has id, nick)`);
  });

  it('damaged descriptor rows (8 bytes, 6 bytes, NaNs) are named by list and skipped by identify, which still names the good ones', async () => {
    const path = join(dir, 'damaged.db');
    copyFileSync(enrolled, path);
    const db = new Database(path);
    const id = (db.prepare("SELECT id FROM people WHERE name = 'ada'").get() as { id: number }).id;
    const insert = db.prepare('INSERT INTO descriptors (person, descriptor, source) VALUES (?, ?, ?)');
    insert.run(id, Buffer.alloc(8), 'eight.jpg');
    insert.run(id, Buffer.alloc(6), 'six.jpg');
    insert.run(id, Buffer.from(new Float32Array(128).fill(NaN).buffer), 'nan.jpg');
    db.close();
    const l = await cli(['list', '--db', path, '--json']);
    expect(l.code, l.stderr).to.equal(1);
    expect(json(l).people).to.deep.equal([{ name: 'ada', descriptors: 1, sources: [ada], damaged: [
      { source: 'eight.jpg', reason: '8 bytes, expected 512 (128 float32)' },
      { source: 'six.jpg', reason: '6 bytes, expected 512 (128 float32)' },
      { source: 'nan.jpg', reason: 'value 0 is NaN' },
    ] }]);
    expect(l.stderr).to.contain(`warning: ${path}: ada: damaged descriptor from six.jpg: 6 bytes, expected 512`);
    const r = await cli(['identify', '--db', path, '--json', ada]);
    expect(r.code, r.stderr).to.equal(0);
    expect(json(r).images[0].faces[0]).to.include({ name: 'ada', nearest: 'ada' });
    expect(r.stderr).to.contain(`warning: the gallery ${path} has 3 damaged descriptor(s), skipped when matching`);
  });

  it('--annotate to an unwritable path: every result printed, then one short error per image, exit 1', async () => {
    const notAFolder = join(dir, 'plain-file');
    writeFileSync(notAFolder, 'x');
    const r = await cli(['identify', '--db', enrolled, '--json', '--annotate', notAFolder, ada, other]);
    expect(r.code).to.equal(1);
    const j = json(r);
    expect(j.images.map((i: { faces: { name: string | null }[] }) => i.faces.map((f) => f.name))).to.deep.equal([['ada'], [null]]);
    expect(r.stderr.trim().split('\n')).to.deep.equal([
      `${ada}: [UNAVAILABLE] cannot write the annotated picture ${join(notAFolder, 'ada.png')} (ENOTDIR)`,
      `${other}: [UNAVAILABLE] cannot write the annotated picture ${join(notAFolder, 'other.png')} (ENOTDIR)`,
    ]);
  });

  it('a gallery file 0444 in a read-only folder can be listed and searched, and is left untouched', async () => {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    const path = join(ro, 'gallery.db');
    copyFileSync(enrolled, path);
    chmodSync(path, 0o444);
    chmodSync(ro, 0o555);
    const before = statSync(path).mtimeMs;
    // As root chmod stops nothing: these run as nobody, for whom the folder and file are really read-only.
    const l = await cli(['list', '--db', path, '--json'], {}, unprivileged);
    expect(l.code, l.stderr).to.equal(0);
    expect(json(l).people.map((p: { name: string }) => p.name)).to.deep.equal(['ada']);
    const r = await cli(['identify', '--db', path, '--json', ada], {}, unprivileged);
    expect(r.code, r.stderr).to.equal(0);
    expect(json(r).images[0].faces[0].name).to.equal('ada');
    expect(readdirSync(ro)).to.deep.equal(['gallery.db']);
    expect(statSync(path).mtimeMs).to.equal(before);
    // Writing is what fails, named: the file is read-only for this user.
    const f = await cli(['forget', '--db', path, 'ada'], {}, unprivileged);
    expect(f.code).to.equal(1);
    expect(f.stderr.trim()).to.equal(`error [UNAVAILABLE]: gallery ${path}: forget 'ada' failed: cannot write to it (attempt to write a readonly database)`);
  });
});
