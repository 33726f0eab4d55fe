import { expect } from 'chai';
import { Heap } from '../src/engine/heap.js';
import { guarded, kernelEngine } from '../src/engine/wasm.js';
import { conv2d } from '../src/ops/conv2d/index.js';
import { randomTensor } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import { TesseraError } from '../src/errors.js';
import { expectBitEqual, randomTiling } from './util.js';
import { engineTensor, inEngine, releaseEngineTensor } from '../src/engine/tensors.js';
import { randInt, rng } from '../src/random.js';
import { fullRegion } from '../src/region.js';
import type { Conv2dSpec } from '../src/ops/conv2d/spec.js';
import { applyOp, runOp, type OpSpec } from '../src/ops/registry.js';

describe('kernel engine', () => {
  describe('heap', () => {
    it('hands out 64-byte aligned, disjoint blocks and merges freed neighbours', () => {
      const grown: number[] = [];
      let size = 4096;
      const h = new Heap(100, size, (bytes) => { grown.push(bytes); size += Math.ceil(bytes / 65536) * 65536; return size; });
      const a = h.alloc(10), b = h.alloc(100), c = h.alloc(64);
      for (const p of [a, b, c]) expect(p % 64).to.equal(0);
      expect(a).to.be.at.least(100);
      expect(b).to.be.at.least(a + 64);
      expect(c).to.be.at.least(b + 128);
      h.release(b);
      h.release(a);
      // a and b merged: a block of 192 fits where they were.
      expect(h.alloc(192)).to.equal(a);
      expect(h.inUse).to.equal(192 + 64);
      expect(() => h.release(a + 1)).to.throw(TesseraError, /not allocated/);
    });

    it('grows the memory when nothing fits, reusing a free block at the top', () => {
      let size = 1024;
      const h = new Heap(0, size, (bytes) => { size += Math.ceil(bytes / 65536) * 65536; return size; });
      const a = h.alloc(512);
      const big = h.alloc(100_000);
      expect(big).to.equal(a + 512);
      expect(size).to.be.at.least(big + 100_000);
    });
  });

  it('turns a wasm trap into KERNEL_FAILED naming the op and region, and stays usable', () => {
    const e = kernelEngine();
    const r = { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 1, x0: 0, x1: 1 };
    // A patch written 4 GiB away traps (out of bounds) inside the engine.
    expect(() => guarded('conv2d', r, () => e.k.conv2d_patch_hwc(0, 1, 1, 1, 1, 1, 0x7ffffff0, 1, 1, 0, 0, 64))).to.throw(TesseraError, /conv2d kernel trapped on region n\[0,1\) c\[0,1\)/)
      .with.property('code', 'KERNEL_FAILED');
    const x = randomTensor([1, 2, 5, 5], 1), w = randomTensor([3, 2, 3, 3], 2);
    expect(conv2d(x, w, null, { kernel: 3 }).shape).to.deep.equal([1, 3, 3, 3]);
  });

  it('repacks a weight written in place after it was used (packed weights are cached per tensor)', () => {
    const x = randomTensor([1, 3, 6, 6], 3), w = randomTensor([4, 3, 3, 3], 4);
    const before = conv2d(x, w, null, { kernel: 3, padding: 'same' });
    w.data[5] = w.data[5]! + 1;
    const after = conv2d(x, w, null, { kernel: 3, padding: 'same' });
    const fresh = conv2d(x, Tensor.from(w.toFloat32Array(), w.shape), null, { kernel: 3, padding: 'same' });
    expectBitEqual(after, fresh, 'after the write');
    expect(after.toArray()).to.not.deep.equal(before.toArray());
  });

  describe('feature maps in engine memory', () => {
    /** A copy of `t` in engine memory. */
    const toEngine = (t: Tensor) => {
      const e = engineTensor(t.shape);
      e.data.set(t.toFloat32Array());
      return e;
    };

    it('conv2d reads and writes them in place: the same bits as ordinary tensors, nothing written outside the region', () => {
      const rand = rng(77);
      for (let t = 0; t < 60; t++) {
        const kind = randInt(rand, 0, 2); // dense, grouped, depthwise
        const groups = kind === 0 ? 1 : kind === 1 ? 2 : randInt(rand, 3, 19);
        const cin = kind === 2 ? groups : groups * randInt(rand, 1, 5), cout = kind === 2 ? groups : groups * randInt(rand, 1, 12);
        const k = [1, 3, 5][randInt(rand, 0, 2)]!;
        const spec: Conv2dSpec = {
          op: 'conv2d', kernel: k, stride: randInt(rand, 1, 2), dilation: randInt(rand, 1, 2), groups,
          padding: rand() < 0.5 ? 'same' : { top: randInt(rand, 0, 2), bottom: randInt(rand, 0, 2), left: randInt(rand, 0, 2), right: randInt(rand, 0, 2) },
          ...(rand() < 0.5 ? { activation: 'relu' as const } : {}),
        };
        const x = randomTensor([randInt(rand, 1, 2), cin, randInt(rand, 9, 21), randInt(rand, 9, 21)], rand);
        const w = randomTensor([cout, cin / groups, k, k], rand), b = randomTensor([cout], rand);
        const want = conv2d(x, w, b, spec);
        const xe = toEngine(x), oe = engineTensor(want.shape);
        expect(inEngine(xe) && inEngine(oe)).to.equal(true);
        oe.data.fill(12345);
        for (const r of randomTiling(fullRegion(want.shape), rand)) {
          conv2d(xe, w, b, spec, oe, r);
          // The region is written, the rest not yet (the tiles before it were).
        }
        expectBitEqual(oe, want, `problem ${t} ${JSON.stringify(spec)}`);
        // One region alone leaves everything else untouched.
        oe.data.fill(12345);
        const r = randomTiling(fullRegion(want.shape), rand)[0]!;
        conv2d(xe, w, b, spec, oe, r);
        const [n, c, h, wd] = want.shape as [number, number, number, number];
        for (let i = 0; i < n * c * h * wd; i++) {
          const xx = i % wd, y = Math.floor(i / wd) % h, cc = Math.floor(i / (wd * h)) % c, nn = Math.floor(i / (wd * h * c));
          const inside = nn >= r.n0 && nn < r.n1 && cc >= r.c0 && cc < r.c1 && y >= r.y0 && y < r.y1 && xx >= r.x0 && xx < r.x1;
          if (inside) expect(oe.data[i], `inside ${i}`).to.equal(want.data[i]);
          else expect(oe.data[i], `outside ${i} of region`).to.equal(12345);
        }
        releaseEngineTensor(xe);
        releaseEngineTensor(oe);
      }
    });

    it('pools read and write them in place: the same bits as ordinary tensors, nothing written outside the region', () => {
      const rand = rng(78);
      for (let t = 0; t < 60; t++) {
        const op = (['maxPool', 'avgPool', 'l2Pool', 'globalAvgPool', 'globalMaxPool'] as const)[randInt(rand, 0, 4)]!;
        const spec = op.startsWith('global') ? { op } : {
          op, kernel: randInt(rand, 1, 3), stride: randInt(rand, 1, 3), dilation: randInt(rand, 1, 2),
          padding: rand() < 0.5 ? ('same' as const) : ('valid' as const),
        };
        const x = randomTensor([randInt(rand, 1, 2), randInt(rand, 1, 9), randInt(rand, 7, 30), randInt(rand, 7, 30)], rand);
        const want = applyOp(spec as OpSpec, [x]);
        const xe = toEngine(x), oe = engineTensor(want.shape);
        oe.data.fill(12345);
        for (const r of randomTiling(fullRegion(want.shape), rand)) runOp(spec as OpSpec, [xe], {}, oe, r);
        expectBitEqual(oe, want, `problem ${t} ${JSON.stringify(spec)}`);
        oe.data.fill(12345);
        const r = randomTiling(fullRegion(want.shape), rand)[0]!;
        runOp(spec as OpSpec, [xe], {}, oe, r);
        const [, c, h, wd] = want.shape as [number, number, number, number];
        oe.toFloat32Array().forEach((v, i) => {
          const xx = i % wd, y = Math.floor(i / wd) % h, cc = Math.floor(i / (wd * h)) % c, nn = Math.floor(i / (wd * h * c));
          const inside = nn >= r.n0 && nn < r.n1 && cc >= r.c0 && cc < r.c1 && y >= r.y0 && y < r.y1 && xx >= r.x0 && xx < r.x1;
          expect(v, `${inside ? 'inside' : 'outside'} ${i}`).to.equal(inside ? want.data[i] : 12345);
        });
        releaseEngineTensor(xe);
        releaseEngineTensor(oe);
      }
    });

    it('are released once, and only engine tensors can be', () => {
      const t = engineTensor([1, 2, 3, 4]);
      releaseEngineTensor(t);
      expect(() => releaseEngineTensor(t)).to.throw(TesseraError, /not allocated by engineTensor/);
      expect(() => releaseEngineTensor(Tensor.zeros([2]))).to.throw(TesseraError, /not allocated by engineTensor/);
    });
  });
});
