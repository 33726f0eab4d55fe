import { expect } from 'chai';
import { isTesseraError } from '@tessera/tensor';
import { ProtoWriter } from '../src/index.js';

/** Byte-level mutations for the decoder fuzz tests (seeded: failures reproduce). */

/** 1 to 4 edits: set, flip a bit, truncate, insert, delete, splice, or plant a tag-ish byte. */
export function mutate(src: Uint8Array, r: () => number): Uint8Array {
  let b: Uint8Array = src.slice();
  const edits = 1 + Math.floor(r() * 4);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(r() * Math.max(1, b.length));
    const kind = Math.floor(r() * 7);
    if (kind === 0 && b.length) b[i] = Math.floor(r() * 256);
    else if (kind === 1 && b.length) b[i]! ^= 1 << Math.floor(r() * 8);
    else if (kind === 2) b = b.subarray(0, i);
    else if (kind === 3) b = Buffer.concat([b.subarray(0, i), Buffer.from([Math.floor(r() * 256)]), b.subarray(i)]);
    else if (kind === 4) b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1 + Math.floor(r() * 8))]);
    else if (kind === 5) b = Buffer.concat([b.subarray(0, i), b.subarray(Math.floor(r() * b.length))]); // splice a segment
    else if (b.length) b[i] = [0x00, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a][Math.floor(r() * 7)]!; // tag-ish and varint-ish bytes
  }
  return b;
}

export function randomBytes(r: () => number, max = 96): Uint8Array {
  const b = new Uint8Array(Math.floor(r() * max));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  return b;
}

const HUGE = [2 ** 31, 2 ** 32 + 5, 2 ** 40, Number.MAX_SAFE_INTEGER];

/** `src` with a length-delimited field of field number 1–16 declaring a huge length planted at a random offset. */
export function plantHugeLength(src: Uint8Array, r: () => number): Uint8Array {
  const i = Math.floor(r() * (src.length + 1));
  const lie = new ProtoWriter().tag(1 + Math.floor(r() * 16), 2).varint(HUGE[Math.floor(r() * HUGE.length)]!).finish();
  return Buffer.concat([src.subarray(0, i), lie, src.subarray(i)]);
}

/** Runs `f`: true if it returned, false if it threw a TesseraError (of `code` when given); fails on anything else. */
export function survives(f: () => unknown, what: string, code?: string): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!isTesseraError(e)) expect.fail(`${what} threw a non-TesseraError: ${e instanceof Error ? e.stack : String(e)}`);
    if (code !== undefined && e.code !== code) expect.fail(`${what} threw ${e.code}, expected ${code}: ${e.message}`);
    return false;
  }
}
