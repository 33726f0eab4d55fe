import { expect } from 'chai';
import { TesseraError } from '@tessera/tensor';
import { ModelBuilder, type Model } from '../src/index.js';

/*
 * Issue 14's hostile model: a 1×1 input padded to 23171² asks for 2 GiB
 * (23171² float32 = 2147580964 bytes) from a file of under 200 bytes.
 * Shared by the memory-budget tests of nn, wire, scheduler and gpu.
 */

export const HOSTILE_SIDE = 23171;
export const HOSTILE_BYTES = HOSTILE_SIDE * HOSTILE_SIDE * 4;

export function hostilePadModel(): Model {
  const b = new ModelBuilder('hostile-pad', [1, 1, 1, 1]);
  return b.build(b.pad(b.input, { top: 0, bottom: HOSTILE_SIDE - 1, left: 0, right: HOSTILE_SIDE - 1 }, 'huge-pad'));
}

/**
 * Asserts `f` rejects with RESOURCE_EXHAUSTED naming every one of `parts`
 * (the layer and the bytes), and that the process did not grow by 200 MB
 * meanwhile: the run was refused before anything was allocated.
 */
export async function expectRefused(f: () => unknown, ...parts: string[]): Promise<TesseraError> {
  const rss0 = process.memoryUsage.rss();
  let thrown: unknown;
  try {
    await f();
  } catch (e) {
    thrown = e;
  }
  const grew = process.memoryUsage.rss() - rss0;
  expect(thrown, 'nothing was thrown').to.be.instanceOf(TesseraError);
  const e = thrown as TesseraError;
  expect(e.code, e.message).to.equal('RESOURCE_EXHAUSTED');
  for (const p of parts) expect(e.message).to.include(p);
  expect(grew, `RSS grew by ${grew} bytes`).to.be.below(200 * 2 ** 20);
  return e;
}
