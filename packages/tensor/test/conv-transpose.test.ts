import { expect } from 'chai';
import { conv2dTranspose, conv2dTransposeOp, conv2dTransposeRef, type Conv2dTransposeSpec } from '../src/ops/conv-transpose/index.js';
import { randInt, randomTensor, rng } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import { engineTensor, releaseEngineTensor } from '../src/engine/tensors.js';
import { fullRegion, type Region } from '../src/region.js';
import { randomTiling } from './util.js';
import { scaleShift } from '../src/ops/scale-shift/index.js';
import { applyOp, type OpSpec } from '../src/ops/registry.js';
import {
  caseOutShape, embed, expectInputRegionExact, expectTesseraError, expectTilingsBitEqual, expectWithinFastTolerance, maybeEmbed,
  randomRegion, runCase, type OpCase,
} from './util.js';

/**
 * The scatter form, written independently of the kernels' gather: every
 * input cell adds w · x onto its dilated window of the full (uncropped)
 * output, in float64; then the crop and the bias.
 */
function scatter64(x: Tensor, w: Tensor, b: Tensor | null, s: Conv2dTransposeSpec): number[] {
  const [n, cin, h, wd] = x.dims4();
  const [, copg, kh, kw] = w.dims4();
  const groups = s.groups ?? 1, cipg = cin / groups, cout = copg * groups;
  const pr = (v: Conv2dTransposeSpec['stride'], d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);
  const [sh, sw] = pr(s.stride, 1), [dh, dw] = pr(s.dilation, 1), [oph, opw] = pr(s.outputPadding, 0);
  const p = typeof s.padding === 'number' ? { top: s.padding, bottom: s.padding, left: s.padding, right: s.padding } : s.padding ?? { top: 0, bottom: 0, left: 0, right: 0 };
  const fh = (h - 1) * sh + (kh - 1) * dh + 1 + oph, fw = (wd - 1) * sw + (kw - 1) * dw + 1 + opw;
  const full = new Float64Array(n * cout * fh * fw);
  for (let a = 0; a < n; a++)
    for (let ci = 0; ci < cin; ci++) {
      const grp = Math.floor(ci / cipg);
      for (let iy = 0; iy < h; iy++)
        for (let ix = 0; ix < wd; ix++)
          for (let c = 0; c < copg; c++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const co = grp * copg + c, y = iy * sh + ky * dh, xx = ix * sw + kx * dw;
                full[((a * cout + co) * fh + y) * fw + xx] += w.get(ci, c, ky, kx) * x.get(a, ci, iy, ix);
              }
    }
  const out: number[] = [];
  for (let a = 0; a < n; a++)
    for (let co = 0; co < cout; co++)
      for (let y = p.top; y < fh - p.bottom; y++)
        for (let xx = p.left; xx < fw - p.right; xx++) out.push(full[((a * cout + co) * fh + y) * fw + xx]! + (b ? b.get(co) : 0));
  return out;
}

/** Random problems: strides up to 3, dilations up to 2, groups, output padding, crops; odd sizes. */
function randomCase(rand: () => number): OpCase<Conv2dTransposeSpec> & { w: Tensor; b: Tensor | null } {
  const groups = randInt(rand, 1, 3);
  const cin = groups * randInt(rand, 1, 3), copg = randInt(rand, 1, 3);
  const kh = randInt(rand, 1, 4), kw = randInt(rand, 1, 4);
  const stride: [number, number] = [randInt(rand, 1, 3), randInt(rand, 1, 3)];
  const dilation: [number, number] = [randInt(rand, 1, 2), randInt(rand, 1, 2)];
  const outputPadding: [number, number] = [randInt(rand, 0, Math.max(stride[0], dilation[0]) - 1), randInt(rand, 0, Math.max(stride[1], dilation[1]) - 1)];
  const h = randInt(rand, 1, 7), wd = randInt(rand, 1, 8);
  const crop = (full: number): [number, number] => {
    const a = randInt(rand, 0, Math.min(2, Math.floor((full - 1) / 2))), b = randInt(rand, 0, Math.min(2, Math.floor((full - 1) / 2)));
    return [a, b];
  };
  const [top, bottom] = crop((h - 1) * stride[0] + (kh - 1) * dilation[0] + 1 + outputPadding[0]);
  const [left, right] = crop((wd - 1) * stride[1] + (kw - 1) * dilation[1] + 1 + outputPadding[1]);
  const spec: Conv2dTransposeSpec = { op: 'conv2dTranspose', kernel: [kh, kw], stride, dilation, outputPadding, groups, padding: { top, bottom, left, right } };
  const w = randomTensor([cin, copg, kh, kw], rand), b = rand() < 0.6 ? randomTensor([copg * groups], rand) : null;
  const x = randomTensor([randInt(rand, 1, 2), cin, h, wd], rand);
  return { def: conv2dTransposeOp, spec, inputs: [x], weights: b ? { weight: w, bias: b } : { weight: w }, w, b };
}

describe('conv2dTranspose', () => {
  it('a 2×2 stride-2 kernel on a 2×2 input places one scaled copy of the kernel per cell (hand-checked)', () => {
    const x = Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]);
    const w = Tensor.from([1, 10, 100, 1000], [1, 1, 2, 2]);
    const y = conv2dTranspose(x, w, Tensor.from([0.5], [1]), { kernel: 2, stride: 2 });
    expect(y.shape).to.deep.equal([1, 1, 4, 4]);
    expect(y.toArray()).to.deep.equal([
      1.5, 10.5, 2.5, 20.5,
      100.5, 1000.5, 200.5, 2000.5,
      3.5, 30.5, 4.5, 40.5,
      300.5, 3000.5, 400.5, 4000.5,
    ]);
  });

  it('the reference equals the scatter definition, and the fast kernel the reference within FAST_TOLERANCE, on random problems', () => {
    const rand = rng(71);
    for (let t = 0; t < 60; t++) {
      const c = randomCase(rand);
      const ref = runCase(c, 'reference');
      const want = scatter64(c.inputs[0]!, c.w, c.b, c.spec);
      const got = ref.toFloat32Array();
      expect(got.length).to.equal(want.length);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `case ${t} element ${i} ${JSON.stringify(c.spec)}`).to.be.at.most(1e-6 * Math.max(1, Math.abs(want[i]!)));
      expectWithinFastTolerance(runCase({ ...c, inputs: [maybeEmbed(c.inputs[0]!, rand)] }, 'fast'), ref, `case ${t} ${JSON.stringify(c.spec)}`);
    }
  });

  it('any tiling of the output (strided, offset views) gives the same bits as the whole', () => {
    const rand = rng(72);
    for (let t = 0; t < 25; t++) {
      const c = randomCase(rand);
      expectTilingsBitEqual({ ...c, inputs: [embed(c.inputs[0]!, rand)] }, rand);
    }
  });

  it('kernel = stride (one tap per phase): the 1×1 conv + pixel shuffle and the direct kernel (direct.ts) give the phase path\'s bits, any region or tiling', () => {
    const rand = rng(73);
    for (let t = 0; t < 60; t++) {
      const k: [number, number] = [randInt(rand, 1, 3), randInt(rand, 1, 3)];
      const cin = randInt(rand, 1, 9), cout = randInt(rand, 1, 11);
      const x = randomTensor([randInt(rand, 1, 2), cin, randInt(rand, 1, 9), randInt(rand, 1, 21)], rand);
      const w = randomTensor([cin, cout, k[0], k[1]], rand);
      const b = rand() < 0.6 ? randomTensor([cout], rand) : undefined;
      const spec: Conv2dTransposeSpec = { op: 'conv2dTranspose', kernel: k, stride: k };
      const weights = b ? { weight: w, bias: b } : { weight: w };
      const shape = conv2dTransposeOp.outputShape(spec, [x.shape], { weight: w.shape, bias: b?.shape });
      // The phase path: an output in ordinary memory whose columns are not dense (a view of every other element).
      const wide = new Tensor(new Float32Array(2 * shape.reduce((a, b) => a * b, 1)), shape, [2 * shape[1]! * shape[2]! * shape[3]!, 2 * shape[2]! * shape[3]!, 2 * shape[3]!, 2], 0);
      conv2dTransposeOp.fast([x], weights, spec, wide, fullRegion(shape));
      const want = Tensor.from(wide.toFloat32Array(), shape);
      // Output in engine memory: the 1×1 conv into a tile and the shuffle; the input there too (every other case): direct.ts, in place.
      const xIn = t % 2 === 1;
      const inEngine = (regions: readonly Region[]): Float32Array => {
        const out = engineTensor(shape);
        const ex = xIn ? engineTensor(x.shape) : x;
        if (xIn) ex.data.set(x.toFloat32Array());
        out.data.fill(NaN);
        try {
          for (const r of regions) conv2dTransposeOp.fast([ex], weights, spec, out, r);
          return out.toFloat32Array().slice();
        } finally {
          releaseEngineTensor(out);
          if (xIn) releaseEngineTensor(ex);
        }
      };
      const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer));
      expect(bits(inEngine([fullRegion(shape)])), `case ${t} whole ${JSON.stringify(spec)} ${x.shape}`).to.deep.equal(bits(want.toFloat32Array()));
      expect(bits(inEngine(randomTiling(fullRegion(shape), rand))), `case ${t} tiled`).to.deep.equal(bits(want.toFloat32Array()));
      // One region alone writes just that region (NaN elsewhere).
      const r = randomRegion(shape, rand);
      const got = inEngine([r]);
      const [, C, H, W] = shape;
      for (let i = 0; i < got.length; i++) {
        const xx = i % W!, yy = Math.floor(i / W!) % H!, cc = Math.floor(i / (W! * H!)) % C!, nn = Math.floor(i / (W! * H! * C!));
        const inside = nn >= r.n0 && nn < r.n1 && cc >= r.c0 && cc < r.c1 && yy >= r.y0 && yy < r.y1 && xx >= r.x0 && xx < r.x1;
        if (inside) expect(Object.is(got[i], want.data[i]), `case ${t} region element ${i}`).to.equal(true);
        else expect(Number.isNaN(got[i]), `case ${t} outside the region, element ${i}`).to.equal(true);
      }
    }
  });

  it('the epilogue (scale/shift, fused activation or sigmoid) equals the unfused layers bit for bit: phases, empty phases, the shuffled form, any tiling', () => {
    const rand = rng(74);
    const acts = [undefined, 'relu', 'relu6', 'leakyRelu', 'hardSigmoid', 'hardSwish', 'sigmoid'] as const;
    let shuffledCases = 0, emptyPhases = 0;
    for (let t = 0; t < 90; t++) {
      const c = randomCase(rand);
      let spec = c.spec;
      if (t % 3 === 0) { // kernel = stride, one group: the shuffled form when the output is in engine memory
        const k: [number, number] = [randInt(rand, 1, 3), randInt(rand, 1, 3)];
        const cin = c.w.shape[0]!, cout = randInt(rand, 1, 9);
        c.w = randomTensor([cin, cout, k[0], k[1]], rand);
        c.b = rand() < 0.5 ? randomTensor([cout], rand) : null;
        spec = { op: 'conv2dTranspose', kernel: k, stride: k };
        shuffledCases++;
      }
      const k = typeof spec.kernel === 'number' ? [spec.kernel, spec.kernel] : spec.kernel, st = spec.stride === undefined ? [1, 1] : typeof spec.stride === 'number' ? [spec.stride, spec.stride] : spec.stride;
      if (k[0]! < st[0]! || k[1]! < st[1]!) emptyPhases++;
      const cout = c.w.shape[1]! * (spec.groups ?? 1);
      const act = acts[randInt(rand, 0, acts.length - 1)];
      const actSpec = act === 'leakyRelu' ? { op: act, alpha: 0.1 } : act === 'hardSigmoid' ? { op: act, alpha: 0.2, beta: 0.5 } : act ? { op: act } : undefined;
      const scaled = act === undefined || rand() < 0.6;
      const scale = randomTensor([cout], rand, -2, 2), shift = randomTensor([cout], rand);
      const fusedSpec = { ...spec, ...(actSpec ? { activation: act, ...('alpha' in actSpec ? { alpha: actSpec.alpha } : {}), ...('beta' in actSpec ? { beta: actSpec.beta } : {}) } : {}) } as Conv2dTransposeSpec;
      const base = c.b ? { weight: c.w, bias: c.b } : { weight: c.w };
      const weights = scaled ? { ...base, scale, shift } : base;
      const x = c.inputs[0]!;
      // The unfused chain, each layer its own fast kernel.
      let want = applyOp(spec as OpSpec, [x], base);
      if (scaled) want = scaleShift(want, scale, shift);
      if (actSpec) want = applyOp(actSpec as OpSpec, [want], {});
      const what = `case ${t} ${JSON.stringify(fusedSpec)} scaled ${scaled}`;
      const shape = want.shape;
      const plain = Tensor.zeros(shape);
      for (const r of randomTiling(fullRegion(shape), rand)) conv2dTransposeOp.fast([x], weights, fusedSpec, plain, r);
      const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
      expect(bits(plain.toFloat32Array()), `${what} ordinary memory`).to.deep.equal(bits(want.toFloat32Array()));
      const out = engineTensor(shape), ex = engineTensor(x.shape);
      try {
        ex.data.set(x.toFloat32Array());
        for (const r of randomTiling(fullRegion(shape), rand)) conv2dTransposeOp.fast([x], weights, fusedSpec, out, r);
        expect(bits(out.toFloat32Array()), `${what} engine memory`).to.deep.equal(bits(want.toFloat32Array()));
        for (const r of randomTiling(fullRegion(shape), rand)) conv2dTransposeOp.fast([ex], weights, fusedSpec, out, r);
        expect(bits(out.toFloat32Array()), `${what} engine memory, input too`).to.deep.equal(bits(want.toFloat32Array()));
      } finally {
        releaseEngineTensor(out); releaseEngineTensor(ex);
      }
      const ref = Tensor.zeros(shape);
      conv2dTransposeOp.reference([x], weights, fusedSpec, ref, fullRegion(shape));
      expectWithinFastTolerance(plain, ref, `${what} vs reference`);
    }
    expect(shuffledCases).to.be.above(10);
    expect(emptyPhases).to.be.above(5);
  });

  it('inputRegion is exactly what a region reads (edge regions and interior ones)', () => {
    const rand = rng(73);
    for (let t = 0; t < 40; t++) {
      const c = randomCase(rand);
      const shape = caseOutShape(c);
      const r = randomRegion(shape, rand);
      // Nonzero weights everywhere so every tap that hits an input cell shows (NaN · w).
      expectInputRegionExact(c, r, t % 2 ? 'reference' : 'fast');
    }
  });

  it('conv2dTransposeRef and conv2dTranspose agree on a region of a preallocated output', () => {
    const rand = rng(74);
    const c = randomCase(rand);
    const shape = caseOutShape(c);
    const r = randomRegion(shape, rand);
    const a = conv2dTranspose(c.inputs[0]!, c.w, c.b, c.spec, Tensor.zeros(shape), r);
    const b = conv2dTransposeRef(c.inputs[0]!, c.w, c.b, c.spec, Tensor.zeros(shape), r);
    expectWithinFastTolerance(a, b);
  });

  it('refuses bad specs and shapes with the value named', () => {
    const x = randomTensor([1, 4, 5, 5], 1), w = randomTensor([4, 3, 3, 3], 2);
    expectTesseraError(() => conv2dTranspose(x, w, null, { kernel: 2 }), 'SHAPE_MISMATCH', /3×3 kernel, spec says 2×2/);
    expectTesseraError(() => conv2dTranspose(x, randomTensor([3, 3, 3, 3], 3), null, { kernel: 3 }), 'SHAPE_MISMATCH', /expects 3 input channels/);
    expectTesseraError(() => conv2dTranspose(x, w, null, { kernel: 3, stride: 2, outputPadding: 2 }), 'BAD_ARGUMENT', /outputPadding \[2, 2\] must be below/);
    expectTesseraError(() => conv2dTranspose(x, w, null, { kernel: 3, padding: 4 }), 'SHAPE_MISMATCH', /crops the 7×7 output/);
    expectTesseraError(() => conv2dTranspose(x, w, null, { kernel: 3, groups: 3 }), 'SHAPE_MISMATCH', /groups 3 must divide input channels 4/);
    expectTesseraError(() => conv2dTranspose(x, w, Tensor.zeros([4]), { kernel: 3 }), 'SHAPE_MISMATCH', /bias \[4\] must be \[3\]/);
    expectTesseraError(() => conv2dTranspose(x, w, null, { kernel: 3, outPadding: 1 } as never), 'BAD_ARGUMENT', /outPadding/);
  });
});
