import { expect } from 'chai';
import { Tensor, copyRegion } from '../src/tensor.js';
import { TesseraError } from '../src/errors.js';
import { checkRegion, fullRegion, splitRegion, regionVolume } from '../src/region.js';

describe('Tensor', () => {
  it('is float32 NCHW with contiguous strides', () => {
    const t = Tensor.zeros([2, 3, 4, 5]);
    expect(t.strides).to.deep.equal([60, 20, 5, 1]);
    expect(t.size).to.equal(120);
    t.set(7, 1, 2, 3, 4);
    expect(t.data[119]).to.equal(7);
    expect(t.get(1, 2, 3, 4)).to.equal(7);
  });

  it('can live in a SharedArrayBuffer', () => {
    const t = Tensor.zeros([1, 2, 3, 3], { shared: true });
    expect(t.isShared).to.equal(true);
    const u = Tensor.wrap(t.data.buffer, [1, 2, 3, 3]);
    u.set(5, 0, 1, 2, 2);
    expect(t.get(0, 1, 2, 2)).to.equal(5);
  });

  it('views a region without copying', () => {
    const t = Tensor.from(Array.from({ length: 2 * 2 * 4 * 4 }, (_, i) => i), [2, 2, 4, 4]);
    const v = t.view({ n0: 1, n1: 2, c0: 1, c1: 2, y0: 1, y1: 3, x0: 2, x1: 4 });
    expect(v.shape).to.deep.equal([1, 1, 2, 2]);
    expect(v.toArray()).to.deep.equal([54, 55, 58, 59]); // n·32 + c·16 + y·4 + x
    v.set(-1, 0, 0, 0, 0);
    expect(t.get(1, 1, 1, 2)).to.equal(-1);
    expect(v.isContiguous).to.equal(false);
  });

  it('copies regions between tensors', () => {
    const a = Tensor.from(Array.from({ length: 24 }, (_, i) => i + 1), [1, 2, 3, 4]);
    const b = Tensor.zeros([1, 2, 3, 4]);
    for (const r of splitRegion(fullRegion(a.shape), 'y', 2)) copyRegion(a, b, r);
    expect(b.toArray()).to.deep.equal(a.toArray());
  });

  it('copies regions between whole, partial and strided tensors (rows and planes by memcpy, the rest by element)', () => {
    let seed = 7;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    for (let i = 0; i < 200; i++) {
      const shape = [1 + rand(2), 1 + rand(3), 1 + rand(7), 1 + rand(40)];
      const span = (len: number): [number, number] => { const a = rand(len); return [a, a + 1 + rand(len - a)]; };
      const [n0, n1] = span(shape[0]!), [c0, c1] = span(shape[1]!), [y0, y1] = span(shape[2]!), [x0, x1] = span(shape[3]!);
      const r = { n0, n1, c0, c1, y0, y1, x0, x1 };
      const src = Tensor.from(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => k + 1), shape);
      // The source: whole, a partial tensor of exactly r, or a view; the target: a partial of r or a whole tensor.
      const kind = rand(3);
      const from = kind === 0 ? src : kind === 1 ? Tensor.partial(shape, r, src.view(r).toFloat32Array().slice()) : src.view(fullRegion(shape));
      const to = rand(2) === 0 ? Tensor.partial(shape, r, new Float32Array(regionVolume(r))) : Tensor.zeros(shape);
      copyRegion(from, to, r);
      const got = to.partial ? to : to.view(r);
      expect(Array.from(to.partial ? to.data : got.toFloat32Array()), JSON.stringify({ shape, r, kind })).to.deep.equal(Array.from(src.view(r).toFloat32Array()));
    }
  });

  it('rejects bad shapes with SHAPE_MISMATCH naming the value', () => {
    expect(() => Tensor.zeros([1, 0, 3])).to.throw(TesseraError, /dimension 1: 0/);
    expect(() => Tensor.zeros([1, 2.5])).to.throw(TesseraError, /2\.5/);
    expect(() => Tensor.from([1, 2, 3], [2, 2])).to.throw(TesseraError, /3 values do not fill shape \[2, 2\]/);
    expect(() => Tensor.zeros([2, 2]).reshape([3])).to.throw(TesseraError, /cannot reshape/);
  });

  it('rejects regions with NaN, outside the shape, or empty', () => {
    const shape = [1, 4, 8, 8];
    const ok = fullRegion(shape);
    expect(() => checkRegion({ ...ok, y1: NaN }, shape)).to.throw(TesseraError, /y1 must be an integer, got NaN/);
    expect(() => checkRegion({ ...ok, x1: 9 }, shape)).to.throw(TesseraError, /axis x/);
    expect(() => checkRegion({ ...ok, c0: 2, c1: 2 }, shape)).to.throw(TesseraError, /empty/);
    try {
      checkRegion({ ...ok, n0: -1 }, shape);
    } catch (e) {
      expect((e as TesseraError).code).to.equal('BAD_REGION');
    }
  });

  it('splits regions into slabs covering the whole', () => {
    const r = fullRegion([1, 3, 10, 7]);
    const parts = splitRegion(r, 'y', 3);
    expect(parts.map((p) => [p.y0, p.y1])).to.deep.equal([[0, 3], [3, 6], [6, 10]]);
    expect(parts.reduce((s, p) => s + regionVolume(p), 0)).to.equal(regionVolume(r));
  });
});

describe('Tensor.partial', () => {
  it('stores only a region but is indexed with full coordinates', () => {
    const r = { n0: 0, n1: 1, c0: 1, c1: 3, y0: 2, y1: 5, x0: 3, x1: 7 };
    const t = Tensor.partial([1, 4, 8, 8], r);
    expect(t.data.length).to.equal(2 * 3 * 4);
    t.set(9, 0, 2, 4, 6);
    expect(t.data[t.data.length - 1]).to.equal(9);
    expect(t.get(0, 2, 4, 6)).to.equal(9);
    expect(() => t.get(0, 0, 0, 0)).to.throw(TesseraError, /outside the stored part/);
    expect(() => t.toFloat32Array()).to.throw(TesseraError, /stores only/);
    const v = t.view(r);
    expect(v.shape).to.deep.equal([1, 2, 3, 4]);
    expect(v.get(0, 1, 2, 3)).to.equal(9);
    expect(() => t.view(fullRegion([1, 4, 8, 8]))).to.throw(TesseraError, /outside the stored part/);
  });
});
