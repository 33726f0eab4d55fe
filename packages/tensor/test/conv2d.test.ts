import { expect } from 'chai';
import { conv2d, conv2dOp, conv2dRef, type Conv2dArgs } from '../src/ops/conv2d/index.js';
import { conv2dFast } from '../src/ops/conv2d/fast.js';
import { conv2dReference } from '../src/ops/conv2d/reference.js';
import type { Conv2dSpec } from '../src/ops/conv2d/spec.js';
import type { EpilogueSpec, FusedActivation } from '../src/ops/epilogue.js';
import { EPILOGUE_ACTS, activationFields, activationLayer, randomAct } from './epilogue-helpers.js';
import { scaleShift } from '../src/ops/scale-shift/index.js';
import type { Weights } from '../src/ops/op.js';
import type { Padding } from '../src/ops/window.js';
import { fullRegion, splitRegion, type Region } from '../src/region.js';
import { randInt, randomTensor, rng } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import {
  SENTINEL, embed, expectBitEqual, expectInputRegionExact, expectSameBits, expectTesseraError, expectTilingsBitEqual, expectWithinFastTolerance,
  expectWrittenExactly, randomTiling,
} from './util.js';

/** One random conv2d problem: input, weights (scale and shift: a fused folded batch-norm), spec. */
interface Problem { x: Tensor; w: Tensor; b: Tensor | null; scale?: Tensor; shift?: Tensor; postScale?: Tensor; postShift?: Tensor; spec: Conv2dSpec }

const spec = (s: Conv2dArgs): Conv2dSpec => ({ ...s, op: 'conv2d' });
const weightsOf = (p: Problem): Weights => ({
  weight: p.w, ...(p.b ? { bias: p.b } : {}), ...(p.scale ? { scale: p.scale, shift: p.shift } : {}),
  ...(p.postScale ? { postScale: p.postScale, postShift: p.postShift } : {}),
});
const runFast = (p: Problem, out: Tensor, r: Region) => conv2dFast([p.x], weightsOf(p), p.spec, out, r);
const outShape = (p: Problem) => conv2dOp.outputShape(p.spec, [p.x.shape], {
  weight: p.w.shape, bias: p.b?.shape, scale: p.scale?.shape, shift: p.shift?.shape, postScale: p.postScale?.shape, postShift: p.postShift?.shape,
});
/** The whole output of a problem through the fast (production) or the reference kernel. */
function run(p: Problem, impl: 'fast' | 'reference' = 'fast'): Tensor {
  const out = Tensor.zeros(outShape(p));
  conv2dOp[impl]([p.x], weightsOf(p), p.spec, out, fullRegion(out.shape));
  return out;
}

/** The kernel rotated 180° in its two spatial axes. */
function rot180(w: Tensor): Tensor {
  const [o, i, kh, kw] = w.dims4();
  const r = Tensor.zeros(w.shape);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    r.set(w.get(a, b, y, x), a, b, kh - 1 - y, kw - 1 - x);
  }
  return r;
}

/**
 * A random problem over everything conv2d supports: odd sizes, square and
 * non-square kernels of 1–7, stride 1–3 and dilation 1–4 per axis, all
 * padding forms, groups (including depthwise), batch > 1, flip, bias or not.
 * Sizes are drawn so the dilated kernel fits the padded input; `big` ones
 * (up to ~45×45, up to 20 channels) span several tile chunks and channel blocks.
 */
function randomProblem(rand: () => number, big = false): Problem {
  const kind = randInt(rand, 0, 3); // 0 dense, 1 grouped, 2 depthwise (sometimes with a channel multiplier), 3 pointwise
  const cmax = big ? 3 : 1;
  const groups = kind === 1 ? randInt(rand, 2, 3) : kind === 2 ? randInt(rand, 1, 6 * cmax) : 1;
  const cin = kind === 2 ? groups : groups * randInt(rand, 1, 4 * cmax);
  const cout = kind === 2 ? groups * (rand() < 0.75 ? 1 : 2) : groups * randInt(rand, 1, 5 * cmax);
  const sizes = [1, 3, 5, 7, 2];
  const kh = kind === 3 ? 1 : sizes[randInt(rand, 0, 4)]!, kw = kind === 3 ? 1 : rand() < 0.7 ? kh : sizes[randInt(rand, 0, 4)]!;
  const stride: [number, number] = [randInt(rand, 1, 3), randInt(rand, 1, 3)];
  const dilation: [number, number] = rand() < 0.4 ? [1, 1] : [randInt(rand, 1, 4), randInt(rand, 1, 4)];
  const padChoice = randInt(rand, 0, 3);
  const padding: Padding = padChoice === 0 ? 'same' : padChoice === 1 ? 'valid' : padChoice === 2 ? randInt(rand, 0, 3)
    : { top: randInt(rand, 0, 3), bottom: randInt(rand, 0, 2), left: randInt(rand, 0, 1), right: randInt(rand, 0, 4) };
  const ekh = (kh - 1) * dilation[0] + 1, ekw = (kw - 1) * dilation[1] + 1;
  const extra = big ? 35 : 9;
  const h = randInt(rand, Math.max(1, ekh - 2), ekh + extra), w = randInt(rand, Math.max(1, ekw - 2), ekw + extra);
  const s = spec({ kernel: [kh, kw], stride, dilation, padding, groups, flip: rand() < 0.3 });
  const x = randomTensor([big ? 1 : randInt(rand, 1, 3), cin, h, w], rand);
  const wt = randomTensor([cout, cin / groups, kh, kw], rand);
  const b = rand() < 0.6 ? randomTensor([cout], rand) : null;
  try {
    outShape({ x, w: wt, b, spec: s });
  } catch {
    return randomProblem(rand, big); // the draw left the kernel larger than the padded input: draw again
  }
  return { x, w: wt, b, spec: s };
}

/** `count` random problems, every fourth one big. */
function problems(seed: number, count: number): Problem[] {
  const rand = rng(seed);
  return Array.from({ length: count }, (_, i) => randomProblem(rand, i % 4 === 3));
}

/**
 * `p` with a random fused epilogue: scale/shift (2 in 3 times; scales up to
 * ±4 so relu6 clips), an activation (or none), leakyRelu's alpha either
 * 0.1 or a random double in (−1, 1) that float32 cannot hold exactly, and a
 * post-activation scale/shift (1 in 3 times).
 */
function withEpilogue(p: Problem, rand: () => number, act: FusedActivation | 'none' = randomAct(rand)): Problem {
  const cout = p.w.shape[0]!;
  const scaled = rand() < 2 / 3;
  const q: Problem = { ...p, spec: { ...p.spec } };
  if (scaled) {
    q.scale = randomTensor([cout], rand, -4, 4);
    q.shift = randomTensor([cout], rand, -1, 1);
  }
  if (rand() < 1 / 3) {
    q.postScale = randomTensor([cout], rand, -2, 2);
    q.postShift = randomTensor([cout], rand, -1, 1);
  }
  q.spec = { ...q.spec, ...activationFields(act, rand) };
  return q;
}

/** The same layer unfused: conv2d with bias only, then scaleShift, then the activation op, then the post scaleShift, all fast kernels. */
function unfused(p: Problem): Tensor {
  const { activation: _a, alpha: _al, beta: _b, ...plain } = p.spec;
  let y = run({ x: p.x, w: p.w, b: p.b, spec: plain });
  if (p.scale) y = scaleShift(y, p.scale, p.shift);
  y = activationLayer(y, p.spec);
  return p.postScale ? scaleShift(y, p.postScale, p.postShift) : y;
}

const describeEpilogue = (p: Problem) =>
  `${JSON.stringify(p.spec)} input ${p.x.shape} bias ${!!p.b} scale/shift ${!!p.scale} post ${!!p.postScale}`;

describe('conv2d', () => {
  describe('known answers', () => {
    const x33 = Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const k22 = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]);

    it('cross-correlates a 3×3 image with a 2×2 kernel (hand-computed, eq. 1.3)', () => {
      // out(0,0) = 1·1 + 2·2 + 3·4 + 4·5 = 37, then slide without flipping; bias 1 added.
      const bias = Tensor.from([1], [1]);
      for (const f of [conv2d, conv2dRef]) {
        expect(f(x33, k22, bias, { kernel: 2 }).toArray()).to.deep.equal([38, 48, 68, 78]);
      }
    });

    it('convolves with the kernel rotated 180° when flip is set (eq. 1.1)', () => {
      // out(0,0) = 4·1 + 3·2 + 2·4 + 1·5 = 23
      for (const f of [conv2d, conv2dRef]) {
        expect(f(x33, k22, null, { kernel: 2, flip: true }).toArray()).to.deep.equal([23, 33, 53, 63]);
      }
    });

    it('pads with zeros: SAME 3×3 box filter over a 2×2 image sums every pixel', () => {
      const x = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]);
      const ones = Tensor.filled([1, 1, 3, 3], 1);
      expect(conv2d(x, ones, null, { kernel: 3, padding: 'same' }).toArray()).to.deep.equal([10, 10, 10, 10]);
      // explicit asymmetric padding: one zero row on top only → 2 rows out, the first sees row 0 alone
      const col = Tensor.from([1, 1], [1, 1, 2, 1]);
      expect(conv2d(x, col, null, { kernel: [2, 1], padding: { top: 1, bottom: 0, left: 0, right: 0 } }).toArray()).to.deep.equal([1, 2, 4, 6]);
    });

    it('keeps groups apart: each output channel reads only its group', () => {
      const x = Tensor.from([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2]);
      const w = Tensor.from([2, 3], [2, 1, 1, 1]);
      expect(conv2d(x, w, null, { kernel: 1, groups: 2 }).toArray()).to.deep.equal([2, 4, 6, 8, 30, 60, 90, 120]);
    });

    it('strides: 3×3 input, 1×1 kernel, stride 2 picks the corners', () => {
      const w = Tensor.from([1], [1, 1, 1, 1]);
      expect(conv2d(x33, w, null, { kernel: 1, stride: 2 }).toArray()).to.deep.equal([1, 3, 7, 9]);
    });

    it('true convolution is commutative in 2-D: image ∗ kernel = kernel ∗ image (full padding)', () => {
      const rand = rng(10);
      for (let t = 0; t < 10; t++) {
        const [h, w, kh, kw] = [randInt(rand, 1, 9), randInt(rand, 1, 9), randInt(rand, 1, 5), randInt(rand, 1, 5)];
        const img = randomTensor([1, 1, h, w], rand), ker = randomTensor([1, 1, kh, kw], rand);
        const full = (a: number, b: number) => ({ top: a - 1, bottom: a - 1, left: b - 1, right: b - 1 });
        const fk = conv2d(img, ker, null, { kernel: [kh, kw], flip: true, padding: full(kh, kw) });
        const kf = conv2d(ker, img, null, { kernel: [h, w], flip: true, padding: full(h, w) });
        expect(fk.shape).to.deep.equal([1, 1, h + kh - 1, w + kw - 1]);
        // Same products, summed in opposite orders in float32: equal up to rounding.
        expectWithinFastTolerance(fk, kf, `${h}×${w} ∗ ${kh}×${kw}`);
      }
    });

    it('cross-correlation equals convolution with a manually rotated kernel, bit for bit', () => {
      for (const p of problems(11, 12)) {
        const flipped = { ...p.spec, flip: !p.spec.flip };
        expectBitEqual(conv2d(p.x, rot180(p.w), p.b, flipped), conv2d(p.x, p.w, p.b, p.spec), 'rotated kernel');
      }
    });

    it('dilated convolution, eq. 1.4: a 5×5 image, a 2×2 kernel, dilation 2 → 3×3 (hand-computed)', () => {
      // Input (rows):          Kernel:     With dilation 2 the taps sit 2 apart, so each output reads
      //   3 1 4 1 5              1 2       x(y, x), x(y, x+2), x(y+2, x), x(y+2, x+2) (a 3×3 span, no padding):
      //   9 2 6 5 3              3 4         out(y, x) = 1·x(y,x) + 2·x(y,x+2) + 3·x(y+2,x) + 4·x(y+2,x+2)
      //   5 8 9 7 9
      //   3 2 3 8 4            out(0,0) = 1·3 + 2·4 + 3·5 + 4·9 = 3 + 8 + 15 + 36 = 62
      //   6 2 6 4 3            out(0,1) = 1·1 + 2·1 + 3·8 + 4·7 = 1 + 2 + 24 + 28 = 55
      //                        out(0,2) = 1·4 + 2·5 + 3·9 + 4·9 = 4 + 10 + 27 + 36 = 77
      //                        out(1,0) = 1·9 + 2·6 + 3·3 + 4·3 = 9 + 12 + 9 + 12 = 42
      //                        out(1,1) = 1·2 + 2·5 + 3·2 + 4·8 = 2 + 10 + 6 + 32 = 50
      //                        out(1,2) = 1·6 + 2·3 + 3·3 + 4·4 = 6 + 6 + 9 + 16 = 37
      //                        out(2,0) = 1·5 + 2·9 + 3·6 + 4·6 = 5 + 18 + 18 + 24 = 65
      //                        out(2,1) = 1·8 + 2·7 + 3·2 + 4·4 = 8 + 14 + 6 + 16 = 44
      //                        out(2,2) = 1·9 + 2·9 + 3·6 + 4·3 = 9 + 18 + 18 + 12 = 57
      const x = Tensor.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3], [1, 1, 5, 5]);
      const k = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]);
      const want = [62, 55, 77, 42, 50, 37, 65, 44, 57];
      for (const f of [conv2d, conv2dRef]) {
        const y = f(x, k, null, { kernel: 2, dilation: 2 });
        expect(y.shape).to.deep.equal([1, 1, 3, 3]);
        expect(y.toArray()).to.deep.equal(want); // small integers: exact in float32
      }
      // Dilation on one axis only (rows 2 apart, columns adjacent) → 3×4:
      //   out(0,0) = 1·3 + 2·1 + 3·5 + 4·8 = 52,  out(2,3) = 1·7 + 2·9 + 3·4 + 4·3 = 49
      const rows = conv2d(x, k, null, { kernel: 2, dilation: [2, 1] });
      expect(rows.shape).to.deep.equal([1, 1, 3, 4]);
      expect([rows.get(0, 0, 0, 0), rows.get(0, 0, 2, 3)]).to.deep.equal([52, 49]);
      expectBitEqual(rows, conv2dRef(x, k, null, { kernel: 2, dilation: [2, 1] }), 'dilation [2, 1]');
    });

    it('a dilated kernel reads like the kernel with d − 1 zeros between taps, run undilated through the reference (eq. 1.4)', () => {
      const rand = rng(13);
      for (const d of [2, 3, 4]) {
        const x = randomTensor([1, 3, 17, 15], rand), w = randomTensor([4, 3, 3, 3], rand);
        const wide = Tensor.zeros([4, 3, 2 * d + 1, 2 * d + 1]);
        for (let o = 0; o < 4; o++) for (let i = 0; i < 3; i++) for (let y = 0; y < 3; y++) for (let xx = 0; xx < 3; xx++) {
          wide.set(w.get(o, i, y, xx), o, i, y * d, xx * d);
        }
        expectWithinFastTolerance(conv2d(x, w, null, { kernel: 3, dilation: d, padding: 'same' }), conv2dRef(x, wide, null, { kernel: 2 * d + 1, padding: 'same' }), `dilation ${d}`);
      }
    });

    it('3×3 convolution with padding = dilation keeps the input size (Yu & Koltun stacks)', () => {
      const rand = rng(14);
      let x = randomTensor([1, 4, 23, 19], rand);
      for (const d of [1, 2, 4, 8]) {
        const y = conv2d(x, randomTensor([4, 4, 3, 3], rand, -0.3, 0.3), null, { kernel: 3, dilation: d, padding: d });
        expect(y.shape).to.deep.equal([1, 4, 23, 19]);
        x = y;
      }
    });
  });

  describe('fast kernel against the reference', () => {
    it('agrees within FAST_TOLERANCE · max|ref| on 150 random problems (conv2d and conv2dFast)', () => {
      problems(21, 150).forEach((p, i) => {
        const want = conv2dRef(p.x, p.w, p.b, p.spec);
        expectWithinFastTolerance(conv2d(p.x, p.w, p.b, p.spec), want, `case ${i} ${JSON.stringify(p.spec)} input ${p.x.shape}`);
        expectBitEqual(run(p), conv2d(p.x, p.w, p.b, p.spec), `case ${i}: conv2dFast = conv2d`);
      });
    });

    it('pointwise (1 × 1, stride 1, no padding: positions in the lanes) against the reference, any cut the same bits', () => {
      const rand = rng(71);
      for (let i = 0; i < 40; i++) {
        // Widths around the vector sizes (4, 8, 16, 32 positions) and their tails; channel counts around the 4-channel tiles.
        const cin = randInt(rand, 1, 40), cout = randInt(rand, 1, 37);
        const h = randInt(rand, 1, 13), w = rand() < 0.5 ? randInt(rand, 1, 9) : randInt(rand, 10, 70);
        const p0: Problem = {
          x: randomTensor([randInt(rand, 1, 2), cin, h, w], rand), w: randomTensor([cout, cin, 1, 1], rand), b: rand() < 0.6 ? randomTensor([cout], rand) : null,
          spec: spec({ kernel: 1, ...(rand() < 0.5 ? { padding: 0 } : {}), ...(rand() < 0.3 ? { dilation: 2 } : {}) }),
        };
        const p = rand() < 0.5 ? p0 : withEpilogue(p0, rand);
        const what = `${JSON.stringify(p.spec)} input ${p.x.shape} cout ${cout}`;
        const whole = run(p);
        expectWithinFastTolerance(whole, run(p, 'reference'), what);
        const tiled = Tensor.filled(whole.shape, SENTINEL);
        for (const r of randomTiling(fullRegion(whole.shape), rand)) runFast(p, tiled, r);
        expectBitEqual(tiled, whole, `${what} tiled`);
        // The same layer as a 1 × 1 with a zero pad on the right (the patch path) gives the same bits where both are defined.
        const padded = run({ ...p, spec: { ...p.spec, padding: { top: 0, bottom: 0, left: 0, right: 1 } } });
        expectBitEqual(padded.view({ ...fullRegion(padded.shape), x1: w }), whole, `${what} pointwise = patch path`);
      }
    });

    it('long rows, tall maps and odd channel counts cross every chunk and tile-block edge', () => {
      // Runs longer than one engine call (per-row runs when strided, multi-row runs when not),
      // channel counts that are not a multiple of the tile height, more taps than one block,
      // regions cut at odd places.
      const rand = rng(24);
      const cases: [number[], number[], Conv2dArgs][] = [
        [[1, 5, 5, 300], [7, 5, 3, 3], { kernel: 3, stride: [2, 1], padding: 'same' }],
        [[1, 3, 7, 290], [5, 3, 1, 3], { kernel: [1, 3], stride: [1, 2], dilation: 3, padding: 'valid' }],
        [[2, 6, 41, 37], [9, 6, 3, 3], { kernel: 3, padding: 'same', flip: true }],
        [[1, 4, 30, 50], [10, 2, 5, 5], { kernel: 5, dilation: 2, padding: 4, groups: 2 }],
        [[1, 10, 33, 60], [10, 1, 3, 3], { kernel: 3, padding: 'same', groups: 10 }],
        // K = Cin·kh·kw of 630 and 1170: the sums run over several blocks of taps
        [[1, 70, 9, 11], [5, 70, 3, 3], { kernel: 3, padding: 'same' }],
        [[1, 130, 6, 7], [3, 130, 3, 3], { kernel: 3, stride: 2, padding: 'valid' }],
      ];
      for (const [xs, ws, s] of cases) {
        const p: Problem = { x: randomTensor(xs, rand), w: randomTensor(ws, rand), b: randomTensor([ws[0]!], rand), spec: spec(s) };
        const whole = conv2d(p.x, p.w, p.b, p.spec);
        expectWithinFastTolerance(whole, conv2dRef(p.x, p.w, p.b, p.spec), JSON.stringify(s));
        const cut = Tensor.filled(whole.shape, SENTINEL);
        for (const r of randomTiling(fullRegion(whole.shape), rand)) runFast(p, cut, r);
        expectBitEqual(cut, whole, JSON.stringify(s));
      }
    });

    it('the packed-filter cache follows the weights: in-place edits, flip, groups', () => {
      const rand = rng(25);
      const x = randomTensor([1, 4, 9, 9], rand), w = randomTensor([4, 1, 3, 3], rand);
      const x2 = randomTensor([1, 2, 9, 9], rand);
      const s = spec({ kernel: 3, padding: 'same', groups: 4 });
      const check = (what: string) => {
        // A stale packed filter would be off by whole weights, far outside the tolerance.
        expectWithinFastTolerance(conv2d(x, w, null, s), conv2dRef(x, w, null, s), `${what}: depthwise`);
        // The same tensor as a 2-group filter over 2 channels, and flipped: other packings.
        const s2 = spec({ kernel: 3, padding: 'same', groups: 2, flip: true });
        expectWithinFastTolerance(conv2d(x2, w, null, s2), conv2dRef(x2, w, null, s2), `${what}: groups 2, flip`);
        const s3 = spec({ kernel: 3, padding: 'same', groups: 2 });
        expectWithinFastTolerance(conv2d(x2, w, null, s3), conv2dRef(x2, w, null, s3), `${what}: groups 2`);
      };
      check('first use');
      w.set(5, 2, 0, 1, 1); // one weight changed in place after the filter was packed
      check('after w.set');
      w.data.fill(0.25);
      check('after fill');
    });

    it('matches an independent float64 convolution within FAST_TOLERANCE · max|oracle|', () => {
      // Test-local oracle: skips padded taps, sums in a Float64Array in (ky, kx, ci) order
      // and keeps float64 output; the fast kernel sums in float32 (op.ts), K up to 24·5·5 = 600 taps.
      const rand = rng(23);
      for (let t = 0; t < 6; t++) {
        const cin = randInt(rand, 8, 24), cout = randInt(rand, 4, 16), k = [3, 5][t % 2]!, st = 1 + (t % 3), d = 1 + (t % 2);
        const s = spec({ kernel: k, stride: st, dilation: d, padding: 'same' });
        const x = randomTensor([1, cin, randInt(rand, 14, 22), randInt(rand, 14, 22)], rand);
        const w = randomTensor([cout, cin, k, k], rand), b = randomTensor([cout], rand);
        const got = conv2d(x, w, b, s);
        const [, , oh, ow] = got.dims4();
        const [, , h, wd] = x.dims4();
        const pt = Math.floor(Math.max((oh - 1) * st + (k - 1) * d + 1 - h, 0) / 2);
        const pl = Math.floor(Math.max((ow - 1) * st + (k - 1) * d + 1 - wd, 0) / 2);
        const want = new Float64Array(got.size);
        const acc = new Float64Array(1);
        for (let co = 0; co < cout; co++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
          acc[0] = b.get(co);
          for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
            const iy = oy * st - pt + ky * d, ix = ox * st - pl + kx * d;
            if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
            for (let ci = 0; ci < cin; ci++) acc[0] += w.get(co, ci, ky, kx) * x.get(0, ci, iy, ix);
          }
          want[(co * oh + oy) * ow + ox] = acc[0]!;
        }
        expectWithinFastTolerance(got, new Tensor(Float32Array.from(want), got.shape), `case ${t}`);
      }
    });
  });

  describe('fused epilogue (bias, scale/shift, activation)', () => {
    it('equals conv2d, then scaleShift, then the activation op (fast kernels) bit for bit on 120 random problems', () => {
      const rand = rng(51);
      const seen = new Set<string>();
      problems(52, 120).forEach((p0, i) => {
        const p = withEpilogue(p0, rand, EPILOGUE_ACTS[i % EPILOGUE_ACTS.length]!);
        seen.add(`${p.spec.activation ?? 'none'}/${!!p.scale}`);
        if (p.postScale) seen.add('post');
        expectSameBits(run(p), unfused(p), `case ${i} ${describeEpilogue(p)}`);
      });
      expect(seen.size, [...seen].join(' ')).to.equal(2 * EPILOGUE_ACTS.length + 1); // every activation, with and without scale/shift; post too
    });

    it('agrees with the float64 reference epilogue within FAST_TOLERANCE · max|ref| on 120 random problems', () => {
      const rand = rng(53);
      problems(54, 120).forEach((p0, i) => {
        const p = withEpilogue(p0, rand, EPILOGUE_ACTS[i % EPILOGUE_ACTS.length]!);
        expectWithinFastTolerance(run(p), run(p, 'reference'), `case ${i} ${describeEpilogue(p)}`);
      });
    });

    it('special values through the epilogue: ±0, ±Infinity, NaN, beyond 6 — fused = unfused, sign of zero included', () => {
      // Depthwise 1×1 with weight 1: the sum is +0 + 1·x = x (−0 → +0). Per channel, scale/shift
      // turn that into −0 (+0 · −1 + −0), NaN (Infinity · 0), negatives and values above 6.
      const vals = [0, -0, Infinity, -Infinity, NaN, 3, -3, 7, -7, 1e-45];
      const x = Tensor.from([...vals, ...vals, ...vals, ...vals], [1, 4, 2, 5]);
      const w = Tensor.filled([4, 1, 1, 1], 1);
      const scale = Tensor.from([1, -1, 0, 2], [4]), shift = Tensor.from([-0, -0, -0, -5], [4]);
      const base = spec({ kernel: 1, groups: 4 });
      const acts: EpilogueSpec[] = [
        {}, { activation: 'relu' }, { activation: 'relu6' }, { activation: 'leakyRelu', alpha: 0.1 }, { activation: 'leakyRelu', alpha: -0.3 },
        { activation: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, { activation: 'hardSigmoid', alpha: -0.7, beta: -0 }, { activation: 'hardSwish' },
      ];
      for (const fields of acts) {
        const act = fields.activation ?? 'none', alpha = fields.alpha;
        for (const scaled of [false, true]) {
          for (const b of [null, Tensor.from([-0, 0.5, -2, 1e-3], [4])]) {
            const p: Problem = { x, w, b, ...(scaled ? { scale, shift } : {}), spec: { ...base, ...fields } };
            const fused = run(p);
            expectSameBits(fused, unfused(p), describeEpilogue(p));
            if (scaled && b === null) {
              // Channel 1 is −(+0) + −0 = −0 at x = ±0: relu and relu6 give +0, leakyRelu −0 · alpha, hardSwish
              // −0 · h(−0) = −0 · 0.5 = −0, hardSigmoid alpha · −0 + beta clamped (+0 for beta −0), none −0.
              const z = fused.get(0, 1, 0, 0);
              const t = (alpha ?? 0) * -0 + (fields.beta ?? 0);
              const wantZero = act === 'relu' || act === 'relu6' ? 0 : act === 'leakyRelu' && alpha! < 0 ? 0 : act === 'hardSigmoid' ? (t > 1 ? 1 : t < 0 ? 0 : t) : -0;
              expect(Object.is(z, wantZero), `${act} ${alpha}: channel 1 at x = 0 gives ${Object.is(z, -0) ? '-0' : z}`).to.equal(true);
              // Channel 2 is Infinity · 0 = NaN at x = Infinity; NaN survives every activation.
              expect(Number.isNaN(fused.get(0, 2, 0, 2)), `${act}: NaN`).to.equal(true);
            }
          }
        }
      }
    });

    it('hardSigmoid and hardSwish at their clamp edges, denormals, ±0, ±Infinity and huge values: fused = unfused bit for bit', () => {
      // Depthwise 1×1, weight 1, no bias: the sum +0 + 1·x is x (−0 → +0), so the epilogue sees these values exactly.
      const edges = [3, -3, 2.5, -2.5, 0, -0, 1e-45, -1e-45, 1.2e-38, -1.2e-38, Infinity, -Infinity, NaN, 3.4e38, -3.4e38, 6, -6, 0.5, -0.5];
      // Each edge and its two float32 neighbours (bits ± 1): where the clamp of t = alpha·x + beta turns.
      const f = new Float32Array(1), fb = new Int32Array(f.buffer);
      const vals = edges.flatMap((e) => [-1, 0, 1].map((d) => { f[0] = e; fb[0]! += d; return f[0]!; }));
      const n = vals.length;
      const x = Tensor.from([...vals, ...vals.map((v) => -v)], [1, 2, 1, n]);
      const w = Tensor.filled([2, 1, 1, 1], 1);
      const scale = Tensor.from([1, -1], [2]), shift = Tensor.from([-0, 3], [2]);
      for (const fields of [{ activation: 'hardSwish' }, { activation: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, { activation: 'hardSigmoid', alpha: 1 / 3, beta: -0 }] as EpilogueSpec[]) {
        for (const scaled of [false, true]) {
          const p: Problem = { x, w, b: null, ...(scaled ? { scale, shift } : {}), spec: { ...spec({ kernel: 1, groups: 2 }), ...fields } };
          expectSameBits(run(p), unfused(p), describeEpilogue(p));
        }
      }
    });

    it('a known answer: bias, scale/shift and each activation on a hand-computed 1×1 convolution', () => {
      // x = [−3, −1, 2, 9] in one channel, weight 2, bias 1: sums 2x + 1 = [−5, −1, 5, 19];
      // scale 0.5, shift −1: [−3.5, −1.5, 1.5, 8.5]; every step exact in float32.
      const x = Tensor.from([-3, -1, 2, 9], [1, 1, 2, 2]);
      const p: Problem = { x, w: Tensor.from([2], [1, 1, 1, 1]), b: Tensor.from([1], [1]), scale: Tensor.from([0.5], [1]), shift: Tensor.from([-1], [1]), spec: spec({ kernel: 1 }) };
      const cases: [Conv2dSpec, number[]][] = [
        [p.spec, [-3.5, -1.5, 1.5, 8.5]],
        [{ ...p.spec, activation: 'relu' }, [0, 0, 1.5, 8.5]],
        [{ ...p.spec, activation: 'relu6' }, [0, 0, 1.5, 6]],
        [{ ...p.spec, activation: 'leakyRelu', alpha: 0.25 }, [-0.875, -0.375, 1.5, 8.5]],
      ];
      for (const [s, want] of cases) {
        for (const impl of ['fast', 'reference'] as const) expect(run({ ...p, spec: s }, impl).toArray(), `${impl} ${JSON.stringify(s)}`).to.deep.equal(want);
      }
    });
  });

  describe('any region split gives the same bits', () => {
    it('random tilings, row slabs, channel slabs and 1×1 regions at the edges (with and without a fused epilogue)', () => {
      const rand = rng(31);
      for (const p0 of problems(33, 50)) {
        const p = rand() < 0.5 ? p0 : withEpilogue(p0, rand);
        const shape = outShape(p);
        const whole = Tensor.zeros(shape);
        runFast(p, whole, fullRegion(shape));
        const what = JSON.stringify(p.spec);
        for (let t = 0; t < 3; t++) {
          const tiled = Tensor.filled(shape, SENTINEL);
          for (const r of randomTiling(fullRegion(shape), rand)) runFast(p, tiled, r);
          expectBitEqual(tiled, whole, `${what} tiling ${t}`);
        }
        for (const axis of ['y', 'c'] as const) {
          const slabs = Tensor.filled(shape, SENTINEL);
          for (const r of splitRegion(fullRegion(shape), axis, 3)) runFast(p, slabs, r);
          expectBitEqual(slabs, whole, `${what} ${axis} slabs`);
        }
        // Single pixels at the four corners (touching the padding) and one at odd offsets inside.
        const [n, c, h, w] = shape as [number, number, number, number];
        const pix = Tensor.filled(shape, SENTINEL);
        const spots = [[0, 0], [0, w - 1], [h - 1, 0], [h - 1, w - 1], [h >> 1, w >> 1]] as const;
        for (const [y, x] of spots) {
          const r = { n0: n - 1, n1: n, c0: c - 1, c1: c, y0: y, y1: y + 1, x0: x, x1: x + 1 };
          runFast(p, pix, r);
          expect(pix.get(n - 1, c - 1, y, x), `${what} pixel ${y},${x}`).to.equal(whole.get(n - 1, c - 1, y, x));
        }
      }
    });

    it('tiles into strided NaN-surrounded outputs write exactly their region (shared helper)', () => {
      const rand = rng(35);
      for (const p0 of problems(36, 24)) {
        const p = rand() < 0.5 ? p0 : withEpilogue(p0, rand);
        expectTilingsBitEqual({ def: conv2dOp, spec: p.spec, inputs: [embed(p.x, rand)], weights: weightsOf(p) }, rand);
      }
    });

    it('a region too big for one patch (> 32 MB of float32) is cut internally, same bits', () => {
      const rand = rng(39);
      const p: Problem = { x: randomTensor([1, 8, 1100, 1100], rand), w: randomTensor([2, 8, 3, 3], rand), b: null, spec: spec({ kernel: 3, padding: 'same' }) };
      const whole = conv2d(p.x, p.w, null, p.spec); // 8 × 1102² floats, 39 MB: over the limit
      const halves = Tensor.filled(whole.shape, SENTINEL);
      for (const r of splitRegion(fullRegion(whole.shape), 'y', 3)) runFast(p, halves, r);
      expectBitEqual(halves, whole, 'internal cut vs explicit slabs');
      const corner = { n0: 0, n1: 1, c0: 0, c1: 2, y0: 1090, y1: 1100, x0: 0, x1: 10 };
      expectWithinFastTolerance(conv2d(p.x, p.w, null, p.spec, undefined, corner).view(corner),
        conv2dRef(p.x, p.w, null, p.spec, undefined, corner).view(corner), 'corner');
    });

    it('inputRegion is exactly what a region reads', () => {
      const rand = rng(37);
      for (const p0 of problems(38, 30)) {
        const p = rand() < 0.5 ? p0 : withEpilogue(p0, rand);
        const shape = outShape(p);
        const r = randomTiling(fullRegion(shape), rand)[0]!;
        expectInputRegionExact({ def: conv2dOp, spec: p.spec, inputs: [p.x], weights: weightsOf(p) }, r);
      }
    });
  });

  describe('views', () => {
    it('reads a non-contiguous input view and writes a non-contiguous output view', () => {
      const rand = rng(41);
      for (const p of problems(42, 10)) {
        const want = conv2d(p.x, p.w, p.b, p.spec);
        // NaN all around the views: reading or writing outside them would show.
        const xv = embed(p.x, rand, NaN), wv = embed(p.w, rand, NaN), bv = p.b ? embed(p.b.reshape([1, p.b.size, 1, 1]), rand, NaN) : null;
        expect(xv.isContiguous).to.equal(false);
        const bias = bv ? new Tensor(bv.data, [p.b!.size], [bv.strides[1]!], bv.offset) : null;
        const out = embed(Tensor.filled(want.shape, SENTINEL), rand, SENTINEL);
        conv2d(xv, wv, bias, p.spec, out);
        expectBitEqual(out, want, 'through views');
        expectWrittenExactly(out, fullRegion(want.shape), 'output view');
        expectWithinFastTolerance(want, conv2dRef(xv, wv, bias, p.spec), 'reference through views');
      }
    });
  });

  describe('layouts', () => {
    it('reads and writes channels-last (NHWC) memory through NCHW strides', () => {
      const rand = rng(43);
      for (const p of problems(44, 10)) {
        const want = conv2d(p.x, p.w, p.b, p.spec);
        // The same values stored NHWC: element (n, c, y, x) at ((n·H + y)·W + x)·C + c.
        const nhwc = (t: Tensor): Tensor => {
          const [n, c, h, w] = t.dims4();
          const v = new Tensor(new Float32Array(t.size), t.shape, [h * w * c, 1, w * c, c]);
          for (let a = 0; a < n; a++) for (let b = 0; b < c; b++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) v.set(t.get(a, b, y, x), a, b, y, x);
          return v;
        };
        const out = nhwc(Tensor.filled(want.shape, SENTINEL));
        conv2d(nhwc(p.x), p.w, p.b, p.spec, out);
        expectBitEqual(out, want, `NHWC ${JSON.stringify(p.spec)}`);
        const r = randomTiling(fullRegion(want.shape), rand)[0]!;
        const part = nhwc(Tensor.filled(want.shape, SENTINEL));
        conv2d(nhwc(p.x), p.w, p.b, p.spec, part, r);
        expectWrittenExactly(part, r, 'NHWC region');
      }
    });
  });

  describe('repeated calls (the plan cached per weight, spec, shapes and region)', () => {
    it('a repeated call gives the same bits as the first, whole and tiled', () => {
      const rand = rng(61);
      for (const p0 of problems(62, 20)) {
        const p = rand() < 0.5 ? p0 : withEpilogue(p0, rand);
        const shape = outShape(p);
        const first = Tensor.filled(shape, SENTINEL), again = Tensor.filled(shape, SENTINEL);
        const tiling = randomTiling(fullRegion(shape), rand);
        for (const r of tiling) runFast(p, first, r);
        for (let k = 0; k < 2; k++) for (const r of tiling) runFast(p, again, r);
        expectBitEqual(again, first, JSON.stringify(p.spec));
        expectWithinFastTolerance(again, run(p, 'reference'), JSON.stringify(p.spec));
      }
    });

    it('a spec edited in place, a weights record given other tensors, or other shapes are not served a stale plan', () => {
      const rand = rng(63);
      const x = randomTensor([1, 5, 9, 11], rand), w = randomTensor([6, 5, 3, 3], rand);
      const b1 = randomTensor([6], rand), b2 = randomTensor([6], rand);
      const s = { op: 'conv2d', kernel: 3, padding: 'same' } as { op: 'conv2d'; kernel: number; padding: Padding; activation?: FusedActivation; stride?: number };
      const weights: Record<string, Tensor> = { weight: w, bias: b1 };
      const call = () => {
        const out = Tensor.zeros(conv2dOp.outputShape(s, [x.shape], { weight: w.shape, bias: weights.bias?.shape }));
        conv2dFast([x], weights, s, out, fullRegion(out.shape));
        return out;
      };
      const fresh = () => conv2d(x, w, weights.bias ?? null, { ...s });
      const plain = call();
      expectBitEqual(call(), plain, 'repeat');
      s.activation = 'relu';
      const relu = call();
      expectBitEqual(relu, fresh(), 'activation added in place');
      expect(relu.toFloat32Array().some((v, i) => v !== plain.toFloat32Array()[i]), 'relu changed something').to.equal(true);
      // The same output shape from other pads: only the spec tells the plans apart.
      s.padding = { top: 2, bottom: 0, left: 0, right: 2 };
      const shifted = call();
      expect(shifted.shape).to.deep.equal(relu.shape);
      expectBitEqual(shifted, fresh(), 'padding changed in place');
      expect(shifted.toFloat32Array().some((v, i) => v !== relu.toFloat32Array()[i]), 'other pads changed something').to.equal(true);
      s.stride = 2;
      expect(call().shape).to.deep.equal([1, 6, 5, 6]);
      expectBitEqual(call(), fresh(), 'stride changed in place');
      weights.bias = b2;
      expectBitEqual(call(), fresh(), 'another bias tensor');
      // A post-activation scale/shift swapped for one of the wrong length is checked again, not served the old plan.
      weights.postScale = randomTensor([6], rand);
      weights.postShift = randomTensor([6], rand);
      call();
      weights.postScale = randomTensor([5], rand);
      expectTesseraError(call, 'SHAPE_MISMATCH', /postScale \[5\] must be \[6\]/);
      delete weights.postScale;
      delete weights.postShift;
      // The checks still run for what the plan did not see.
      weights.biases = b1;
      expectTesseraError(call, 'BAD_ARGUMENT', /unknown weight 'biases'/);
      delete weights.biases;
      const out = Tensor.zeros(call().shape);
      expectTesseraError(() => conv2dFast([x], weights, s, out, { ...fullRegion(out.shape), x1: out.shape[3]! + 1 }), 'BAD_REGION', /region/);
      expectTesseraError(() => conv2dFast([x], weights, s, Tensor.zeros([1, 6, 5, 5]), fullRegion([1, 6, 5, 5])), 'SHAPE_MISMATCH', /output/);
      const x2 = randomTensor([1, 5, 7, 7], rand);
      expectTesseraError(() => conv2dFast([x2], weights, s, out, fullRegion(out.shape)), 'SHAPE_MISMATCH', /output/);
    });
  });

  describe('bad input', () => {
    const x = randomTensor([1, 4, 8, 8], 1);
    const w = randomTensor([8, 4, 3, 3], 2);

    it('wrong rank input', () => {
      expectTesseraError(() => conv2d(randomTensor([4, 8, 8], 1), w, null, { kernel: 3 }), 'SHAPE_MISMATCH', /rank 4.*\[4, 8, 8\]/);
    });
    it('input channels that do not match the weight', () => {
      expectTesseraError(() => conv2d(randomTensor([1, 5, 8, 8], 1), w, null, { kernel: 3 }), 'SHAPE_MISMATCH', /\[8, 4, 3, 3\] expects 4 input channels.*has 5/);
    });
    it('groups that do not divide the channels', () => {
      expectTesseraError(() => conv2d(x, randomTensor([8, 1, 3, 3], 2), null, { kernel: 3, groups: 3 }), 'SHAPE_MISMATCH', /groups 3 must divide input channels 4/);
    });
    it('a kernel larger than the padded input', () => {
      expectTesseraError(() => conv2d(randomTensor([1, 4, 4, 4], 1), randomTensor([8, 4, 3, 3], 2), null, { kernel: 3, dilation: 2 }), 'SHAPE_MISMATCH', /spans 5×5, larger than the padded input 4×4/);
    });
    it('stride 0 and negative dilation', () => {
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, stride: 0 }), 'BAD_ARGUMENT', /stride must be an integer ≥ 1, got 0/);
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3, dilation: [1, -2] }), 'BAD_ARGUMENT', /dilation must be an integer ≥ 1, got -2/);
    });
    it('NaN or out-of-range regions, from the public function and from the kernels', () => {
      const out = Tensor.zeros([1, 8, 6, 6]);
      const bad: Region = { n0: 0, n1: 1, c0: 0, c1: 8, y0: NaN, y1: 3, x0: 0, x1: 6 };
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3 }, out, bad), 'BAD_REGION', /y0 must be an integer, got NaN/);
      for (const k of [conv2dFast, conv2dReference]) {
        expectTesseraError(() => k([x], { weight: w }, spec({ kernel: 3 }), out, bad), 'BAD_REGION', /y0 must be an integer, got NaN/);
        expectTesseraError(() => k([x], { weight: w }, spec({ kernel: 3 }), out, { ...fullRegion(out.shape), x1: 7 }), 'BAD_REGION', /outside \[0, 6\) on axis x/);
      }
    });
    it('bias of the wrong length, a misspelt weight name, a wrongly shaped output', () => {
      expectTesseraError(() => conv2d(x, w, randomTensor([5], 3), { kernel: 3 }), 'SHAPE_MISMATCH', /bias \[5\] must be \[8\]/);
      expectTesseraError(() => conv2dFast([x], { weight: w, biases: randomTensor([8], 3) }, spec({ kernel: 3 }), Tensor.zeros([1, 8, 6, 6]), fullRegion([1, 8, 6, 6])), 'BAD_ARGUMENT', /unknown weight 'biases'/);
      expectTesseraError(() => conv2d(x, w, null, { kernel: 3 }, Tensor.zeros([1, 8, 8, 8])), 'SHAPE_MISMATCH', /\[1, 8, 8, 8\] must have shape \[1, 8, 6, 6\]/);
    });
    it('a spec whose kernel disagrees with the weight', () => {
      expectTesseraError(() => conv2d(x, w, null, { kernel: 5 }), 'SHAPE_MISMATCH', /3×3 kernel, spec says 5×5/);
    });

    describe('fused epilogue arguments (fast and reference kernels, and outputShape)', () => {
      const out = () => Tensor.filled([1, 8, 6, 6], SENTINEL);
      const v8 = (seed: number) => randomTensor([8], seed);
      /** Each kernel throws the TesseraError and writes nothing. */
      const rejects = (s: Conv2dArgs, weights: Weights, code: string, msg: RegExp) => {
        for (const k of [conv2dFast, conv2dReference]) {
          const o = out();
          expectTesseraError(() => k([x], { weight: w, ...weights }, spec(s), o, fullRegion(o.shape)), code, msg);
          expect(o.toArray().every((v) => v === SENTINEL), 'output untouched').to.equal(true);
        }
        const shapes = Object.fromEntries(Object.entries({ weight: w, ...weights }).map(([k, t]) => [k, t?.shape]));
        expectTesseraError(() => conv2dOp.outputShape(spec(s), [x.shape], shapes), code, msg);
      };
      it('an unknown activation', () => {
        rejects({ kernel: 3, activation: 'gelu' as never }, {}, 'BAD_ARGUMENT', /conv2d activation must be one of 'relu', 'relu6', 'leakyRelu', 'hardSigmoid', 'hardSwish', got "gelu"/);
        rejects({ kernel: 3, activation: 'sigmoid' as never }, {}, 'BAD_ARGUMENT', /activation must be one of .*got "sigmoid"/);
      });
      it('alpha without leakyRelu, leakyRelu without alpha, a non-finite alpha', () => {
        rejects({ kernel: 3, alpha: 0.1 }, {}, 'BAD_ARGUMENT', /conv2d alpha 0\.1 is only meaningful with activation 'leakyRelu'/);
        rejects({ kernel: 3, activation: 'relu', alpha: 0.2 }, {}, 'BAD_ARGUMENT', /alpha 0\.2 is only meaningful with activation 'leakyRelu'/);
        rejects({ kernel: 3, activation: 'leakyRelu' }, {}, 'BAD_ARGUMENT', /conv2d activation 'leakyRelu' needs alpha/);
        rejects({ kernel: 3, activation: 'leakyRelu', alpha: NaN }, {}, 'BAD_ARGUMENT', /conv2d alpha must be a finite number, got NaN/);
      });
      it('hardSigmoid without alpha or beta, beta on another activation, a non-finite beta', () => {
        rejects({ kernel: 3, activation: 'hardSigmoid', beta: 0.5 }, {}, 'BAD_ARGUMENT', /conv2d activation 'hardSigmoid' needs alpha/);
        rejects({ kernel: 3, activation: 'hardSigmoid', alpha: 0.2 }, {}, 'BAD_ARGUMENT', /conv2d activation 'hardSigmoid' needs beta/);
        rejects({ kernel: 3, activation: 'hardSwish', beta: 0.5 }, {}, 'BAD_ARGUMENT', /conv2d beta 0\.5 is only meaningful with activation 'hardSigmoid'/);
        rejects({ kernel: 3, activation: 'hardSwish', alpha: 0.2 }, {}, 'BAD_ARGUMENT', /conv2d alpha 0\.2 is only meaningful with activation 'leakyRelu' or 'hardSigmoid'/);
        rejects({ kernel: 3, activation: 'hardSigmoid', alpha: 0.2, beta: Infinity }, {}, 'BAD_ARGUMENT', /conv2d beta must be a finite number, got Infinity/);
      });
      it('scale without shift, shift without scale', () => {
        rejects({ kernel: 3 }, { scale: v8(4) }, 'BAD_ARGUMENT', /conv2d takes scale and shift together .*got only scale/);
        rejects({ kernel: 3, activation: 'relu' }, { shift: v8(5) }, 'BAD_ARGUMENT', /conv2d takes scale and shift together .*got only shift/);
      });
      it('scale or shift of the wrong length or rank', () => {
        rejects({ kernel: 3 }, { scale: randomTensor([5], 6), shift: v8(7) }, 'SHAPE_MISMATCH', /conv2d scale \[5\] must be \[8\]/);
        rejects({ kernel: 3 }, { scale: v8(6), shift: randomTensor([9], 7) }, 'SHAPE_MISMATCH', /conv2d shift \[9\] must be \[8\]/);
        rejects({ kernel: 3 }, { scale: randomTensor([1, 8], 6), shift: v8(7) }, 'SHAPE_MISMATCH', /conv2d scale \[1, 8\] must be \[8\]/);
      });
    });

    it('a huge, fractional, negative, empty or infinite region, or a mismatched output, is rejected before the kernel runs', () => {
      const full = fullRegion([1, 8, 6, 6]);
      const regions: [Region, RegExp][] = [
        [{ ...full, y1: 2 ** 31 }, /outside \[0, 6\) on axis y/],
        [{ ...full, x1: 1e12 }, /outside \[0, 6\) on axis x/],
        [{ ...full, c1: Infinity }, /c1 must be an integer, got Infinity/],
        [{ ...full, x0: 0.5 }, /x0 must be an integer, got 0\.5/],
        [{ ...full, n0: -1 }, /outside \[0, 1\) on axis n/],
        [{ ...full, y0: 3, y1: 3 }, /empty or outside \[0, 6\) on axis y/],
        [{ ...full, c0: 5, c1: 2 }, /empty or outside \[0, 8\) on axis c/],
      ];
      for (const k of [conv2dFast, conv2dReference]) {
        for (const [r, msg] of regions) {
          const o = Tensor.filled([1, 8, 6, 6], SENTINEL);
          expectTesseraError(() => k([x], { weight: w }, spec({ kernel: 3, activation: 'relu' }), o, r), 'BAD_REGION', msg);
          expect(o.toArray().every((v) => v === SENTINEL), `${JSON.stringify(r)}: output untouched`).to.equal(true);
        }
        // Same number of elements, other shape; a bigger output; not a Tensor.
        for (const shape of [[1, 8, 36, 1], [1, 8, 6, 7], [2, 8, 6, 6]]) {
          const o = Tensor.filled(shape, SENTINEL);
          expectTesseraError(() => k([x], { weight: w }, spec({ kernel: 3 }), o, fullRegion([1, 8, 6, 6])), 'SHAPE_MISMATCH', new RegExp(`output \\[${shape.join(', ')}\\] must have shape \\[1, 8, 6, 6\\]`));
          expect(o.toArray().every((v) => v === SENTINEL), `output ${shape} untouched`).to.equal(true);
        }
        expectTesseraError(() => k([x], { weight: w }, spec({ kernel: 3 }), new Float32Array(288) as never, full), 'BAD_ARGUMENT', /output must be a Tensor, got \[object Float32Array\]/);
      }
    });
  });
});
