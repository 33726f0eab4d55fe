import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { TesseraError } from '@tessera/tensor';

/** Length of a face descriptor (the recognition net's output). */
export const DESCRIPTOR_LENGTH = 128;

export interface Enrolment {
  readonly descriptor: Float32Array;
  /** Where it came from (image path and face index), for `list`. */
  readonly source: string;
}

export interface Person {
  readonly name: string;
  readonly descriptors: number;
  readonly sources: readonly string[];
}

export interface Match {
  /** The nearest enrolled person, or null when nobody is within the tolerance. */
  readonly name: string | null;
  /** Euclidean distance to the nearest enrolled descriptor (Infinity for an empty gallery). */
  readonly distance: number;
  /** Nearest person even when beyond tolerance. */
  readonly nearest: string | null;
}

/** `$XDG_DATA_HOME/tessera/gallery.db`, else `~/.local/share/tessera/gallery.db`. */
export function defaultGalleryPath(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'tessera', 'gallery.db');
}

/**
 * Enrolled people in SQLite: one row per person, one per descriptor. Every
 * change is one transaction, so a failure leaves the file as it was.
 */
export class Gallery {
  private readonly db: Database.Database;
  /** Every enrolled descriptor, read once for all the faces a command matches; dropped on enroll and forget. */
  private cached: { name: string; d: Float32Array }[] | null = null;

  private constructor(readonly path: string, db: Database.Database) {
    this.db = db;
  }

  static open(path: string = defaultGalleryPath()): Gallery {
    let db: Database.Database | undefined;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path, { timeout: 2000 });
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.exec(`
        CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS descriptors (
          id INTEGER PRIMARY KEY,
          person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
          descriptor BLOB NOT NULL,
          source TEXT NOT NULL
        );`);
      db.prepare('SELECT count(*) FROM descriptors').get();
      return new Gallery(path, db);
    } catch (e) {
      db?.close();
      throw dbError(path, 'open', e);
    }
  }

  /** Adds descriptors to `name` (created if new), all or nothing. */
  enroll(name: string, items: readonly Enrolment[]): number {
    const clean = checkName(name);
    for (const it of items) checkDescriptor(it.descriptor, it.source);
    const insertPerson = this.db.prepare('INSERT INTO people (name, created) VALUES (?, ?) ON CONFLICT(name) DO NOTHING');
    const personId = this.db.prepare('SELECT id FROM people WHERE name = ?');
    const insert = this.db.prepare('INSERT INTO descriptors (person, descriptor, source) VALUES (?, ?, ?)');
    this.cached = null;
    try {
      return this.db.transaction(() => {
        insertPerson.run(clean, new Date().toISOString());
        const { id } = personId.get(clean) as { id: number };
        for (const it of items) insert.run(id, Buffer.from(it.descriptor.buffer, it.descriptor.byteOffset, it.descriptor.byteLength), it.source);
        return items.length;
      })();
    } catch (e) {
      throw dbError(this.path, `enroll '${clean}'`, e);
    }
  }

  list(): Person[] {
    const rows = this.db.prepare(`
      SELECT p.name AS name, count(d.id) AS n, group_concat(d.source, char(10)) AS sources
      FROM people p LEFT JOIN descriptors d ON d.person = p.id GROUP BY p.id ORDER BY p.name`).all() as { name: string; n: number; sources: string | null }[];
    return rows.map((r) => ({ name: r.name, descriptors: r.n, sources: r.sources ? r.sources.split('\n') : [] }));
  }

  /** Removes a person and their descriptors; NOT_FOUND-style error when unknown. */
  forget(name: string): number {
    const clean = checkName(name);
    this.cached = null;
    try {
      return this.db.transaction(() => {
        const row = this.db.prepare('SELECT id FROM people WHERE name = ?').get(clean) as { id: number } | undefined;
        if (!row) throw new TesseraError('BAD_ARGUMENT', `nobody named '${clean}' is enrolled in ${this.path}`);
        const n = (this.db.prepare('SELECT count(*) AS n FROM descriptors WHERE person = ?').get(row.id) as { n: number }).n;
        this.db.prepare('DELETE FROM people WHERE id = ?').run(row.id);
        return n;
      })();
    } catch (e) {
      if (e instanceof TesseraError) throw e;
      throw dbError(this.path, `forget '${clean}'`, e);
    }
  }

  get size(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM descriptors').get() as { n: number }).n;
  }

  /** Nearest enrolled descriptor by Euclidean distance; a name only within `tolerance`. */
  match(descriptor: Float32Array, tolerance: number): Match {
    checkDescriptor(descriptor, 'query');
    this.cached ??= (this.db.prepare('SELECT p.name AS name, d.descriptor AS descriptor FROM descriptors d JOIN people p ON p.id = d.person')
      .all() as { name: string; descriptor: Buffer }[]).map((r) => ({ name: r.name, d: toFloat32(r.descriptor) }));
    let best = Infinity;
    let nearest: string | null = null;
    for (const r of this.cached) {
      const d = euclidean(descriptor, r.d);
      if (d < best) { best = d; nearest = r.name; }
    }
    return { name: best <= tolerance ? nearest : null, distance: best, nearest };
  }

  close(): void {
    this.db.close();
  }
}

export function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

function toFloat32(b: Buffer): Float32Array {
  // SQLite blobs come back at any offset; copy so the view is aligned.
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

function checkName(name: string): string {
  const clean = typeof name === 'string' ? name.trim() : '';
  if (!clean) throw new TesseraError('BAD_ARGUMENT', `a person's name must be a non-empty string, got ${JSON.stringify(name)}`);
  return clean;
}

function checkDescriptor(d: Float32Array, source: string): void {
  if (!(d instanceof Float32Array) || d.length !== DESCRIPTOR_LENGTH || !d.every(Number.isFinite)) {
    throw new TesseraError('BAD_ARGUMENT', `descriptor from ${source} must be ${DESCRIPTOR_LENGTH} finite float32 values`);
  }
}

/** SQLite's errors as TesseraErrors naming the file: busy/locked, not a database, corrupt, read-only. */
function dbError(path: string, what: string, e: unknown): TesseraError {
  const code = (e as { code?: string }).code ?? '';
  const msg = e instanceof Error ? e.message : String(e);
  let why = msg;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) why = 'the database is locked by another process (nothing was written)';
  else if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) why = 'the file is not a gallery database or is corrupt';
  else if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) why = `cannot open it for writing (${msg})`;
  return new TesseraError('UNAVAILABLE', `gallery ${path}: ${what} failed: ${why}`, { path, sqlite: code }, { cause: e });
}
