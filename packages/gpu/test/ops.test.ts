import { expect } from 'chai';
import {
  OP_TYPES, Tensor, getOp, isTesseraError, randInt, randomTensor, rng, runOp, weightShapes,
  type OpSpec, type Padding, type Region, type Shape, type Weights,
} from '@tessera/tensor';
import { GpuOpRunner } from '../src/index.js';
import { GPU_OPS } from '../src/ops/index.js';
import { MODES, maxRelErr, skipUnlessMode } from './helpers.js';

/*
 * Every op on every backend against the CPU reference kernel, on the whole
 * output and on an edge region (last batch, upper channels, bottom rows, left
 * columns). Error: max |gpu − ref| / max(1, |ref|) ≤ 1e-4.
 */

interface Case {
  readonly name: string;
  readonly spec: OpSpec;
  readonly inputs: readonly Shape[];
  readonly weights?: Readonly<Record<string, Shape>>;
  /** Input value range (default [−1, 1]). */
  readonly range?: [number, number];
}

const CASES: readonly Case[] = [
  { name: '3×3 same, bias, odd sizes, batch 2', spec: { op: 'conv2d', kernel: 3, padding: 'same' }, inputs: [[2, 3, 7, 9]], weights: { weight: [5, 3, 3, 3], bias: [5] } },
  {
    name: '3×2 stride [2,1] dilation [1,2], explicit pads, groups 2, no bias',
    spec: { op: 'conv2d', kernel: [3, 2], stride: [2, 1], dilation: [1, 2], padding: { top: 1, bottom: 0, left: 2, right: 1 }, groups: 2 },
    inputs: [[1, 4, 11, 8]], weights: { weight: [6, 2, 3, 2] },
  },
  { name: 'depthwise 3×3 stride 2 same', spec: { op: 'conv2d', kernel: 3, stride: 2, padding: 'same', groups: 4 }, inputs: [[1, 4, 9, 10]], weights: { weight: [4, 1, 3, 3], bias: [4] } },
  { name: 'flip (true convolution), dilation 2 valid', spec: { op: 'conv2d', kernel: 3, dilation: 2, flip: true }, inputs: [[1, 2, 9, 8]], weights: { weight: [3, 2, 3, 3], bias: [3] } },
  { name: '7×7 stride 2 valid', spec: { op: 'conv2d', kernel: 7, stride: 2 }, inputs: [[1, 3, 17, 15]], weights: { weight: [4, 3, 7, 7], bias: [4] } },
  { name: '1×1 pointwise', spec: { op: 'conv2d', kernel: 1 }, inputs: [[2, 5, 3, 4]], weights: { weight: [7, 5, 1, 1], bias: [7] } },
  // The fused epilogue (nn's fuseLayers puts it in models): bias, scale/shift, activation.
  {
    name: 'epilogue: 3×3 same, bias, scale/shift, relu', spec: { op: 'conv2d', kernel: 3, padding: 'same', activation: 'relu' },
    inputs: [[2, 3, 7, 9]], weights: { weight: [5, 3, 3, 3], bias: [5], scale: [5], shift: [5] },
  },
  {
    name: 'epilogue: depthwise stride 2, scale/shift, leakyRelu 0.1, no bias', spec: { op: 'conv2d', kernel: 3, stride: 2, padding: 'same', groups: 4, activation: 'leakyRelu', alpha: 0.1 },
    inputs: [[1, 4, 9, 10]], weights: { weight: [4, 1, 3, 3], scale: [4], shift: [4] },
  },
  { name: 'epilogue: 1×1, bias, relu6', spec: { op: 'conv2d', kernel: 1, activation: 'relu6' }, inputs: [[1, 6, 4, 5]], weights: { weight: [7, 6, 1, 1], bias: [7] }, range: [-9, 9] },
  { name: 'max 3×3 s2 same', spec: { op: 'maxPool', kernel: 3, stride: 2, padding: 'same' }, inputs: [[2, 3, 9, 8]] },
  { name: 'max 2×2 valid', spec: { op: 'maxPool', kernel: 2 }, inputs: [[1, 2, 7, 9]] },
  { name: 'avg 3×3 s1 pad 1 dilation 2', spec: { op: 'avgPool', kernel: 3, stride: 1, padding: 1, dilation: 2 }, inputs: [[1, 3, 8, 7]] },
  { name: 'avg 2×2 s2 same (odd)', spec: { op: 'avgPool', kernel: 2, stride: 2, padding: 'same' }, inputs: [[1, 2, 7, 5]] },
  { name: 'l2 3×2 s[2,1] pads', spec: { op: 'l2Pool', kernel: [3, 2], stride: [2, 1], padding: { top: 1, bottom: 1, left: 0, right: 1 } }, inputs: [[2, 2, 9, 6]] },
  { name: 'global avg', spec: { op: 'globalAvgPool' }, inputs: [[2, 5, 7, 6]] },
  { name: 'global max', spec: { op: 'globalMaxPool' }, inputs: [[2, 5, 7, 6]] },
  { name: 'relu', spec: { op: 'relu' }, inputs: [[2, 3, 5, 7]] },
  { name: 'leakyRelu 0.1', spec: { op: 'leakyRelu', alpha: 0.1 }, inputs: [[1, 3, 5, 7]] },
  { name: 'relu6', spec: { op: 'relu6' }, inputs: [[1, 3, 5, 7]], range: [-9, 9] },
  { name: 'sigmoid', spec: { op: 'sigmoid' }, inputs: [[1, 3, 5, 7]], range: [-30, 30] },
  { name: 'tanh', spec: { op: 'tanh' }, inputs: [[1, 3, 5, 7]], range: [-5, 5] },
  { name: 'relu rank 2', spec: { op: 'relu' }, inputs: [[3, 11]] },
  { name: 'scale + shift', spec: { op: 'scaleShift' }, inputs: [[2, 4, 5, 3]], weights: { scale: [4], shift: [4] } },
  { name: 'scale only, rank 2', spec: { op: 'scaleShift' }, inputs: [[3, 6]], weights: { scale: [6] } },
  { name: 'add 2', spec: { op: 'add' }, inputs: [[2, 3, 5, 4], [2, 3, 5, 4]] },
  { name: 'add 3', spec: { op: 'add' }, inputs: [[1, 3, 5, 4], [1, 3, 5, 4], [1, 3, 5, 4]] },
  { name: 'concat 3', spec: { op: 'concat' }, inputs: [[2, 2, 5, 3], [2, 3, 5, 3], [2, 1, 5, 3]] },
  { name: 'concat 1', spec: { op: 'concat' }, inputs: [[1, 3, 4, 4]] },
  { name: 'pad rows/cols', spec: { op: 'pad', top: 1, bottom: 2, left: 0, right: 3 }, inputs: [[1, 2, 4, 5]] },
  { name: 'pad channels + value', spec: { op: 'pad', top: 0, bottom: 1, left: 0, right: 1, channelsBefore: 1, channelsAfter: 2, value: 0.5 }, inputs: [[2, 3, 4, 3]] },
  { name: 'resize up (TF default)', spec: { op: 'resize', height: 13, width: 11 }, inputs: [[1, 2, 5, 4]] },
  { name: 'resize down alignCorners', spec: { op: 'resize', height: 4, width: 5, alignCorners: true }, inputs: [[2, 2, 9, 11]] },
  { name: 'resize halfPixelCenters', spec: { op: 'resize', height: 7, width: 9, halfPixelCenters: true }, inputs: [[1, 3, 4, 6]] },
  { name: 'dense rank 4 + bias', spec: { op: 'dense' }, inputs: [[2, 3, 2, 2]], weights: { weight: [12, 5], bias: [5] } },
  { name: 'dense rank 2', spec: { op: 'dense' }, inputs: [[3, 17]], weights: { weight: [17, 4] } },
  {
    name: 'dense epilogue: bias, scale/shift, leakyRelu 0.2', spec: { op: 'dense', activation: 'leakyRelu', alpha: 0.2 },
    inputs: [[2, 3, 2, 2]], weights: { weight: [12, 5], bias: [5], scale: [5], shift: [5] },
  },
  { name: 'dense epilogue: relu6, no bias', spec: { op: 'dense', activation: 'relu6' }, inputs: [[3, 17]], weights: { weight: [17, 4] }, range: [-9, 9] },
  { name: 'softmax rank 4', spec: { op: 'softmax' }, inputs: [[2, 5, 3, 4]], range: [-10, 10] },
  { name: 'softmax rank 2', spec: { op: 'softmax' }, inputs: [[3, 7]], range: [-10, 10] },
  // Cases below are appended so the indices above (used by the split test) stay put.
  {
    name: 'transpose 3×3 stride 2, crop 1, output padding 1, bias, batch 2', spec: { op: 'conv2dTranspose', kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
    inputs: [[2, 3, 4, 5]], weights: { weight: [3, 4, 3, 3], bias: [4] },
  },
  {
    name: 'transpose 2×3 stride [2,3] dilation [2,1], groups 2, asymmetric crop, no bias',
    spec: { op: 'conv2dTranspose', kernel: [2, 3], stride: [2, 3], dilation: [2, 1], groups: 2, padding: { top: 0, bottom: 1, left: 2, right: 0 } },
    inputs: [[1, 4, 5, 3]], weights: { weight: [4, 3, 2, 3] },
  },
  { name: 'resize nearest up, half_pixel, round_prefer_ceil', spec: { op: 'resize', mode: 'nearest', height: 11, width: 8, coordinates: 'half_pixel', nearestMode: 'round_prefer_ceil' }, inputs: [[2, 2, 5, 4]] },
  { name: 'pad reflect', spec: { op: 'pad', mode: 'reflect', top: 2, bottom: 1, left: 0, right: 3 }, inputs: [[2, 2, 4, 5]] },
  { name: 'pad edge', spec: { op: 'pad', mode: 'edge', top: 0, bottom: 3, left: 2, right: 1 }, inputs: [[1, 3, 3, 4]] },
  { name: 'binary sub, per-channel second', spec: { op: 'binary', fn: 'sub' }, inputs: [[2, 3, 5, 4], [1, 3, 1, 1]] },
  { name: 'binary div, scalar first', spec: { op: 'binary', fn: 'div' }, inputs: [[1, 1, 1, 1], [2, 3, 5, 4]], range: [0.5, 2] },
  { name: 'binary mul, same shape', spec: { op: 'binary', fn: 'mul' }, inputs: [[1, 3, 5, 4], [1, 3, 5, 4]] },
  { name: 'binary add, rank 2 mixed', spec: { op: 'binary', fn: 'add' }, inputs: [[3, 1], [1, 6]] },
  { name: 'prelu per channel', spec: { op: 'prelu' }, inputs: [[2, 3, 5, 7]], weights: { slope: [3] } },
  { name: 'prelu one slope, rank 2', spec: { op: 'prelu' }, inputs: [[3, 11]], weights: { slope: [1] } },
  { name: 'hardSigmoid 0.2, 0.5', spec: { op: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, inputs: [[1, 3, 5, 7]], range: [-5, 5] },
  { name: 'hardSwish', spec: { op: 'hardSwish' }, inputs: [[1, 3, 5, 7]], range: [-5, 5] },
  { name: 'resize nearest down, asymmetric, floor', spec: { op: 'resize', mode: 'nearest', height: 4, width: 3, nearestMode: 'floor' }, inputs: [[1, 3, 9, 7]] },
  {
    name: 'transpose 2×2 stride 2 epilogue (a fused decoder: bias, scale/shift, hardSwish)', spec: { op: 'conv2dTranspose', kernel: 2, stride: 2, activation: 'hardSwish' },
    inputs: [[1, 3, 4, 5]], weights: { weight: [3, 4, 2, 2], bias: [4], scale: [4], shift: [4] },
  },
  {
    name: 'transpose 2×2 stride 2 with a fused sigmoid (a detector head)', spec: { op: 'conv2dTranspose', kernel: 2, stride: 2, activation: 'sigmoid' },
    inputs: [[1, 3, 4, 5]], weights: { weight: [3, 1, 2, 2], bias: [1] },
  },
];

/**
 * Random conv2d and pool configurations (seeded): odd sizes, stride,
 * dilation, padding of every kind, groups. Configurations the spec rejects
 * (kernel larger than the padded input, a pool window of only padding) are
 * drawn again.
 */
function randomCases(seed: number, count: number): Case[] {
  const rand = rng(seed);
  const out: Case[] = [];
  while (out.length < count) {
    const groups = [1, 1, 2, 3][randInt(rand, 0, 3)]!;
    const cin = groups * randInt(rand, 1, 3), cout = groups * randInt(rand, 1, 3);
    const kh = randInt(rand, 1, 4), kw = randInt(rand, 1, 4);
    const h = randInt(rand, 3, 13), w = randInt(rand, 3, 13);
    const stride: [number, number] = [randInt(rand, 1, 3), randInt(rand, 1, 3)];
    const dilation: [number, number] = [randInt(rand, 1, 3), randInt(rand, 1, 2)];
    const pads: Padding[] = ['same', 'valid', randInt(rand, 0, 2),
      { top: randInt(rand, 0, 2), bottom: randInt(rand, 0, 2), left: randInt(rand, 0, 2), right: randInt(rand, 0, 2) }];
    const padding = pads[randInt(rand, 0, 3)]!;
    const n = randInt(rand, 1, 2);
    const pool = rand() < 0.4;
    const c: Case = pool
      ? { name: `random pool #${out.length}`, spec: { op: (['maxPool', 'avgPool', 'l2Pool'] as const)[randInt(rand, 0, 2)]!, kernel: [kh, kw], stride, dilation, padding }, inputs: [[n, cin, h, w]] }
      : {
        name: `random conv #${out.length}`,
        spec: { op: 'conv2d', kernel: [kh, kw], stride, dilation, padding, groups, flip: rand() < 0.3 },
        inputs: [[n, cin, h, w]], weights: { weight: [cout, cin / groups, kh, kw], bias: [cout] },
      };
    try {
      getOp(c.spec.op).outputShape(c.spec, c.inputs, c.weights ?? {});
    } catch (e) {
      if (isTesseraError(e)) continue;
      throw e;
    }
    out.push({ ...c, name: `${c.name}: ${JSON.stringify(c.spec)} on ${JSON.stringify(c.inputs[0])}` });
  }
  return out;
}

const RANDOM_CASES = randomCases(2024, 12);

/** Last batch, upper channels, bottom rows, left columns: touches the bottom and left edges. */
function edgeRegion(shape: Shape): Region {
  const [n, c, h, w] = shape.length === 4 ? shape : [shape[0]!, shape[1]!, 1, 1];
  return { n0: n! - 1, n1: n!, c0: Math.floor(c! / 3), c1: c!, y0: Math.floor(h! / 2), y1: h!, x0: 0, x1: Math.max(1, Math.ceil(w! / 2)) };
}

function setup(c: Case, seed: number): { inputs: Tensor[]; weights: Weights; shape: Shape } {
  const [lo, hi] = c.range ?? [-1, 1];
  const inputs = c.inputs.map((s, i) => randomTensor(s, seed + i, lo, hi));
  const weights: Record<string, Tensor> = {};
  Object.entries(c.weights ?? {}).forEach(([k, s], i) => (weights[k] = randomTensor(s, seed + 100 + i)));
  const shape = getOp(c.spec.op).outputShape(c.spec, c.inputs, weightShapes(weights));
  return { inputs, weights, shape };
}

describe('GPU ops vs the CPU reference', function () {
  this.timeout(120000);

  it('every op type has a GPU kernel and a test case', () => {
    for (const t of OP_TYPES) {
      expect(GPU_OPS, t).to.have.property(t).that.is.a('function');
      expect(CASES.some((c) => c.spec.op === t), `test case for ${t}`).to.equal(true);
    }
  });

  for (const mode of MODES) {
    describe(`mode ${mode}`, () => {
      let runner: GpuOpRunner | undefined;
      before(function () {
        skipUnlessMode(this, mode);
        runner = new GpuOpRunner({ mode });
        expect(runner.backend).to.equal(mode);
      });
      after(async () => {
        expect(runner?.stats.texturesLive ?? 0).to.equal(0);
        await runner?.close();
      });

      [...CASES, ...RANDOM_CASES].forEach((c, k) => {
        it(`${c.spec.op}: ${c.name}`, () => {
          const { inputs, weights, shape } = setup(c, 1000 * k + 1);
          for (const region of [undefined, edgeRegion(shape)]) {
            const ref = runOp(c.spec, inputs, weights, Tensor.zeros(shape), region, 'reference');
            const got = runner!.run(c.spec, inputs, weights, region);
            const err = maxRelErr(got.toFloat32Array(), ref.toFloat32Array());
            expect(err, `${region ? 'edge region' : 'whole output'} rel err`).to.be.at.most(1e-4);
          }
        });
      });

      it('regions of one shape share a compiled kernel (positions are arguments)', () => {
        const c = CASES[0]!;
        const { inputs, weights, shape } = setup(c, 5);
        const before = runner!.stats;
        const ref = runOp(c.spec, inputs, weights, Tensor.zeros(shape), undefined, 'reference');
        const out = Tensor.zeros(shape);
        // Eight overlapping 1×5×4×5 tiles covering a [2, 5, 7, 9] output (rows [0,4) and [3,7), columns [0,5) and [4,9), both batches).
        for (const n0 of [0, 1]) for (const y0 of [0, 3]) for (const x0 of [0, 4]) {
          runner!.run(c.spec, inputs, weights, { n0, n1: n0 + 1, c0: 0, c1: 5, y0, y1: y0 + 4, x0, x1: x0 + 5 }, out);
        }
        expect(runner!.stats.kernelsCompiled - before.kernelsCompiled).to.equal(1);
        expect(runner!.stats.cacheHits - before.cacheHits).to.equal(7);
        expect(maxRelErr(out.toFloat32Array(), ref.toFloat32Array())).to.be.at.most(1e-4);
      });

      it('splits an op into parts when the output or an input exceeds a small texture limit', async () => {
        const small = new GpuOpRunner({ mode, maxTextureSize: 8 }); // 64 elements per value
        try {
          for (const k of [0, 1, 6, 11, 23, 27, 30, 31, 32]) { // 31: a dense weight [17, 4] larger than a texture
            const c = CASES[k]!;
            const { inputs, weights, shape } = setup(c, 7 + k);
            const ref = runOp(c.spec, inputs, weights, Tensor.zeros(shape), undefined, 'reference');
            const got = small.run(c.spec, inputs, weights);
            expect(maxRelErr(got.toFloat32Array(), ref.toFloat32Array()), `${c.spec.op}: ${c.name}`).to.be.at.most(1e-4);
          }
          expect(small.stats.splitLayers).to.be.greaterThan(0);
          expect(small.stats.texturesLive).to.equal(0);
        } finally {
          await small.close();
        }
      });
    });
  }
});
