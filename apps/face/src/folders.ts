import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { TesseraError } from '@tessera/tensor';

/** File name endings read as images; other files in a folder are left alone. */
export const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.bmp', '.avif']);

/** A folder entry the walk could not read (dangling link, link loop, unreadable folder): skipped with a warning. */
export interface Skipped { path: string; reason: string }

function isImageName(name: string): boolean {
  return IMAGE_EXT.has(extname(name).toLowerCase());
}

/**
 * The image files under `dir`, sub-folders included, sorted by path within each folder. A sub-folder
 * that cannot be read is skipped and returned with why; a folder reached twice through links is
 * walked once. An image entry stat cannot follow (dangling link, loop) stays in the list: the
 * pipeline reports it as that image's error; other entries stat cannot follow are not images and are passed over.
 */
function walkImages(dir: string, files: string[], skipped: Skipped[], seen: Set<string>): void {
  let entries: string[];
  try {
    const real = realpathSync(dir);
    if (seen.has(real)) return;
    seen.add(real);
    entries = readdirSync(dir).sort();
  } catch (e) {
    skipped.push({ path: dir, reason: walkReason(e) });
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      // A link to nothing named like an image is reported by the pipeline, naming the file; other names were never images.
      if (isImageName(e)) files.push(p);
      continue;
    }
    if (isDir) walkImages(p, files, skipped, seen);
    else if (isImageName(e)) files.push(p);
  }
}

/** A command-line path: a folder's images (walked recursively), or the path itself (a missing file fails later as BAD_IMAGE, naming it). */
export function imagesOf(path: string): { files: string[]; skipped: Skipped[] } {
  let isDir = false;
  try { isDir = statSync(path).isDirectory(); } catch { /* not there: decodeImage reports it */ }
  if (!isDir) return { files: [path], skipped: [] };
  const files: string[] = [], skipped: Skipped[] = [];
  walkImages(path, files, skipped, new Set());
  if (files.length === 0 && skipped.length === 0) throw new TesseraError('BAD_ARGUMENT', `${path}: no images found (looked for ${[...IMAGE_EXT].join(' ')})`, { path });
  return { files, skipped };
}

/**
 * DIR/person/**\/*.jpg (each sub-folder of DIR is a person; their folder is walked recursively), or
 * DIR/person.jpg and DIR/person-2.jpg (the name is the file name up to a trailing -N or _N).
 * An entry that cannot be read is skipped and returned with why, so one bad link does not stop the rest.
 */
export function labelledFolder(dir: string): { jobs: { name: string; paths: string[] }[]; skipped: Skipped[] } {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new TesseraError('BAD_ARGUMENT', `${dir}: cannot read the folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path: dir });
  }
  const byName = new Map<string, string[]>();
  const skipped: Skipped[] = [];
  const add = (name: string, ps: string[]): void => { if (ps.length) byName.set(name, [...(byName.get(name) ?? []), ...ps]); };
  for (const e of entries) {
    const p = join(dir, e);
    try {
      if (statSync(p).isDirectory()) {
        const files: string[] = [];
        walkImages(p, files, skipped, new Set());
        add(e, files);
      } else if (isImageName(e)) {
        add(basename(e, extname(e)).replace(/[-_ ]?\d+$/, '') || basename(e, extname(e)), [p]);
      }
    } catch (err) {
      skipped.push({ path: p, reason: walkReason(err) });
    }
  }
  if (byName.size === 0) throw new TesseraError('BAD_ARGUMENT', `${dir}: no images found (looked for ${[...IMAGE_EXT].join(' ')})`, { path: dir, skipped });
  return { jobs: [...byName].map(([name, paths]) => ({ name, paths })), skipped };
}

export function walkReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = { ENOENT: 'a link to nothing', ELOOP: 'a symbolic link loop', EACCES: 'permission denied', EPERM: 'permission denied', ENOTDIR: 'not a folder' };
  return code ? `${why[code] ?? 'cannot read it'} (${code})` : String(e);
}

/**
 * File-name stems for output pictures, one per input path, unique among them: the file's name
 * without its extension, and -2, -3, ... after a stem already taken (same name in two folders).
 */
export function uniqueStems(paths: readonly string[]): string[] {
  const taken = new Set<string>();
  return paths.map((p) => {
    const stem = basename(p, extname(p)) || 'image';
    let s = stem;
    for (let k = 2; taken.has(s); k++) s = `${stem}-${k}`;
    taken.add(s);
    return s;
  });
}
