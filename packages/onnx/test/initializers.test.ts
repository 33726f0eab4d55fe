import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { importOnnx } from '../src/index.js';
import { bfloat16ToFloat, halfToFloat } from '../src/constants.js';
import { bfloat16Bits, halfBits, onnxBytes } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

describe('float16 / bfloat16 initializers', () => {
  it('every float16 bit pattern converts exactly (round trip through the writer\'s encoder)', () => {
    for (let b = 0; b < 0x10000; b++) {
      const v = halfToFloat(b);
      if (Number.isNaN(v)) { expect((b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0).to.equal(true); continue; }
      expect(halfBits(v), `0x${b.toString(16)} → ${v}`).to.equal(b);
      expect(Math.fround(v)).to.equal(v);
    }
    expect(halfToFloat(0x3c00)).to.equal(1);
    expect(halfToFloat(0xc000)).to.equal(-2);
    expect(halfToFloat(0x0001)).to.equal(2 ** -24);
    expect(halfToFloat(0x7bff)).to.equal(65504);
    expect(halfToFloat(0xfc00)).to.equal(-Infinity);
    expect(Object.is(halfToFloat(0x8000), -0)).to.equal(true);
  });

  it('bfloat16 patterns are the top half of a float32', () => {
    for (const v of [1, -2.5, 3.140625, 2 ** -70, -65536]) expect(bfloat16ToFloat(bfloat16Bits(v))).to.equal(v);
  });

  for (const type of ['float16', 'bfloat16'] as const) {
    for (const encoding of ['raw', 'typed'] as const) {
      it(`${type} ${encoding} weights (Cast to float, then Conv) match onnxruntime-node`, async () => {
        const w = randomTensor([4, 3, 3, 3], 7).toFloat32Array();
        const bytes = onnxBytes({
          input: { name: 'x', dims: [1, 3, 8, 9] }, output: 'y',
          nodes: [{ op: 'Cast', inputs: ['W16'], outputs: ['W'], attrs: { to: 1 } }, { op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } }],
          inits: [{ name: 'W16', dims: [4, 3, 3, 3], data: w, type, encoding }],
        });
        await expectMatchesOrt(bytes, [1, 3, 8, 9], 8, `${type} ${encoding}`);
      });
    }
  }

  it('a float16 raw_data of the wrong length is BAD_MODEL before allocating', () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 3, 8, 9] }, output: 'y',
      nodes: [{ op: 'Cast', inputs: ['W16'], outputs: ['W'], attrs: { to: 1 } }, { op: 'Conv', inputs: ['x', 'W'], outputs: ['y'] }],
      inits: [{ name: 'W16', dims: [4, 3, 3, 4], data: new Float32Array(4 * 3 * 3 * 3), type: 'float16' }],
    });
    expect(() => importOnnx(bytes)).to.throw(/'W16': raw_data holds 216 bytes, dims \[4, 3, 3, 4\] need 288/);
  });
});
