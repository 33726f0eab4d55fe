import { expect } from 'chai';
import {
  MAX_TENSOR_ELEMENTS, Tensor, TesseraError, allocFloat32, applyOp, checkSize, conv2d, engineTensor, enginePartial, fmtBytes, getOp, pad, resizeBilinear,
} from '../src/index.js';

/** `f` throws a TesseraError RESOURCE_EXHAUSTED (not a RangeError) whose message names `names`. */
function expectExhausted(f: () => unknown, ...names: string[]): TesseraError {
  let caught: unknown;
  try { f(); } catch (e) { caught = e; }
  expect(caught, 'expected a throw').to.be.instanceOf(TesseraError);
  const e = caught as TesseraError;
  expect(e.code).to.equal('RESOURCE_EXHAUSTED');
  for (const n of names) expect(e.message).to.include(n);
  return e;
}

describe('allocation limits (issue 14)', () => {
  const one = Tensor.zeros([1, 1, 1, 1]);

  it('Tensor.zeros, filled and partial refuse a shape no tensor can hold, naming it', () => {
    expectExhausted(() => Tensor.zeros([1, 1, 1e6, 1e6]), '[1, 1, 1000000, 1000000]', '1000000000000 elements');
    expectExhausted(() => Tensor.filled([1, 1, 1e6, 1e6], 1, { shared: true }), '[1, 1, 1000000, 1000000]');
    expectExhausted(() => Tensor.partial([1, 1, 1e6, 1e6], { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 1e6, x0: 0, x1: 1e6 }));
    // A product past 2^53 is not exact: refused, not rounded.
    expectExhausted(() => Tensor.zeros([1e9, 1e9, 1e9, 1e9]), 'elements');
  });

  it('a partial tensor of a huge logical shape is fine while its stored region is small', () => {
    const t = Tensor.partial([1, 1, 1e6, 1e6], { n0: 0, n1: 1, c0: 0, c1: 1, y0: 5, y1: 7, x0: 9, x1: 12 });
    expect(t.data.length).to.equal(6);
  });

  it('engine tensors refuse the same shapes before touching the engine heap', () => {
    expectExhausted(() => engineTensor([1, 1, 1e6, 1e6]), 'engine tensor');
    expectExhausted(() => enginePartial([1, 1, 1e6, 1e6], { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 1e6, x0: 0, x1: 1e6 }), 'engine partial');
  });

  it('pad, resize and conv2d to 1e6 fail in outputShape with RESOURCE_EXHAUSTED, not a RangeError', () => {
    expectExhausted(() => pad(one, { top: 0, bottom: 1e6, left: 0, right: 1e6 }), 'pad output', '[1, 1, 1000001, 1000001]');
    expectExhausted(() => resizeBilinear(one, { height: 1e6, width: 1e6 }), 'resize output');
    expectExhausted(() => conv2d(one, Tensor.zeros([1, 1, 1, 1]), null, { kernel: 1, padding: 1e6 }), 'conv2d output');
    // Shape inference alone (what a model does when it is built or loaded) refuses them too.
    expectExhausted(() => getOp('pad').outputShape({ op: 'pad', top: 1e6, bottom: 0, left: 1e6, right: 0 }, [[1, 1, 1, 1]], {}), 'pad output');
    expectExhausted(() => getOp('resize').outputShape({ op: 'resize', height: 1e6, width: 1e6 }, [[1, 1, 1, 1]], {}), 'resize output');
    expectExhausted(() => applyOp({ op: 'pad', top: 1e6, bottom: 0, left: 1e6, right: 0 }, [one]), 'pad output');
  });

  it('the limit is 2^31 − 1 elements; at the limit the shape passes the check', () => {
    expect(MAX_TENSOR_ELEMENTS).to.equal(2 ** 31 - 1);
    expect(checkSize([1, 1, 46340, 46340])).to.equal(46340 * 46340);
    expectExhausted(() => checkSize([2, 1, 32768, 32768]), '2147483648 elements');
  });

  it('allocFloat32 turns a RangeError of the allocator into RESOURCE_EXHAUSTED', () => {
    expectExhausted(() => allocFloat32(-1, false, 'test'), 'test');
    expect(allocFloat32(3, true, 'test').buffer).to.be.instanceOf(SharedArrayBuffer);
    expect(fmtBytes(2 ** 31)).to.equal('2147483648 bytes (2.00 GiB)');
    expect(fmtBytes(12)).to.equal('12 bytes');
  });
});
