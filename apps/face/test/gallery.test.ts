import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
        { name: 'ada', descriptors: 2, sources: ['a.jpg#0', 'b.jpg#0'] },
        { name: 'bob', descriptors: 1, sources: ['c.jpg#1'] },
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
    other.exec('BEGIN EXCLUSIVE');
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
});
