import { expect } from 'chai';
import { Tensor, isTesseraError } from '@tessera/tensor';
import { ProtoWriter, TENSOR_FIELDS, decodeTensor, encodeTensor } from '../src/index.js';
import { randomInput, sameBits } from './helpers.js';

function tensorMessage(dtype: number, shape: number[], data: Uint8Array): Uint8Array {
  return new ProtoWriter().uint32Field(TENSOR_FIELDS.dtype, dtype).packedUint32Field(TENSOR_FIELDS.shape, shape).bytesField(TENSOR_FIELDS.data, data).finish();
}

function expectCode(f: () => unknown, code: string, text?: RegExp): void {
  try {
    f();
  } catch (e) {
    expect(isTesseraError(e), String(e)).to.equal(true);
    expect((e as { code: string }).code).to.equal(code);
    if (text) expect((e as Error).message).to.match(text);
    return;
  }
  expect.fail('expected a TesseraError');
}

describe('tensor codec', () => {
  it('round-trips rank 1, 2 and 4 tensors bit for bit, special values included', () => {
    const special = Tensor.from([0, -0, Infinity, -Infinity, NaN, 1e-45, 3.4e38, -1.5], [8]);
    for (const t of [special, randomInput([3, 5]), randomInput([2, 3, 4, 5])]) {
      const back = decodeTensor(encodeTensor(t));
      expect(back.shape).to.deep.equal(t.shape);
      expect(sameBits(back, t)).to.equal(true);
    }
  });

  it('encodes views and strided tensors as their row-major elements', () => {
    const t = randomInput([1, 3, 6, 6]);
    const v = t.view({ n0: 0, n1: 1, c0: 1, c1: 3, y0: 2, y1: 5, x0: 1, x1: 4 });
    const back = decodeTensor(encodeTensor(v));
    expect(back.shape).to.deep.equal([1, 2, 3, 3]);
    expect(sameBits(back, v.clone())).to.equal(true);
  });

  it('copies data sitting at an offset that is not a multiple of 4', () => {
    const t = randomInput([2, 7]);
    const bytes = encodeTensor(t);
    for (const shift of [1, 2, 3, 4]) {
      const buf = new Uint8Array(bytes.length + shift);
      buf.set(bytes, shift);
      const view = buf.subarray(shift);
      expect(sameBits(decodeTensor(view), t)).to.equal(true);
      expect(sameBits(decodeTensor(view, {}, { copy: 'when-needed' }), t)).to.equal(true);
    }
  });

  it('owns its memory by default; shares it on request when aligned', () => {
    const t = randomInput([4]);
    const bytes = encodeTensor(t);
    const owned = decodeTensor(bytes);
    expect(owned.data.buffer).to.not.equal(bytes.buffer);
    // Data is the last field (16 bytes): place the message so that it starts on a 4-byte boundary.
    const shift = (4 - ((bytes.length - 16) % 4)) % 4;
    const buf = new Uint8Array(bytes.length + shift);
    buf.set(bytes, shift);
    const shared = decodeTensor(buf.subarray(shift), {}, { copy: 'when-needed' });
    expect(shared.data.buffer).to.equal(buf.buffer);
    expect(shared.data.byteOffset).to.equal(buf.length - 16);
    expect(sameBits(shared, t)).to.equal(true);
    expect(decodeTensor(buf.subarray(shift)).data.buffer, 'the default copies').to.not.equal(buf.buffer);
  });

  it('rejects bad dtypes, empty and zero shapes, wrong data lengths with BAD_ARGUMENT', () => {
    expectCode(() => decodeTensor(tensorMessage(0, [2], new Uint8Array(8))), 'BAD_ARGUMENT', /dtype 0/);
    expectCode(() => decodeTensor(tensorMessage(7, [2], new Uint8Array(8))), 'BAD_ARGUMENT', /dtype 7/);
    expectCode(() => decodeTensor(tensorMessage(1, [], new Uint8Array(0))), 'BAD_ARGUMENT', /shape is empty/);
    expectCode(() => decodeTensor(tensorMessage(1, [2, 0], new Uint8Array(0))), 'BAD_ARGUMENT', /zero dimension/);
    expectCode(() => decodeTensor(tensorMessage(1, [3], new Uint8Array(8))), 'BAD_ARGUMENT', /needs 12 bytes/);
  });

  it('rejects a declared 2^30-element shape before allocating', () => {
    const t0 = process.memoryUsage().arrayBuffers;
    expectCode(() => decodeTensor(tensorMessage(1, [1024, 1024, 1024], new Uint8Array(4))), 'BAD_ARGUMENT', /maxTensorBytes/);
    expectCode(() => decodeTensor(tensorMessage(1, [0xffffffff, 0xffffffff, 0xffffffff], new Uint8Array(4))), 'BAD_ARGUMENT', /maxTensorBytes/);
    expect(process.memoryUsage().arrayBuffers - t0).to.be.below(1 << 20);
  });

  it('applies the rank and size limits it is given', () => {
    const t = randomInput([1, 1, 1, 1, 2]);
    expectCode(() => decodeTensor(encodeTensor(t), { maxRank: 4 }), 'BAD_ARGUMENT', /more than 4/);
    expectCode(() => decodeTensor(encodeTensor(randomInput([100])), { maxTensorBytes: 399 }), 'BAD_ARGUMENT', /maxTensorBytes/);
    expect(decodeTensor(encodeTensor(randomInput([100])), { maxTensorBytes: 400 }).size).to.equal(100);
    expectCode(() => decodeTensor(new Uint8Array(0), { maxRank: 0 }), 'BAD_ARGUMENT', /maxRank/);
  });

  it('skips unknown fields and accepts an unpacked shape', () => {
    const data = new Uint8Array(new Float32Array([1, 2]).buffer);
    const w = new ProtoWriter().uint32Field(9, 42).uint32Field(TENSOR_FIELDS.dtype, 1);
    w.tag(TENSOR_FIELDS.shape, 0).varint(1).tag(TENSOR_FIELDS.shape, 0).varint(2);
    w.bytesField(TENSOR_FIELDS.data, data).bytesField(15, new Uint8Array(3));
    expect(decodeTensor(w.finish()).toArray()).to.deep.equal([1, 2]);
  });

  it('refuses partial tensors with BAD_ARGUMENT', () => {
    const p = Tensor.partial([1, 1, 4, 4], { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 2, x0: 0, x1: 4 });
    expectCode(() => encodeTensor(p), 'BAD_ARGUMENT');
  });
});
