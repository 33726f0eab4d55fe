import { expect } from 'chai';
import { Tensor, isTesseraError, randInt, randomTensor, rng } from '@tessera/tensor';
import { decodeNpy, encodeNpy } from '../src/npy.js';
import { classCount, topK } from '../src/top-k.js';

/** .npy bytes with any header text and data (the header padded as numpy pads it). */
function npyBytes(header: string, data: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = `${header.padEnd(total - pre - 1)}\n`;
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true); else dv.setUint32(8, h.length, true);
  for (let i = 0; i < h.length; i++) out[pre + i] = h.charCodeAt(i);
  out.set(data, total);
  return out;
}

const expectBad = (f: () => unknown, msg: RegExp): void => {
  try { f(); } catch (e) {
    expect(isTesseraError(e, 'BAD_ARGUMENT'), String(e)).to.equal(true);
    expect((e as Error).message).to.match(msg);
    return;
  }
  expect.fail(`no error, expected ${msg}`);
};

describe('.npy reader and writer', () => {
  it('writes what numpy.save writes for a float32 C-order array', () => {
    const bytes = encodeNpy([2, 3], Float32Array.from([0, 1, 2, 3, 4, 5]));
    // numpy.save(np.arange(6, dtype='<f4').reshape(2, 3)): 128-byte header, then the data.
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect(Buffer.from(bytes.subarray(0, 10)).equals(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]))).to.equal(true);
    expect(Buffer.from(bytes.subarray(10, 128)).toString('latin1')).to.equal(`${header.padEnd(117)}\n`);
    expect(bytes.length).to.equal(128 + 24);
    expect(Array.from(new Float32Array(bytes.slice(128).buffer))).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(Buffer.from(encodeNpy([3], new Float32Array(3))).toString('latin1')).to.include("'shape': (3,), }");
  });

  it('round-trips random shapes (odd sizes, ranks 1 to 5) bit for bit, special values included', () => {
    const rand = rng(5);
    for (let trial = 0; trial < 30; trial++) {
      const shape = Array.from({ length: randInt(rand, 1, 5) }, () => randInt(rand, 1, 7));
      const t = randomTensor(shape, trial);
      t.data[0] = trial % 3 === 0 ? NaN : trial % 3 === 1 ? -0 : Infinity;
      const back = decodeNpy(encodeNpy(shape, t.data), 'x.npy');
      expect(back.shape).to.deep.equal(shape);
      expect(Buffer.from(back.data.buffer).equals(Buffer.from(t.data.buffer))).to.equal(true);
    }
  });

  it('reads float64 (converted to float32), version 2.0 headers and spaces numpy may write', () => {
    const f64 = new Float64Array([0.1, -2.5, 1e-3, 7]);
    const a = decodeNpy(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (2,2), }", new Uint8Array(f64.buffer)), 'a.npy');
    expect(a.shape).to.deep.equal([2, 2]);
    expect(Array.from(a.data)).to.deep.equal(Array.from(Float32Array.from(f64)));
    const f32 = Float32Array.from([1, 2, 3]);
    const b = decodeNpy(npyBytes("{'descr':'<f4','fortran_order':False,'shape':( 3 , ),}", new Uint8Array(f32.buffer), 2), 'b.npy');
    expect(b.shape).to.deep.equal([3]);
    expect(Array.from(b.data)).to.deep.equal([1, 2, 3]);
  });

  it('refuses what it cannot read with the file named and why', () => {
    const four = new Uint8Array(16);
    expectBad(() => decodeNpy(new Uint8Array([1, 2, 3]), 'tiny.npy'), /tiny\.npy: not a usable \.npy file \(wrong magic bytes/);
    expectBad(() => decodeNpy(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four), 'f.npy'), /f\.npy: .*fortran_order is True/);
    expectBad(() => decodeNpy(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", four), 'be.npy'), /dtype '>f4' is not little-endian float32/);
    expectBad(() => decodeNpy(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", four), 'i.npy'), /dtype '<i8'/);
    expectBad(() => decodeNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", four), 'short.npy'), /needs 24 data bytes, the file has 16/);
    expectBad(() => decodeNpy(npyBytes("{'descr': '<f4', 'shape': (4,), }", four), 'h.npy'), /lacks descr, fortran_order or shape/);
    const huge = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four);
    new DataView(huge.buffer).setUint16(8, 60000, true);
    expectBad(() => decodeNpy(huge, 'huge.npy'), /header of 60000 bytes runs past the file/);
    expectBad(() => decodeNpy(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four).map((v, i) => (i === 6 ? 9 : v)), 'v.npy'), /format version 9\.0/);
  });
});

describe('top-k of a classifier output', () => {
  it('only [N, K] and [N, K, 1, 1] outputs (K ≥ 2) are classifier outputs', () => {
    expect(classCount(Tensor.zeros([2, 10]))).to.equal(10);
    expect(classCount(Tensor.zeros([1, 7, 1, 1]))).to.equal(7);
    expect(classCount(Tensor.zeros([1, 7, 2, 1]))).to.equal(undefined);
    expect(classCount(Tensor.zeros([1, 1]))).to.equal(undefined);
    expect(topK(Tensor.zeros([1, 3, 4, 4]), 5)).to.equal(undefined);
  });

  it('logits: softmax in float64, best first, ties by class index; k larger than K lists K', () => {
    const t = Tensor.from([1, 3, 3, -2, 0, /* sample 2 */ 5, 4, 3, 2, 1], [2, 5]);
    const r = topK(t, 9)!;
    expect(r.kind).to.equal('softmax of logits');
    expect(r.samples[0]!.map((c) => c.index)).to.deep.equal([1, 2, 0, 4, 3]);
    const z = [1, 3, 3, -2, 0].reduce((s, v) => s + Math.exp(v - 3), 0);
    expect(r.samples[0]![0]!.score).to.be.closeTo(1 / z, 1e-12);
    expect(r.samples[0]!.reduce((s, c) => s + c.score, 0)).to.be.closeTo(1, 1e-12);
    expect(r.samples[1]!.map((c) => c.index)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(r.samples[1]![0]!.raw).to.equal(5);
  });

  it('a row that already sums to 1 and is non-negative is taken as probabilities; one negative value makes it logits', () => {
    const p = topK(Tensor.from([0.1, 0.6, 0.3], [1, 3, 1, 1]), 2)!;
    expect(p.kind).to.equal('probabilities');
    expect(p.samples[0]!.map((c) => [c.index, c.score])).to.deep.equal([[1, Math.fround(0.6)], [2, Math.fround(0.3)]]);
    expect(topK(Tensor.from([-0.1, 0.8, 0.3], [1, 3]), 1)!.kind).to.equal('softmax of logits');
    expect(topK(Tensor.from([0.2, 0.2, 0.2], [1, 3]), 1)!.kind).to.equal('softmax of logits');
  });
});
