import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TesseraError, isTesseraError } from '@tessera/tensor';

/**
 * A wrong command line (unknown flag, bad value, missing argument): the CLI
 * prints the message and the command's usage, and exits 2 — unlike a failure
 * of the work itself (exit 1).
 */
export function usageError(message: string, details: Record<string, unknown> = {}): TesseraError {
  return new TesseraError('BAD_ARGUMENT', message, { ...details, usage: true });
}

export function isUsageError(e: unknown): e is TesseraError {
  return isTesseraError(e, 'BAD_ARGUMENT') && e.details['usage'] === true;
}

type Options = Record<string, { type: 'string' | 'boolean' }>;
type Values<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };

/** node:util parseArgs, strict, positionals allowed, -h/--help added; its errors become usage errors. */
export function parse<O extends Options>(argv: readonly string[], options: O): { values: Values<O>; positionals: string[] } {
  try {
    const r = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } } as ParseArgsConfig['options'], allowPositionals: true, strict: true });
    return { values: r.values as Values<O>, positionals: r.positionals };
  } catch (e) {
    throw usageError((e as Error).message);
  }
}

export function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(v) || v < 1) throw usageError(`${flag} must be a positive integer, got '${text}'`, { [flag]: text });
  return v;
}

/** "1,2,4" → [1, 2, 4] (each a positive integer). */
export function intList(flag: string, text: string): number[] {
  const parts = text.split(',');
  if (parts.some((p) => p.trim() === '')) throw usageError(`${flag} must be comma-separated positive integers, got '${text}'`, { [flag]: text });
  return parts.map((p) => positiveInt(flag, p.trim()));
}

/** "0.485,0.456,0.406" → numbers (each finite). */
export function numberList(flag: string, text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const vs = parts.map(Number);
  if (parts.some((p) => p === '') || vs.some((v) => !Number.isFinite(v))) throw usageError(`${flag} must be comma-separated numbers, got '${text}'`, { [flag]: text });
  return vs;
}

/** --input-shape N,C,H,W. */
export function shape4(flag: string, text: string): [number, number, number, number] {
  const s = intList(flag, text);
  if (s.length !== 4) throw usageError(`${flag} must be N,C,H,W (4 sizes), got '${text}'`, { [flag]: text });
  return s as [number, number, number, number];
}

/** --size H,W. */
export function size2(flag: string, text: string): [number, number] {
  const s = intList(flag, text);
  if (s.length !== 2) throw usageError(`${flag} must be H,W (2 sizes), got '${text}'`, { [flag]: text });
  return s as [number, number];
}

export function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw usageError(`${flag} must be one of ${allowed.join(', ')}, got '${text}'`, { [flag]: text });
  return text as T;
}

/** Exactly `n` positionals, named for the message. */
export function positionals(got: readonly string[], names: readonly string[]): string[] {
  if (got.length !== names.length) {
    throw usageError(got.length < names.length ? `missing ${names.slice(got.length).join(' ')}` : `unexpected argument '${got[names.length]}'`);
  }
  return [...got];
}
