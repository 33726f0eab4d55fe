import { expect } from 'chai';
import {
  Tensor, applyOp, engineLabel, loadNative, randInt, randomTensor, resolveEngine, rng, selectEngine,
  type EngineOptions, type OpSpec,
} from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack, vggBlockStack } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { expectSameBits, randomRegion, runOn, type Problem } from './util.js';

/*
 * Intra-op threads of the native engine (engine option `threads`): a large
 * kernel call is split across the calling thread and helper threads of the
 * addon (src/parallel.c). The split must not change a bit: every kernel
 * family that splits (dense/grouped conv tiles by positions or by channel blocks, and their patch, depthwise,
 * pointwise, conv2dTranspose, element-wise, global pools, nearest resize), on shapes large
 * enough to be split, over whole outputs and random regions, in engine
 * memory (in place) and copied, in exact and fma modes, equals the same
 * engine on one thread.
 */

function withEpilogue(rand: () => number, cout: number, w: Record<string, Tensor>, post = true): Record<string, unknown> {
  if (rand() < 0.7) w.bias = randomTensor([cout], rand);
  if (rand() < 0.4) { w.scale = randomTensor([cout], rand, -4, 4); w.shift = randomTensor([cout], rand); }
  if (post && rand() < 0.4) { w.postScale = randomTensor([cout], rand, -2, 2); w.postShift = randomTensor([cout], rand); }
  const act = (['relu', 'hardSwish', 'leakyRelu', undefined] as const)[randInt(rand, 0, 3)];
  return act === 'leakyRelu' ? { activation: act, alpha: 0.1 } : act ? { activation: act } : {};
}

const conv = (rand: () => number): Problem => {
  const cin = randInt(rand, 3, 40), cout = randInt(rand, 5, 70), k = randInt(rand, 1, 3);
  const weights: Record<string, Tensor> = { weight: randomTensor([cout, cin, k, k], rand) };
  const spec = { op: 'conv2d', kernel: k, stride: randInt(rand, 1, 2), dilation: rand() < 0.7 ? 1 : 2, padding: rand() < 0.7 ? 'same' : 'valid', ...withEpilogue(rand, cout, weights) };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor([1, cin, randInt(rand, 24, 61), randInt(rand, 24, 67)], rand)], weights };
};

/** Small maps with many channels (a ResNet's last stage): split by blocks of output channels. */
const smallMapConv = (rand: () => number): Problem => {
  const cin = randInt(rand, 96, 192), cout = randInt(rand, 64, 256), k = 3;
  const weights: Record<string, Tensor> = { weight: randomTensor([cout, cin, k, k], rand) };
  const spec = { op: 'conv2d', kernel: k, stride: rand() < 0.8 ? 1 : 2, padding: 'same', ...withEpilogue(rand, cout, weights) };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor([1, cin, randInt(rand, 5, 9), randInt(rand, 5, 9)], rand)], weights };
};

const depthwise = (rand: () => number): Problem => {
  const c = randInt(rand, 16, 100), k = rand() < 0.5 ? 3 : 5;
  const weights: Record<string, Tensor> = { weight: randomTensor([c, 1, k, k], rand) };
  const spec = { op: 'conv2d', kernel: k, stride: randInt(rand, 1, 2), padding: 'same', groups: c, ...withEpilogue(rand, c, weights) };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor([1, c, randInt(rand, 20, 51), randInt(rand, 20, 53)], rand)], weights };
};

const pointwise = (rand: () => number): Problem => {
  const cin = randInt(rand, 8, 64), cout = randInt(rand, 8, 64);
  const weights: Record<string, Tensor> = { weight: randomTensor([cout, cin, 1, 1], rand) };
  const spec = { op: 'conv2d', kernel: 1, ...withEpilogue(rand, cout, weights) };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor([1, cin, randInt(rand, 20, 61), randInt(rand, 20, 63)], rand)], weights };
};

const transpose = (rand: () => number): Problem => {
  const cin = randInt(rand, 8, 24), cout = randInt(rand, 1, 24);
  const weights: Record<string, Tensor> = { weight: randomTensor([cin, cout, 2, 2], rand) };
  const spec = { op: 'conv2dTranspose', kernel: 2, stride: 2, ...(rand() < 0.3 ? { activation: 'sigmoid' } : withEpilogue(rand, cout, weights, false)) };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor([1, cin, randInt(rand, 30, 61), randInt(rand, 30, 63)], rand)], weights };
};

const elementwise = (rand: () => number): Problem => {
  const shape = [1, randInt(rand, 8, 40), randInt(rand, 20, 61), randInt(rand, 20, 63)];
  const kind = randInt(rand, 0, 3);
  if (kind === 0) {
    const other = rand() < 0.5 ? [1, shape[1]!, 1, 1] : shape;
    return { spec: { op: 'binary', fn: (['add', 'mul', 'div'] as const)[randInt(rand, 0, 2)] } as unknown as OpSpec, inputs: [randomTensor(shape, rand), randomTensor(other, rand)], weights: {} };
  }
  if (kind === 1) return { spec: { op: 'scaleShift' } as OpSpec, inputs: [randomTensor(shape, rand, -8, 8)], weights: { scale: randomTensor([shape[1]!], rand), shift: randomTensor([shape[1]!], rand) } };
  if (kind === 2) return { spec: { op: 'sigmoid' } as OpSpec, inputs: [randomTensor(shape, rand, -20, 20)], weights: {} };
  return { spec: { op: 'hardSwish' } as OpSpec, inputs: [randomTensor(shape, rand, -8, 8)], weights: {} };
};

const globalPool = (rand: () => number): Problem =>
  ({ spec: { op: rand() < 0.5 ? 'globalAvgPool' : 'globalMaxPool' } as OpSpec, inputs: [randomTensor([1, randInt(rand, 16, 96), randInt(rand, 20, 61), randInt(rand, 20, 63)], rand)], weights: {} });

const resize = (rand: () => number): Problem => {
  const shape = [1, randInt(rand, 8, 40), randInt(rand, 16, 41), randInt(rand, 16, 43)];
  const f = randInt(rand, 2, 3);
  const spec = { op: 'resize', mode: 'nearest', height: shape[2]! * f, width: rand() < 0.7 ? shape[3]! * f : randInt(rand, 20, 90), coordinates: 'asymmetric', nearestMode: 'floor' };
  return { spec: spec as unknown as OpSpec, inputs: [randomTensor(shape, rand)], weights: {} };
};

const FAMILIES: [string, (rand: () => number) => Problem][] = [
  ['conv2d (patch + register tiles)', conv], ['conv2d on small maps (split by channel blocks)', smallMapConv], ['depthwise', depthwise], ['pointwise', pointwise],
  ['conv2dTranspose (kernel = stride = 2)', transpose], ['element-wise', elementwise], ['global pools', globalPool], ['nearest resize', resize],
];


const addon = loadNative().addon;

describe('native engine: intra-op threads', function () {
  this.timeout(300_000);
  before(function () {
    if (!addon) this.skip(); // kernels.test.ts fails loudly when the addon is missing
  });
  after(() => selectEngine({}));

  for (const [name, make] of FAMILIES) {
    it(`${name}: 2, 3 and 5 threads give the bits of 1 (exact and fma; whole outputs and regions; in place and copied)`, () => {
      const rand = rng(name.length * 104729);
      const split0 = addon!.info().splitCalls!;
      for (let i = 0; i < 8; i++) {
        const p = make(rand);
        selectEngine({ kind: 'wasm' });
        const shape = applyOp(p.spec, p.inputs, p.weights).shape;
        const region = i % 4 === 3 ? randomRegion(shape, rand) : undefined;
        const inEngine = i % 2 === 0;
        for (const mode of ['exact', 'fma'] as const) {
          const want = runOn({ kind: 'native', mode }, p, shape, region, inEngine);
          for (const threads of [2, 3, 5]) {
            expectSameBits(runOn({ kind: 'native', mode, threads }, p, shape, region, inEngine), want, `${name} #${i} ${JSON.stringify(p.spec)} ${mode} ×${threads}`);
          }
        }
      }
      expect(addon!.info().helpers, 'helper threads started').to.be.at.least(1);
      expect(addon!.info().splitCalls! - split0, 'kernel calls split across threads').to.be.at.least(8);
    });
  }

  it('LocalExecutor with engine threads 2 and 4 === 1 thread; a pool whose workers ask for intra-op threads too gives the same bits', async () => {
    const models = [
      { model: vggBlockStack({ size: 48, widths: [16, 40], batch: 1, seed: 4 }), input: randomTensor([1, 3, 48, 48], 11) },
      { model: seedDilatedStack({ size: 45, channels: 21, seed: 5 }), input: randomTensor([1, 3, 45, 45], 12) },
    ];
    for (const { model, input } of models) {
      const want = (await new LocalExecutor({ engine: { kind: 'native' } }).run(model, input)).toFloat32Array();
      for (const threads of [2, 4]) {
        const local = new LocalExecutor({ engine: { kind: 'native', threads } });
        expect(local.engine.threads).to.equal(threads);
        expect(engineLabel(local.engine)).to.match(new RegExp(`×${threads}$`));
        expectSameBits((await local.run(model, input)).toFloat32Array(), want, `${model.name} local ×${threads}`);
      }
      // Two workers share the one helper team: a call that finds it busy runs on its own thread.
      const pool = new PoolExecutor({ threads: 2, strategy: 'layer-wise', engine: { kind: 'native', threads: 2 } });
      try {
        expectSameBits((await pool.run(model, input)).toFloat32Array(), want, `${model.name} pool of 2 × engine threads 2`);
      } finally {
        await pool.close();
      }
    }
  });

  it('the threads option is checked: an integer from 1 to 64, native only', () => {
    for (const threads of [0, 1.5, 65, Number.NaN]) {
      expect(() => resolveEngine({ kind: 'native', threads }), String(threads)).to.throw(/threads must be an integer from 1 to 64/);
    }
    expect(() => resolveEngine({ kind: 'wasm', threads: 2 })).to.throw(/needs the native engine/);
    expect(resolveEngine({ kind: 'native', threads: 1 }).threads).to.equal(undefined);
    expect(() => new LocalExecutor({ engine: { threads: 'two' } as unknown as EngineOptions })).to.throw(/threads must be an integer/);
  });
});
