import { expect } from 'chai';
import { ModelBuilder } from '@tessera/nn';
import { isTesseraError, rng } from '@tessera/tensor';
import { decodeModel, decodeModelFile, decodeTensor, encodeModel, encodeModelFile, encodeTensor } from '../src/index.js';
import { mutate, randomBytes, survives } from './fuzz-helpers.js';
import { dagModel, randomInput } from './helpers.js';

/** Small limits so that any check done after an allocation instead of before would show. */
const LIMITS = { maxTensorBytes: 1 << 20, maxModelBytes: 1 << 20 };

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
