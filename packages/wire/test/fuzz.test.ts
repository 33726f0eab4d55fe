import { expect } from 'chai';
import { ModelBuilder } from '@tessera/nn';
import { isTesseraError, rng } from '@tessera/tensor';
import { decodeModel, decodeModelFile, decodeTensor, encodeModel, encodeModelFile, encodeTensor } from '../src/index.js';
import { dagModel, randomInput } from './helpers.js';

/** Small limits so that any check done after an allocation instead of before would show. */
const LIMITS = { maxTensorBytes: 1 << 20, maxModelBytes: 1 << 20 };

function mutate(src: Uint8Array, r: () => number): Uint8Array {
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

function randomBytes(r: () => number): Uint8Array {
  const b = new Uint8Array(Math.floor(r() * 96));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** Runs `f`, failing on anything thrown that is not a TesseraError; counts successes. */
function survives(f: () => unknown, what: string): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (!isTesseraError(e)) expect.fail(`${what} threw a non-TesseraError: ${e instanceof Error ? e.stack : String(e)}`);
    return false;
  }
}

describe('fuzzing the decoders', () => {
  it('decodeModel: thousands of random and mutated payloads give a Model or a TesseraError, without big allocations', () => {
    const r = rng(2024);
    const b = new ModelBuilder('tiny', [1, 2, 6, 6], { seed: 1 });
    const c = b.conv2d(b.input, { outChannels: 2, kernel: 3, padding: 'same', dilation: 2 });
    b.dense(b.concat([c, b.pad(b.input, { top: 0, bottom: 0, left: 0, right: 0, value: -Infinity })]), 3);
    const seeds = [encodeModel(b.build()), encodeModel(dagModel())];
    const ab0 = process.memoryUsage().arrayBuffers;
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = i % 5 === 0 ? randomBytes(r) : mutate(seeds[i % 2]!, r);
      if (survives(() => decodeModel(bytes, LIMITS), `payload ${i}`)) ok++;
    }
    expect(ok).to.be.below(3000); // most mutations are caught
    expect(process.memoryUsage().arrayBuffers - ab0).to.be.below(64 << 20);
  });

  it('decodeTensor: random and mutated messages', () => {
    const r = rng(99);
    const seeds = [encodeTensor(randomInput([2, 3, 4, 5])), encodeTensor(randomInput([7]))];
    for (let i = 0; i < 3000; i++) {
      const bytes = i % 4 === 0 ? randomBytes(r) : mutate(seeds[i % 2]!, r);
      survives(() => decodeTensor(bytes, LIMITS), `tensor ${i}`);
    }
  });

  it('decodeModelFile: mutated files', () => {
    const r = rng(7);
    const file = encodeModelFile(dagModel());
    for (let i = 0; i < 500; i++) {
      const bytes = mutate(file, r);
      try {
        decodeModelFile(bytes, LIMITS, 'fuzz.tsm');
      } catch (e) {
        expect(isTesseraError(e, 'BAD_MODEL'), String(e)).to.equal(true);
        expect((e as Error).message).to.contain('fuzz.tsm');
      }
    }
  });
});
