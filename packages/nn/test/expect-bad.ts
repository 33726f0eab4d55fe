import { expect } from 'chai';
import { TesseraError } from '@tessera/tensor';

/**
 * Asserts `f` throws (or rejects with) a TesseraError BAD_ARGUMENT whose
 * message contains every one of `parts`. Shared by the strict-options tests
 * of nn, scheduler and gpu (issue 14).
 */
export async function expectBadArgument(f: () => unknown, ...parts: string[]): Promise<void> {
  let thrown: unknown;
  try {
    await f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'nothing was thrown').to.be.instanceOf(TesseraError);
  const e = thrown as TesseraError;
  expect(e.code, e.message).to.equal('BAD_ARGUMENT');
  for (const p of parts) expect(e.message).to.include(p);
}
