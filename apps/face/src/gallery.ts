import { existsSync, mkdirSync } from 'node:fs';
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
  /** Usable descriptors (damaged ones are not counted). */
  readonly descriptors: number;
  readonly sources: readonly string[];
  /** Rows whose descriptor cannot be read: never matched, listed so they can be re-enrolled. */
  readonly damaged: readonly { source: string; reason: string }[];
}

export interface OpenOptions {
  /** Read commands: open the file read-only, create nothing (a missing file is an empty gallery). */
  readonly readonly?: boolean;
}

/** The tables a gallery file must hold, with the columns this code reads and writes. */
const SCHEMA: Record<string, readonly string[]> = {
  people: ['id', 'name', 'created'],
  descriptors: ['id', 'person', 'descriptor', 'source'],
};

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
  private cached: { good: { name: string; d: Float32Array }[]; damaged: number } | null = null;

  private constructor(readonly path: string, db: Database.Database) {
    this.db = db;
  }

  static open(path: string = defaultGalleryPath(), opts: OpenOptions = {}): Gallery {
    let db: Database.Database | undefined;
    try {
      if (opts.readonly) {
        // Nothing to read yet: an empty gallery, and no file is created by a read.
        db = path !== ':memory:' && existsSync(path) ? new Database(path, { readonly: true, fileMustExist: true, timeout: 2000 }) : emptyGallery();
        if (tablesOf(db).length === 0) { db.close(); db = emptyGallery(); }
      } else {
        if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
        db = new Database(path, { timeout: 2000 });
        // Only a file with no tables at all becomes a gallery: never add ours to another program's database.
        if (tablesOf(db).length === 0) createSchema(db);
      }
      checkSchema(db, path);
      if (!opts.readonly) {
        // A rollback journal, not WAL: WAL makes even a reader create files beside the database, so a
        // gallery in a read-only folder could not be listed. Writers still wait for each other (timeout).
        db.pragma('journal_mode = DELETE');
        db.pragma('foreign_keys = ON');
      }
      return new Gallery(path, db);
    } catch (e) {
      db?.close();
      if (e instanceof TesseraError) throw e;
      throw dbError(path, opts.readonly ? 'open for reading' : 'open', e);
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
    try {
      const rows = this.db.prepare(`
        SELECT p.name AS name, d.id AS id, d.descriptor AS descriptor, d.source AS source
        FROM people p LEFT JOIN descriptors d ON d.person = p.id ORDER BY p.name, d.id`).all() as { name: string; id: number | null; descriptor: unknown; source: string | null }[];
      const people = new Map<string, { name: string; descriptors: number; sources: string[]; damaged: { source: string; reason: string }[] }>();
      for (const r of rows) {
        let p = people.get(r.name);
        if (!p) people.set(r.name, (p = { name: r.name, descriptors: 0, sources: [], damaged: [] }));
        if (r.id === null) continue;
        const d = decodeDescriptor(r.descriptor);
        if (typeof d === 'string') p.damaged.push({ source: String(r.source), reason: d });
        else { p.descriptors++; p.sources.push(String(r.source)); }
      }
      return [...people.values()];
    } catch (e) {
      throw dbError(this.path, 'list', e);
    }
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

  /** Nearest enrolled descriptor by Euclidean distance; a name only within `tolerance`. Damaged rows are skipped. */
  match(descriptor: Float32Array, tolerance: number): Match {
    checkDescriptor(descriptor, 'query');
    let best = Infinity;
    let nearest: string | null = null;
    for (const r of this.load().good) {
      const d = euclidean(descriptor, r.d);
      if (d < best) { best = d; nearest = r.name; }
    }
    return { name: best <= tolerance ? nearest : null, distance: best, nearest };
  }

  /** How many enrolled rows matching skips because their descriptor is damaged (`list` names them). */
  get damaged(): number {
    return this.load().damaged;
  }

  private load(): { good: { name: string; d: Float32Array }[]; damaged: number } {
    if (this.cached) return this.cached;
    let rows;
    try {
      rows = this.db.prepare('SELECT p.name AS name, d.descriptor AS descriptor FROM descriptors d JOIN people p ON p.id = d.person').all() as { name: string; descriptor: unknown }[];
    } catch (e) {
      throw dbError(this.path, 'read descriptors', e);
    }
    const good: { name: string; d: Float32Array }[] = [];
    for (const r of rows) {
      const d = decodeDescriptor(r.descriptor);
      if (typeof d !== 'string') good.push({ name: r.name, d });
    }
    return (this.cached = { good, damaged: rows.length - good.length });
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

/** A stored blob as a descriptor, or why it is not one (wrong length, not a blob, non-finite values). */
function decodeDescriptor(b: unknown): Float32Array | string {
  if (!(b instanceof Uint8Array)) return `not a blob (${b === null ? 'null' : typeof b})`;
  if (b.byteLength !== DESCRIPTOR_LENGTH * 4) return `${b.byteLength} bytes, expected ${DESCRIPTOR_LENGTH * 4} (${DESCRIPTOR_LENGTH} float32)`;
  // SQLite blobs come back at any offset; copy so the view is aligned.
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  const d = new Float32Array(copy.buffer);
  const bad = d.findIndex((x) => !Number.isFinite(x));
  return bad < 0 ? d : `value ${bad} is ${d[bad]}`;
}

function emptyGallery(): Database.Database {
  const db = new Database(':memory:');
  createSchema(db);
  return db;
}

function tablesOf(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS descriptors (
      id INTEGER PRIMARY KEY,
      person INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
      descriptor BLOB NOT NULL,
      source TEXT NOT NULL
    );`);
}

/** A database written by something else is refused, naming what differs, before anything reads or writes it. */
function checkSchema(db: Database.Database, path: string): void {
  const tables = tablesOf(db);
  for (const [table, columns] of Object.entries(SCHEMA)) {
    let why: string | undefined;
    if (!tables.includes(table)) why = `it has no '${table}' table (tables: ${tables.join(', ') || 'none'})`;
    else {
      const have = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      const missing = columns.filter((c) => !have.includes(c));
      if (missing.length) why = `table '${table}' lacks column(s) ${missing.join(', ')} (has ${have.join(', ')})`;
    }
    if (why) throw new TesseraError('UNAVAILABLE', `gallery ${path}: not a tessera-face gallery: ${why}`, { path, table });
  }
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
  // A gallery written before the rollback journal is in WAL mode, whose readers need a writable folder.
  else if (code === 'SQLITE_READONLY_DIRECTORY') why = 'its folder is read-only and the file is in WAL mode (any write command, e.g. forget, where the folder is writable converts it)';
  else if (code.startsWith('SQLITE_READONLY')) why = `cannot write to it (${msg})`;
  else if (code.startsWith('SQLITE_CANTOPEN')) why = `cannot open it (${msg})`;
  return new TesseraError('UNAVAILABLE', `gallery ${path}: ${what} failed: ${why}`, { path, sqlite: code }, { cause: e });
}
