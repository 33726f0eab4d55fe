import { TesseraError } from './errors.js';

/*
 * The one validation helper for specs and options (DESIGN.md §6: an unknown
 * or misspelt key is an error, never ignored). Every op spec, executor option
 * and builder call runs its object through checkKeys, and its typed fields
 * through checkBool / checkEnum (checkInt and checkFinite live in errors.ts).
 *
 * checkKeys runs before every kernel call: it walks the object's own keys
 * with no allocation; the did-you-mean is worked out only when it throws.
 */

/** Throws BAD_ARGUMENT unless `obj` is an object whose own enumerable keys are all in `allowed`. */
export function checkKeys(what: string, obj: unknown, allowed: readonly string[]): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be an object, got ${describe(obj)}`, { [what]: obj });
  }
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key) || allowed.includes(key)) continue;
    throw unknownKey(what, key, (obj as Record<string, unknown>)[key], allowed);
  }
}

/** The error checkKeys throws, for callers that find an unknown key by other means. */
export function unknownKey(what: string, key: string, value: unknown, allowed: readonly string[]): TesseraError {
  const near = didYouMean(key, allowed);
  const hint = near ? `; did you mean '${near}'?` : '.';
  const accepted = allowed.length ? allowed.join(', ') : 'none';
  return new TesseraError('BAD_ARGUMENT', `${what}: unknown key '${key}' (value ${describe(value)})${hint} Accepted keys: ${accepted}`,
    { key, value, accepted: allowed, ...(near ? { didYouMean: near } : {}) });
}

/** Throws BAD_ARGUMENT unless `value` is undefined or a boolean (`'no'` must not read as true). */
export function checkBool(what: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be true or false, got ${describe(value)}`, { [what]: value });
  }
  return value;
}

/** Throws BAD_ARGUMENT unless `value` is undefined or one of `values`. */
export function checkEnum<T extends string>(what: string, value: unknown, values: readonly T[]): T | undefined {
  if (value !== undefined && !(values as readonly unknown[]).includes(value)) {
    const near = typeof value === 'string' ? didYouMean(value, values) : undefined;
    throw new TesseraError('BAD_ARGUMENT',
      `${what} must be one of ${values.map((v) => `'${v}'`).join(', ')}, got ${describe(value)}${near ? `; did you mean '${near}'?` : ''}`,
      { [what]: value, accepted: values });
  }
  return value as T | undefined;
}

/**
 * The accepted name closest to `key`: edit distance (case-insensitive, a
 * swap of neighbours counts one) of at most a third of its length (1 for
 * short names), or one name a prefix of the other (`padd` → `padding`).
 */
export function didYouMean(key: string, allowed: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined, bestD = Infinity;
  for (const a of allowed) {
    const l = a.toLowerCase();
    const d = editDistance(k, l);
    const prefix = Math.min(k.length, l.length) >= 3 && (l.startsWith(k) || k.startsWith(l));
    if ((d <= Math.max(1, Math.floor(a.length / 3)) || prefix) && d < bestD) {
      best = a;
      bestD = d;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) { rows[0]![j] = j; continue; }
      const r = rows[i]!, up = rows[i - 1]!;
      let d = Math.min(up[j]! + 1, r[j - 1]! + 1, up[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      r[j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** A value as messages print it: strings quoted, objects as JSON (cut short), the rest as String(). */
function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v !== null && typeof v === 'object') {
    try {
      const s = JSON.stringify(v);
      if (s !== undefined) return s.length > 80 ? `${s.slice(0, 77)}...` : s;
    } catch { /* cyclic: fall through */ }
    return Object.prototype.toString.call(v);
  }
  return String(v);
}
