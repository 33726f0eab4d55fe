import { expect } from 'chai';
import {
  Tensor, applyOp, engineInfo, loadNative, randInt, randomTensor, releaseEngineTensor, rng, selectEngine, type OpSpec,
} from '@tessera/tensor';
import { expectSameBits, inEngineMemory, randomRegion, runOn, type Problem } from './util.js';

/*
 * Every kernel export of the native engine against the wasm engine: in
 * `exact` mode the same bits (± zero included; NaN is NaN), for every instruction
 * set this CPU runs; in `fma` mode close to the float64 reference, the same
 * bits for any cut of the output and for every instruction set.
 * Random shapes: odd sizes, channel counts that are not multiples of 8 or 32
 * (partial register tiles), strides, dilations, paddings, regions at edges;
 * feature maps both in ordinary memory and in engine memory (in place).
 */

const ACTS = [undefined, 'relu', 'relu6', 'leakyRelu', 'hardSigmoid', 'hardSwish'] as const;

/** The spec fields of activation `act` (leakyRelu's alpha; hardSigmoid's alpha and beta). */
function actFields(act: (typeof ACTS)[number], rand: () => number): Record<string, unknown> {
  if (act === 'leakyRelu') return { activation: act, alpha: rand() < 0.5 ? 0.1 : rand() * 2 - 1 };
  if (act === 'hardSigmoid') return { activation: act, alpha: rand() < 0.5 ? 0.2 : rand() * 2 - 1, beta: rand() < 0.5 ? 0.5 : rand() * 2 - 1 };
  return act ? { activation: act } : {};
}

/** A random epilogue into `w` (conv2d, `post`: also a post-activation scale/shift a third of the time); returns the spec fields. */
function epilogue(rand: () => number, cout: number, w: Record<string, Tensor>, post = false): Record<string, unknown> {
  if (rand() < 0.6) w.bias = randomTensor([cout], rand);
  if (rand() < 0.4) { w.scale = randomTensor([cout], rand, -4, 4); w.shift = randomTensor([cout], rand); }
  if (post && rand() < 1 / 3) { w.postScale = randomTensor([cout], rand, -2, 2); w.postShift = randomTensor([cout], rand); }
  return actFields(ACTS[randInt(rand, 0, ACTS.length - 1)], rand);
}

function convProblem(rand: () => number): Problem {
  const kind = randInt(rand, 0, 3); // 0, 1: dense conv; 2: grouped; 3: depthwise
  const cin = kind === 3 ? randInt(rand, 1, 19) : kind === 2 ? 2 * randInt(rand, 1, 9) : randInt(rand, 1, 21);
  const groups = kind === 3 ? cin : kind === 2 ? 2 : 1;
  const cout = kind === 3 ? cin : groups * randInt(rand, 1, 41);
  const kh = randInt(rand, 1, 5), kw = rand() < 0.7 ? kh : randInt(rand, 1, 5);
  const stride = [randInt(rand, 1, 3), randInt(rand, 1, 3)] as const;
  const dilation = rand() < 0.5 ? [1, 1] as const : [randInt(rand, 1, 3), randInt(rand, 1, 3)] as const;
  const padding = [ 'same', 'valid', randInt(rand, 0, 2), { top: randInt(rand, 0, 2), bottom: randInt(rand, 0, 3), left: randInt(rand, 0, 1), right: randInt(rand, 0, 3) }][randInt(rand, 0, 3)]!;
  const h = randInt(rand, (kh - 1) * dilation[0] + 1, 30), wd = randInt(rand, (kw - 1) * dilation[1] + 1, 37);
  const weights: Record<string, Tensor> = { weight: randomTensor([cout, cin / groups, kh, kw], rand) };
  const spec = { op: 'conv2d', kernel: [kh, kw], stride, dilation, padding, groups, ...epilogue(rand, cout, weights, true) } as unknown as OpSpec;
  return { spec, inputs: [randomTensor([randInt(rand, 1, 2), cin, h, wd], rand)], weights };
}

/**
 * Dense or 2-group conv with 64–140 output channels per group: the native
 * AVX-512 tiles of 64 and 32 channels (kernels/conv2d_wide.h) and their
 * leftover blocks, over odd sizes and partial regions.
 */
function wideConvProblem(rand: () => number): Problem {
  const groups = rand() < 0.3 ? 2 : 1;
  const cin = groups * randInt(rand, 1, 13), cout = groups * randInt(rand, 64, 140);
  const k = randInt(rand, 1, 3), dilation = rand() < 0.6 ? 1 : 2;
  const weights: Record<string, Tensor> = { weight: randomTensor([cout, cin / groups, k, k], rand) };
  const spec = { op: 'conv2d', kernel: k, stride: randInt(rand, 1, 2), dilation, padding: rand() < 0.7 ? 'same' : 'valid', groups, ...epilogue(rand, cout, weights, true) } as unknown as OpSpec;
  return { spec, inputs: [randomTensor([1, cin, randInt(rand, 2 * dilation + 1, 15), randInt(rand, 2 * dilation + 1, 19)], rand)], weights };
}

/**
 * Output channel counts of real mobile nets that leave a partial native
 * tile (8, 12, 18, 24, 40, 88, 104, 200 …): on AVX-512 an odd number of
 * 8-channel blocks ends in a 256-bit tile (kernels/conv2d_wide.h), over
 * maps wide enough for its 12-position tiles and their 8- and 4-position ends.
 */
function oddBlockConvProblem(rand: () => number): Problem {
  const counts = [8, 12, 18, 24, 40, 88, 104, 200, 8 * (2 * randInt(rand, 0, 6) + 1) - randInt(rand, 0, 7)];
  const cout = counts[randInt(rand, 0, counts.length - 1)]!;
  const cin = randInt(rand, 1, 24), k = randInt(rand, 1, 3), dilation = rand() < 0.7 ? 1 : 2;
  const weights: Record<string, Tensor> = { weight: randomTensor([cout, cin, k, k], rand) };
  const spec = { op: 'conv2d', kernel: k, stride: randInt(rand, 1, 2), dilation, padding: rand() < 0.7 ? 'same' : 'valid', ...epilogue(rand, cout, weights, true) } as unknown as OpSpec;
  return { spec, inputs: [randomTensor([1, cin, randInt(rand, 2 * dilation + 1, 17), randInt(rand, 2 * dilation + 1, 53)], rand)], weights };
}

/** Pointwise (1 × 1, stride 1, no padding): positions in the lanes, rows of 1–70 (16- and 32-lane steps and their tails), 1–40 channels. */
function pointwiseProblem(rand: () => number): Problem {
  const cin = randInt(rand, 1, 40), cout = randInt(rand, 1, 37);
  const weights: Record<string, Tensor> = { weight: randomTensor([cout, cin, 1, 1], rand) };
  const spec = { op: 'conv2d', kernel: 1, ...epilogue(rand, cout, weights, true) } as unknown as OpSpec;
  return { spec, inputs: [randomTensor([randInt(rand, 1, 2), cin, randInt(rand, 1, 9), randInt(rand, 1, 70)], rand)], weights };
}

/** Depthwise on small maps (output rows under 16) with 16–70 channels: the native channels-in-lanes blocks and the leftover channels. */
function smallMapDepthwiseProblem(rand: () => number): Problem {
  const c = randInt(rand, 16, 70), kh = randInt(rand, 1, 5), kw = rand() < 0.7 ? kh : randInt(rand, 1, 5);
  const stride = [randInt(rand, 1, 2), randInt(rand, 1, 2)] as const;
  const dilation = rand() < 0.7 ? [1, 1] as const : [randInt(rand, 1, 2), randInt(rand, 1, 2)] as const;
  const weights: Record<string, Tensor> = { weight: randomTensor([c, 1, kh, kw], rand) };
  const padding = ['same', 'valid', randInt(rand, 0, 2), { top: randInt(rand, 0, 2), bottom: randInt(rand, 0, 1), left: randInt(rand, 0, 2), right: randInt(rand, 0, 1) }][randInt(rand, 0, 3)]!;
  const spec = { op: 'conv2d', kernel: [kh, kw], stride, dilation, padding, groups: c, ...epilogue(rand, c, weights, true) } as unknown as OpSpec;
  const h = randInt(rand, (kh - 1) * dilation[0] + 1, 14), w = randInt(rand, (kw - 1) * dilation[1] + 1, 15);
  return { spec, inputs: [randomTensor([randInt(rand, 1, 2), c, h, w], rand)], weights };
}

/** Depthwise 3 × 3 on rows long enough for the native 16-lane path (and its 4-lane tail), stride 1 or 2. */
function depthwise3x3Problem(rand: () => number): Problem {
  const c = randInt(rand, 1, 11);
  const stride = [randInt(rand, 1, 2), randInt(rand, 1, 2)] as const;
  const dilation = rand() < 0.7 ? [1, 1] as const : [randInt(rand, 1, 2), randInt(rand, 1, 2)] as const;
  const weights: Record<string, Tensor> = { weight: randomTensor([c, 1, 3, 3], rand) };
  const spec = { op: 'conv2d', kernel: 3, stride, dilation, padding: rand() < 0.7 ? 'same' : 'valid', groups: c, ...epilogue(rand, c, weights, true) } as unknown as OpSpec;
  return { spec, inputs: [randomTensor([1, c, randInt(rand, 5, 23), randInt(rand, 5, 75)], rand)], weights };
}

function denseProblem(rand: () => number): Problem {
  const K = rand() < 0.3 ? randInt(rand, 257, 700) : randInt(rand, 1, 90), F = randInt(rand, 1, 83); // up to 6 panels: groups of 4 and single ones
  const weights: Record<string, Tensor> = { weight: randomTensor([K, F], rand) };
  const spec = { op: 'dense', ...epilogue(rand, F, weights) } as unknown as OpSpec;
  return { spec, inputs: [randomTensor([randInt(rand, 1, 5), K], rand)], weights };
}

function poolProblem(rand: () => number): Problem {
  const c = randInt(rand, 1, 9);
  if (rand() < 0.25) {
    return { spec: { op: rand() < 0.5 ? 'globalAvgPool' : 'globalMaxPool' } as OpSpec, inputs: [randomTensor([randInt(rand, 1, 2), c, randInt(rand, 1, 13), randInt(rand, 1, 13)], rand)], weights: {} };
  }
  const op = (['maxPool', 'avgPool', 'l2Pool'] as const)[randInt(rand, 0, 2)];
  const k = randInt(rand, 1, 4), s = rand() < 0.4 ? 2 : randInt(rand, 1, 4);
  const kernel = rand() < 0.3 ? [2, 2] : [k, randInt(rand, 1, 4)];
  const stride = rand() < 0.3 ? [2, 2] : [s, randInt(rand, 1, 3)];
  const dilation = rand() < 0.7 ? [1, 1] : [randInt(rand, 1, 2), randInt(rand, 1, 2)];
  const padding = ['valid', 'same', randInt(rand, 0, 1)][randInt(rand, 0, 2)];
  const spec = { op, kernel, stride, dilation, padding } as unknown as OpSpec;
  const h = randInt(rand, (kernel[0]! - 1) * dilation[0]! + 1, 29), w = randInt(rand, (kernel[1]! - 1) * dilation[1]! + 1, 35);
  return { spec, inputs: [randomTensor([randInt(rand, 1, 2), c, h, w], rand)], weights: {} };
}

/** binary with broadcasting, scaleShift, an epilogue activation, sigmoid or tanh (kernels/elementwise.c runs them on engine memory). */
function elementwiseProblem(rand: () => number): Problem {
  const shape = [randInt(rand, 1, 2), randInt(rand, 1, 19), randInt(rand, 1, 17), randInt(rand, 1, 41)];
  const kind = randInt(rand, 0, 3);
  // sigmoid's denormal results below −87; tanh's polynomial below 0.625 and its exp above.
  if (kind === 3) return { spec: { op: rand() < 0.5 ? 'sigmoid' : 'tanh' } as OpSpec, inputs: [randomTensor(shape, rand, -120, 40)], weights: {} };
  if (kind === 0) {
    const fn = (['add', 'sub', 'mul', 'div'] as const)[randInt(rand, 0, 3)]!;
    const other = rand() < 0.4 ? [shape[0]!, shape[1]!, 1, 1] : shape.map((d) => (rand() < 0.5 ? 1 : d));
    const [a, b] = rand() < 0.5 ? [shape, other] : [other, shape];
    return { spec: { op: 'binary', fn } as unknown as OpSpec, inputs: [randomTensor(a, rand), randomTensor(b, rand)], weights: {} };
  }
  if (kind === 1) {
    const weights: Record<string, Tensor> = { scale: randomTensor([shape[1]!], rand, -4, 4) };
    if (rand() < 0.7) weights.shift = randomTensor([shape[1]!], rand);
    return { spec: { op: 'scaleShift' } as unknown as OpSpec, inputs: [randomTensor(shape, rand, -8, 8)], weights };
  }
  const fields = actFields(ACTS[randInt(rand, 1, ACTS.length - 1)], rand) as { activation: string; alpha?: number; beta?: number };
  const spec = { op: fields.activation, ...(fields.alpha !== undefined ? { alpha: fields.alpha } : {}), ...(fields.beta !== undefined ? { beta: fields.beta } : {}) };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor(shape, rand, -8, 8)], weights: {} };
}

/** Nearest resize, any mode, integer upscales half the time (kernels/resize.c runs it on engine memory). */
function resizeProblem(rand: () => number): Problem {
  const shape = [randInt(rand, 1, 2), randInt(rand, 1, 9), randInt(rand, 1, 17), randInt(rand, 1, 29)];
  const f = (): number => [1, 2, 3, 4, 8][randInt(rand, 0, 4)]!;
  const up = rand() < 0.5;
  const coordinates = ['asymmetric', 'half_pixel', 'pytorch_half_pixel', 'align_corners', 'tf_half_pixel_for_nn'][randInt(rand, 0, 4)];
  const nearestMode = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'][randInt(rand, 0, 3)];
  const spec = { op: 'resize', mode: 'nearest', height: up ? shape[2]! * f() : randInt(rand, 1, 40), width: up ? shape[3]! * f() : randInt(rand, 1, 40), coordinates, nearestMode };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor(shape, rand)], weights: {} };
}

/** conv2dTranspose with kernel = stride (conv_transpose.c; a 1×1 conv and a pixel shuffle at odd columns), with an epilogue or a fused sigmoid. */
function transposeProblem(rand: () => number): Problem {
  const k = [randInt(rand, 1, 3), randInt(rand, 1, 3)], cin = randInt(rand, 1, 13), cout = randInt(rand, 1, 11);
  const weights: Record<string, Tensor> = { weight: randomTensor([cin, cout, k[0]!, k[1]!], rand) };
  const ep = epilogue(rand, cout, weights);
  // A fused sigmoid (conv2dTranspose's own extra activation) a fifth of the time.
  const spec = { op: 'conv2dTranspose', kernel: k, stride: k, ...(rand() < 0.2 ? { activation: 'sigmoid' } : ep) } as unknown as OpSpec;
  // Up to 45 columns: the native 16-lane tiles of 1 and 2 vectors, then the 4-lane ones and single columns.
  return { spec, inputs: [randomTensor([randInt(rand, 1, 2), cin, randInt(rand, 1, 9), randInt(rand, 1, 45)], rand)], weights };
}


const load = loadNative();
const ISAS = load.addon?.info().isas ?? [];

/** A problem `make` draws whose geometry is valid (a pool window over padding only is refused: draw again). */
function valid(make: (rand: () => number) => Problem): (rand: () => number) => Problem {
  return (rand) => {
    for (;;) {
      const p = make(rand);
      try {
        selectEngine({ kind: 'wasm' });
        applyOp(p.spec, p.inputs, p.weights);
        return p;
      } catch (e) {
        if ((e as { code?: string }).code !== 'BAD_ARGUMENT' && (e as { code?: string }).code !== 'SHAPE_MISMATCH') throw e;
      }
    }
  };
}

const FAMILIES: [string, (rand: () => number) => Problem, number][] = [
  ['conv2d (dense, grouped, depthwise)', valid(convProblem), 60],
  ['conv2d (64+ output channels per group: the wide native tiles)', valid(wideConvProblem), 16],
  ['conv2d (odd counts of 8-channel blocks: 8, 12, 18, 24, 40, 88 … output channels)', valid(oddBlockConvProblem), 24],
  ['conv2d pointwise (1 × 1, stride 1, no padding)', valid(pointwiseProblem), 30],
  ['depthwise 3×3 (long rows)', valid(depthwise3x3Problem), 30],
  ['depthwise on small maps (16–70 channels, rows under 16)', valid(smallMapDepthwiseProblem), 30],
  ['dense', valid(denseProblem), 30],
  ['pools (windowed and global)', valid(poolProblem), 50],
  ['element-wise (binary with broadcasting, scaleShift, activations, sigmoid, tanh)', valid(elementwiseProblem), 80],
  ['nearest resize', valid(resizeProblem), 40],
  ['conv2dTranspose (kernel = stride: 1×1 conv + pixel shuffle)', valid(transposeProblem), 30],
];

describe('native engine: kernels', function () {
  this.timeout(300_000);
  after(() => selectEngine({}));

  it('the addon is built and runs at least the plain C variant here', () => {
    expect(load.addon, 'reason' in load ? load.reason : '').to.not.equal(undefined);
    expect(ISAS).to.include('generic');
  });

  for (const [name, make, count] of FAMILIES) {
    it(`${name}: native exact === wasm, every ISA, random shapes and regions, in place and copied`, () => {
      const rand = rng(name.length * 7919);
      for (let i = 0; i < count; i++) {
        const p = make(rand);
        selectEngine({ kind: 'wasm' });
        const shape = applyOp(p.spec, p.inputs, p.weights).shape;
        const region = randomRegion(shape, rand);
        const inEngine = i % 2 === 1;
        const want = runOn({ kind: 'wasm' }, p, shape, region, inEngine);
        for (const isa of ISAS) {
          const got = runOn({ kind: 'native', mode: 'exact', isa }, p, shape, region, inEngine);
          expectSameBits(got, want, `${name} #${i} ${JSON.stringify(p.spec)} ${isa}`);
        }
      }
    });
  }

  it('special values (NaN, ±0, ±∞, denormals) through every epilogue and element-wise kernel: the same bits', () => {
    const vals = [NaN, -NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-40, 3, -3, 7, -7];
    const rand = rng(5);
    const x = Tensor.zeros([1, 9, 7, 11]);
    for (let i = 0; i < x.size; i++) x.data[i] = vals[randInt(rand, 0, vals.length - 1)]!;
    // NaNs with payloads too: they must stay NaN through every path.
    const u = new Uint32Array(x.data.buffer, x.data.byteOffset, x.size);
    for (let i = 0; i < u.length; i += 13) u[i] = 0x7fa00001 + i;
    for (let i = 5; i < u.length; i += 17) u[i] = 0xffc00003 + i;
    for (const act of ACTS) {
      for (const groups of [1, 9]) {
        const w = randomTensor([9, 9 / groups, 3, 3], rand);
        for (let i = 0; i < w.size; i += 5) w.data[i] = [0, -0, 1e-45][i % 3]!;
        const p: Problem = { spec: { op: 'conv2d', kernel: 3, padding: 'same', groups, ...actFields(act, rand) } as unknown as OpSpec, inputs: [x], weights: { weight: w, bias: Tensor.from([-0, 0, NaN, 1, -1, Infinity, 0, -0, 2], [9]) } };
        const shape = applyOp(p.spec, p.inputs, p.weights).shape;
        const region = { n0: 0, n1: 1, c0: 0, c1: 9, y0: 0, y1: shape[2]!, x0: 0, x1: shape[3]! };
        const want = runOn({ kind: 'wasm' }, p, shape, region, false);
        for (const isa of ISAS) expectSameBits(runOn({ kind: 'native', isa }, p, shape, region, false), want, `conv2d groups ${groups} ${act ?? 'none'} ${isa}`);
      }
    }
    // Rows of 40 and 24: the native 8- and 16-lane epilogues of the depthwise and pointwise paths, scale/shift included.
    for (const width of [40, 24]) {
      const xw = Tensor.zeros([1, 9, 5, width]);
      for (let i = 0; i < xw.size; i++) xw.data[i] = vals[randInt(rand, 0, vals.length - 1)]!;
      const uw = new Uint32Array(xw.data.buffer, xw.data.byteOffset, xw.size);
      for (let i = 0; i < uw.length; i += 13) uw[i] = 0x7fa00001 + i;
      for (const act of ACTS) {
        for (const [k, groups] of [[1, 1], [3, 9], [5, 9]] as const) {
          const w = randomTensor([9, 9 / groups, k, k], rand);
          for (let i = 0; i < w.size; i += 5) w.data[i] = [0, -0, 1e-45][i % 3]!;
          const weights = {
            weight: w, bias: Tensor.from([-0, 0, NaN, 1, -1, Infinity, 0, -0, 2], [9]),
            scale: Tensor.from([-0, 0, NaN, 1, -1, Infinity, 1e-45, 3, -3], [9]), shift: Tensor.from([0, -0, 1, NaN, -Infinity, 2, -0, 0.5, 6], [9]),
          };
          const p: Problem = { spec: { op: 'conv2d', kernel: k, padding: k === 1 ? 'valid' : 'same', groups, ...actFields(act, rand) } as unknown as OpSpec, inputs: [xw], weights };
          const shape = applyOp(p.spec, p.inputs, p.weights).shape;
          const region = { n0: 0, n1: 1, c0: 0, c1: 9, y0: 0, y1: shape[2]!, x0: 0, x1: shape[3]! };
          const want = runOn({ kind: 'wasm' }, p, shape, region, true);
          for (const isa of ISAS) expectSameBits(runOn({ kind: 'native', isa }, p, shape, region, true), want, `conv2d ${k}×${k} groups ${groups} width ${width} ${act ?? 'none'} ${isa}`);
        }
      }
    }
    // Element-wise kernels read engine memory only (elsewhere TypeScript runs them): in place.
    const ew: Problem[] = [
      ...(['add', 'sub', 'mul', 'div'] as const).map((fn) => ({ spec: { op: 'binary', fn } as unknown as OpSpec, inputs: [x, Tensor.from([-0, 0, NaN, 1, -1, Infinity, 1e-45, 3, -3], [1, 9, 1, 1])], weights: {} })),
      { spec: { op: 'scaleShift' } as unknown as OpSpec, inputs: [x], weights: { scale: Tensor.from([-0, 0, NaN, 1, -1, Infinity, 1e-45, 3, -3], [9]), shift: Tensor.from([0, -0, 1, NaN, -Infinity, 2, -0, 0.5, 6], [9]) } },
      ...ACTS.filter((a) => a !== undefined).map((a) => ({ spec: { op: a, ...(a === 'leakyRelu' ? { alpha: -0.3 } : a === 'hardSigmoid' ? { alpha: 0.2, beta: 0.5 } : {}) } as unknown as OpSpec, inputs: [x], weights: {} })),
      { spec: { op: 'sigmoid' } as OpSpec, inputs: [x], weights: {} },
      { spec: { op: 'tanh' } as OpSpec, inputs: [x], weights: {} },
    ];
    for (const p of ew) {
      const shape = applyOp(p.spec, p.inputs, p.weights).shape;
      const region = { n0: 0, n1: 1, c0: 0, c1: 9, y0: 0, y1: shape[2]!, x0: 0, x1: shape[3]! };
      const want = runOn({ kind: 'wasm' }, p, shape, region, true);
      for (const isa of ISAS) expectSameBits(runOn({ kind: 'native', isa }, p, shape, region, true), want, `${JSON.stringify(p.spec)} ${isa}`);
    }
    for (const op of ['maxPool', 'avgPool', 'l2Pool', 'globalMaxPool', 'globalAvgPool']) {
      const p: Problem = { spec: (op.startsWith('global') ? { op } : { op, kernel: 3, stride: 2, padding: 'same' }) as OpSpec, inputs: [x], weights: {} };
      const shape = applyOp(p.spec, p.inputs, p.weights).shape;
      const region = { n0: 0, n1: 1, c0: 0, c1: 9, y0: 0, y1: shape[2]!, x0: 0, x1: shape[3]! };
      const want = runOn({ kind: 'wasm' }, p, shape, region, false);
      for (const isa of ISAS) expectSameBits(runOn({ kind: 'native', isa }, p, shape, region, false), want, `${op} ${isa}`);
    }
  });

  it('fma: close to the float64 reference; the same bits for any region and every ISA', () => {
    const rand = rng(99);
    for (let i = 0; i < 30; i++) {
      const p = i % 3 === 2 ? valid(denseProblem)(rand) : i % 5 === 4 ? valid(wideConvProblem)(rand) : i % 7 === 3 ? valid(oddBlockConvProblem)(rand) : i % 7 === 5 ? valid(pointwiseProblem)(rand) : i % 7 === 6 ? valid(smallMapDepthwiseProblem)(rand) : valid(convProblem)(rand);
      selectEngine({ kind: 'wasm' });
      const shape = applyOp(p.spec, p.inputs, p.weights).shape;
      const ref = applyOp(p.spec, p.inputs, p.weights, 'reference').toFloat32Array();
      const whole = { n0: 0, n1: shape[0]!, c0: 0, c1: shape[1]!, y0: 0, y1: shape[2] ?? 1, x0: 0, x1: shape[3] ?? 1 };
      const full = runOn({ kind: 'native', mode: 'fma' }, p, shape, whole, false);
      // Tolerance: float32 sums of up to ~700 products of values in [−1, 1], scaled by up to 4: 2e-4 · max(|ref|, 1).
      for (let j = 0; j < full.length; j++) {
        const err = Math.abs(full[j]! - ref[j]!) / Math.max(Math.abs(ref[j]!), 1);
        if (!(err <= 2e-4)) expect.fail(`fma #${i} ${JSON.stringify(p.spec)} element ${j}: ${full[j]} vs reference ${ref[j]} (relative error ${err})`);
      }
      const region = randomRegion(shape, rand);
      for (const isa of ISAS) {
        const part = runOn({ kind: 'native', mode: 'fma', isa }, p, shape, region, i % 2 === 0);
        const whole2 = runOn({ kind: 'native', mode: 'fma', isa }, p, shape, whole, false);
        expectSameBits(whole2, full, `fma #${i} whole output, ${isa}`);
        // Inside the region the part equals the whole; outside it stays zero.
        const expected = new Float32Array(full.length);
        const [N, C, H, W] = [shape[0]!, shape[1]!, shape[2] ?? 1, shape[3] ?? 1];
        for (let n = region.n0; n < region.n1; n++) for (let c = region.c0; c < region.c1; c++) for (let y = region.y0; y < region.y1; y++) for (let x = region.x0; x < region.x1; x++) {
          const k = ((n * C + c) * H + y) * W + x;
          expected[k] = full[k]!;
        }
        void N;
        expectSameBits(part, expected, `fma #${i} region ${JSON.stringify(region)}, ${isa}`);
      }
    }
  });

  it('fma: conv2dTranspose (kernel = stride) gives the same bits for any region (the direct kernel and, at odd columns, the 1×1 conv path) and every ISA', () => {
    const rand = rng(98);
    for (let i = 0; i < 24; i++) {
      const p = valid(transposeProblem)(rand);
      selectEngine({ kind: 'wasm' });
      const shape = applyOp(p.spec, p.inputs, p.weights).shape;
      const whole = { n0: 0, n1: shape[0]!, c0: 0, c1: shape[1]!, y0: 0, y1: shape[2]!, x0: 0, x1: shape[3]! };
      const full = runOn({ kind: 'native', mode: 'fma' }, p, shape, whole, i % 2 === 1);
      const ref = applyOp(p.spec, p.inputs, p.weights, 'reference').toFloat32Array();
      for (let j = 0; j < full.length; j++) {
        const err = Math.abs(full[j]! - ref[j]!) / Math.max(Math.abs(ref[j]!), 1);
        if (!(err <= 2e-4)) expect.fail(`fma transpose #${i} element ${j}: ${full[j]} vs reference ${ref[j]}`);
      }
      const region = randomRegion(shape, rand);
      const [, C, H, W] = shape as [number, number, number, number];
      const expected = new Float32Array(full.length);
      for (let n = region.n0; n < region.n1; n++) for (let c = region.c0; c < region.c1; c++) for (let y = region.y0; y < region.y1; y++) for (let x = region.x0; x < region.x1; x++) {
        const k = ((n * C + c) * H + y) * W + x;
        expected[k] = full[k]!;
      }
      for (const isa of ISAS) {
        expectSameBits(runOn({ kind: 'native', mode: 'fma', isa }, p, shape, whole, i % 2 === 0), full, `fma transpose #${i} whole, ${isa}`);
        expectSameBits(runOn({ kind: 'native', mode: 'fma', isa }, p, shape, region, i % 3 === 0), expected, `fma transpose #${i} region ${JSON.stringify(region)}, ${isa}`);
      }
    }
  });

  it('a bound kernel outlives the object it came in: the binding is freed with the last function, not before', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with --expose-gc (.mocharc.json)').to.be.a('function');
    const Wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: SharedArrayBuffer } } }).WebAssembly;
    const memory = new Wasm.Memory({ initial: 1, maximum: 2, shared: true });
    const f32 = new Float32Array(memory.buffer);
    f32.set([3, -1, 7, 2]);
    // Only the function is kept (as Engine.use keeps the functions of a binding in its own table).
    const globalPool = load.addon!.bind(new Uint8Array(memory.buffer), 'generic', 'exact').global_pool;
    for (let i = 0; i < 5; i++) {
      gc!();
      await new Promise((r) => setImmediate(r));
    }
    globalPool(0, 0, 1, 4, 64); // max over 4 floats at byte 0 into byte 64
    expect(f32[16]).to.equal(7);
  });

  it('the native kernels follow the engine memory as it grows (shared memory does not move)', () => {
    selectEngine({ kind: 'native' });
    const rand = rng(3);
    const p = valid(convProblem)(rand);
    selectEngine({ kind: 'wasm' });
    const shape = applyOp(p.spec, p.inputs, p.weights).shape;
    const whole = { n0: 0, n1: shape[0]!, c0: 0, c1: shape[1]!, y0: 0, y1: shape[2]!, x0: 0, x1: shape[3]! };
    const want = runOn({ kind: 'wasm' }, p, shape, whole, true);
    const big = inEngineMemory(Tensor.zeros([64, 1024, 1024])); // 256 MiB: the memory grows
    try {
      expect(engineInfo().kind).to.equal('wasm');
      expectSameBits(runOn({ kind: 'native' }, p, shape, whole, true), want, 'after growth');
      expect(engineInfo().kind).to.equal('native');
    } finally {
      releaseEngineTensor(big);
    }
  });
});
