import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { TesseraError, rng } from '@tessera/tensor';
import { Gallery } from '../src/gallery.js';

function descriptor(seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: 128 }, () => r() * 0.2 - 0.1);
}

describe('Gallery', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'tessera-gallery-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('enrolls, lists, matches within tolerance and forgets', () => {
    const g = Gallery.open(join(dir, 'sub', 'g.db'));
    try {
      expect(g.enroll('ada', [{ descriptor: descriptor(1), source: 'a.jpg#0' }, { descriptor: descriptor(2), source: 'b.jpg#0' }])).to.equal(2);
      g.enroll('bob', [{ descriptor: descriptor(3), source: 'c.jpg#1' }]);
      expect(g.list()).to.deep.equal([
        { name: 'ada', descriptors: 2, sources: ['a.jpg#0', 'b.jpg#0'], damaged: [] },
        { name: 'bob', descriptors: 1, sources: ['c.jpg#1'], damaged: [] },
      ]);
      const q = descriptor(3);
      q[0] = q[0]! + 0.05;
      const m = g.match(q, 0.6);
      expect(m.name).to.equal('bob');
      expect(m.distance).to.be.closeTo(0.05, 1e-6);
      expect(g.match(q, 0.01).name).to.equal(null);
      expect(g.match(q, 0.01).nearest).to.equal('bob');
      expect(g.forget('ada')).to.equal(2);
      expect(g.list().map((p) => p.name)).to.deep.equal(['bob']);
      expect(() => g.forget('ada')).to.throw(TesseraError, /nobody named 'ada'/);
    } finally {
      g.close();
    }
  });

  it('an empty gallery matches nobody at infinite distance', () => {
    const g = Gallery.open(join(dir, 'g.db'));
    try {
      expect(g.match(descriptor(1), 0.6)).to.deep.equal({ name: null, distance: Infinity, nearest: null });
    } finally {
      g.close();
    }
  });

  it('enrolling is all or nothing: a bad descriptor writes nothing', () => {
    const g = Gallery.open(join(dir, 'g.db'));
    try {
      expect(() => g.enroll('eve', [{ descriptor: descriptor(1), source: 'ok.jpg' }, { descriptor: new Float32Array(5), source: 'bad.jpg' }]))
        .to.throw(TesseraError, /bad\.jpg must be 128 finite/);
      expect(g.size).to.equal(0);
      expect(g.list()).to.deep.equal([]);
    } finally {
      g.close();
    }
  });

  it('a database locked by another process is a clear error and nothing is written', function () {
    this.timeout(20_000);
    const path = join(dir, 'g.db');
    Gallery.open(path).close();
    const other = new Database(path);
    // A writer mid-transaction (RESERVED lock): readers go on, a second writer must wait and give up.
    other.exec('BEGIN IMMEDIATE');
    const g = Gallery.open(path);
    try {
      expect(() => g.enroll('zed', [{ descriptor: descriptor(1), source: 'z.jpg' }])).to.throw(TesseraError, /locked by another process/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(g.size).to.equal(0);
    g.close();
  });

  it('a corrupt file is a clear error naming it', () => {
    const path = join(dir, 'junk.db');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    expect(() => Gallery.open(path)).to.throw(TesseraError, /junk\.db.*not a gallery database or is corrupt/);
  });

  it('a SQLite file of another program is refused with UNAVAILABLE naming the file and what differs, and left as it was', () => {
    const path = join(dir, 'other-app.db');
    const other = new Database(path);
    other.exec('CREATE TABLE people (id INTEGER PRIMARY KEY, nick TEXT); CREATE TABLE notes (body TEXT);');
    other.close();
    const before = readFileSync(path);
    for (const readonly of [false, true]) {
      expect(() => Gallery.open(path, { readonly })).to.throw(TesseraError, /other-app\.db: not a tessera-face gallery: table 'people' lacks column\(s\) name, created/)
        .with.property('code', 'UNAVAILABLE');
    }
    const tables = new Database(path, { readonly: true });
    expect(tables.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()).to.deep.equal([{ name: 'notes' }, { name: 'people' }]);
    tables.close();
    expect(readFileSync(path).equals(before)).to.equal(true);
  });

  it('rows with a damaged descriptor (8 bytes, 6 bytes, NaNs) are named by list and skipped by match', () => {
    const path = join(dir, 'g.db');
    const g = Gallery.open(path);
    g.enroll('ada', [{ descriptor: descriptor(1), source: 'ada.jpg' }]);
    g.enroll('ghost', [{ descriptor: descriptor(2), source: 'ghost-ok.jpg' }]);
    g.close();
    const raw = new Database(path);
    const ghost = (raw.prepare("SELECT id FROM people WHERE name = 'ghost'").get() as { id: number }).id;
    const nan = descriptor(3);
    nan[5] = NaN;
    const insert = raw.prepare('INSERT INTO descriptors (person, descriptor, source) VALUES (?, ?, ?)');
    insert.run(ghost, Buffer.alloc(8), 'eight.jpg');
    insert.run(ghost, Buffer.alloc(6), 'six.jpg');
    insert.run(ghost, Buffer.from(nan.buffer), 'nan.jpg');
    raw.close();
    const r = Gallery.open(path, { readonly: true });
    try {
      expect(r.list()).to.deep.equal([
        { name: 'ada', descriptors: 1, sources: ['ada.jpg'], damaged: [] },
        { name: 'ghost', descriptors: 1, sources: ['ghost-ok.jpg'], damaged: [
          { source: 'eight.jpg', reason: '8 bytes, expected 512 (128 float32)' },
          { source: 'six.jpg', reason: '6 bytes, expected 512 (128 float32)' },
          { source: 'nan.jpg', reason: 'value 5 is NaN' },
        ] },
      ]);
      expect(r.damaged).to.equal(3);
      // The 6-byte row used to throw a raw RangeError here; the good rows still match.
      expect(r.match(descriptor(1), 0.6)).to.deep.equal({ name: 'ada', distance: 0, nearest: 'ada' });
      expect(r.match(descriptor(2), 0.6).name).to.equal('ghost');
    } finally {
      r.close();
    }
  });

  it('a read-only open creates nothing and cannot write', () => {
    const missing = join(dir, 'none', 'g.db');
    const empty = Gallery.open(missing, { readonly: true });
    expect(empty.list()).to.deep.equal([]);
    empty.close();
    expect(existsSync(dirname(missing))).to.equal(false);
    const path = join(dir, 'g.db');
    Gallery.open(path).close();
    const r = Gallery.open(path, { readonly: true });
    try {
      expect(() => r.enroll('ada', [{ descriptor: descriptor(1), source: 'a.jpg' }])).to.throw(TesseraError, /g\.db: enroll 'ada' failed: cannot write to it/);
    } finally {
      r.close();
    }
  });

  it('two processes enrolling into one gallery at once both succeed and no row is lost', async function () {
    this.timeout(60_000);
    const path = join(dir, 'shared.db');
    const script = join(dirname(fileURLToPath(import.meta.url)), 'enroll-process.ts');
    const count = 60;
    const procs = ['ada', 'bob'].map((name) => spawn(process.execPath, ['--import=tsx', '--conditions=@tessera/source', script, path, name, String(count)], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const outputs = procs.map((p) => {
      let out = '', err = '';
      p.stdout.on('data', (b) => { out += b; });
      p.stderr.on('data', (b) => { err += b; });
      return { ready: new Promise<void>((ok) => p.stdout.on('data', () => { if (out.includes('ready')) ok(); })), exit: new Promise<[number | null, string, string]>((ok) => p.on('exit', (c) => ok([c, out, err]))) };
    });
    // Both hold the gallery open before either writes, so their transactions interleave.
    await Promise.race([Promise.all(outputs.map((o) => o.ready)), Promise.all(outputs.map((o) => o.exit))]);
    for (const p of procs) p.stdin.end('go\n');
    for (const [code, out, err] of await Promise.all(outputs.map((o) => o.exit))) {
      expect(code, err).to.equal(0);
      expect(out).to.equal('ready\ndone\n');
    }
    const g = Gallery.open(path, { readonly: true });
    try {
      expect(g.list().map((p) => [p.name, p.descriptors, p.damaged.length])).to.deep.equal([['ada', count, 0], ['bob', count, 0]]);
    } finally {
      g.close();
    }
  });
});
