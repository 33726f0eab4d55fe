import { expect } from 'chai';
import { Tensor, TesseraError, fullRegion, randomTensor } from '@tessera/tensor';
import { INPUT, LocalExecutor, Model, fuseLayers, multiHeadNet, twoInputNet } from '@tessera/nn';
import { PoolExecutor, plan, type Strategy } from '../src/index.js';

/** Every output of `got` has the bits of `want`'s, by name and in the model's order. */
function expectAllIdentical(got: Record<string, Tensor>, want: Record<string, Tensor>, what: string): void {
  expect(Object.keys(got), `${what} output names`).to.deep.equal(Object.keys(want));
  for (const [name, w] of Object.entries(want)) {
    const g = got[name]!;
    expect(g.shape, `${what} '${name}' shape`).to.deep.equal(w.shape);
    const x = g.toFloat32Array(), y = w.toFloat32Array();
    for (let i = 0; i < x.length; i++) {
      if (x[i] !== y[i]) expect.fail(`${what} '${name}': element ${i} is ${x[i]}, LocalExecutor has ${y[i]}`);
    }
  }
}

async function rejection(p: Promise<unknown>): Promise<TesseraError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'nothing was thrown').to.be.instanceOf(TesseraError);
  return e as TesseraError;
}

const oracle = new LocalExecutor({ fuse: false });
const STRATEGIES: Strategy[] = ['layer-wise', 'fused', 'auto'];

describe('PoolExecutor with several outputs', function () {
  this.timeout(120_000);
  const models: Model[] = [multiHeadNet(), multiHeadNet({ size: 40, channels: 4, seed: 9 })];
  const inputs = (m: Model): Tensor[] => [randomTensor(m.inputShape, 7), randomTensor([3, 3, 19, 21], 8)];

  it('plans write every output to shared memory: each is the last layer of a stage', () => {
    for (const m of models) {
      const f = fuseLayers(m);
      for (const strategy of STRATEGIES) {
        for (const workers of [1, 2, 3]) {
          const p = plan(f, m.inputShape, { workers, strategy, stageOverheadUs: 1 });
          const lasts = new Set(p.stages.map((s) => s.layers[s.layers.length - 1]!));
          for (const o of f.outputs) expect(lasts.has(o.layer), `${m.name} ${strategy} ×${workers}: '${o.name}'`).to.equal(true);
        }
      }
      // A batch of at least as many samples as workers: whole samples per worker, every output written by each share.
      expect(plan(f, [3, 3, 19, 21], { workers: 3, strategy: 'auto' }).stages[0]!.kind).to.equal('data');
    }
  });

  for (const threads of [1, 2, 3]) {
    it(`runAll with ${threads} thread(s), every strategy, one and three samples: LocalExecutor's bits for every output`, async () => {
      const pool = new PoolExecutor({ threads, tasksPerWorker: 3 });
      try {
        for (const m of models) {
          for (const x of inputs(m)) {
            const want = await oracle.runAll(m, x);
            for (const strategy of STRATEGIES) {
              expectAllIdentical(await pool.runAll(m, x, { strategy }), want, `${m.name} ${x.shape.join('×')} ${strategy} ×${threads}`);
            }
            // Auto tries each of its paths (calling thread alone and on intra-op engine threads, planner's cut, layer-wise, fused) three times before settling.
            for (let i = 0; i < 16; i++) expectAllIdentical(await pool.runAll(m, x), want, `${m.name} ${x.shape.join('×')} auto run ${i} ×${threads}`);
          }
        }
      } finally {
        await pool.close();
      }
      expect(pool.threadCount).to.equal(0);
    });
  }

  it('run, runBatch and runStream refuse a model with several outputs, pointing to runAll; a one-output model is unchanged', async () => {
    const pool = new PoolExecutor({ threads: 2 });
    try {
      const m = models[0]!;
      const x = randomTensor(m.inputShape, 1);
      for (const p of [pool.run(m, x), pool.run(m, x, { strategy: 'fused' }), pool.runBatch(m, [x])]) {
        const e = await rejection(p);
        expect(e.code).to.equal('BAD_ARGUMENT');
        expect(e.message).to.match(/has 3 outputs \('boxes', 'scores', 'features'\).*use runAll/);
      }
      const stream = pool.runStream(m, [x]);
      expect((await rejection(stream.next())).message).to.match(/use runAll/);
      expect((await rejection(pool.runAll(m, x, { out: x } as never))).message).to.match(/out/);
      const one = new Model(m.name, m.inputShape, m.layers, m.outputs[1]!.layer);
      const all = await pool.runAll(one, x, { strategy: 'layer-wise' });
      expectAllIdentical(all, { output: await pool.run(one, x, { strategy: 'fused' }) }, 'one-output model');
    } finally {
      await pool.close();
    }
  });

  it('runTileKeeping: one whole-input task returns every output it computes on its way, LocalExecutor\'s bits', async () => {
    const pool = new PoolExecutor({ threads: 2 });
    try {
      const m = fuseLayers(models[0]!);
      const x = randomTensor(m.inputShape, 4);
      const layers = m.layers.map((l) => l.index);
      const regions = m.shapes().map((s) => fullRegion(s));
      const inputs = new Map([[INPUT, { shape: x.shape, region: fullRegion(x.shape), data: x.toFloat32Array() }]]);
      const last = layers[layers.length - 1]!;
      const keep = m.outputs.map((o) => o.layer).filter((l) => l !== last).sort((a, b) => a - b);
      const got = await pool.runTileKeeping(m, m.inputShape, layers, regions, inputs, keep);
      const want = await oracle.runAll(m, x);
      const byLayer = new Map([last, ...keep].map((l, i) => [l, got[i]!]));
      for (const o of m.outputs) {
        const t = byLayer.get(o.layer)!;
        expect(Array.from(t.view(fullRegion(t.shape)).toFloat32Array()), o.name).to.deep.equal(Array.from(want[o.name]!.toFloat32Array()));
      }
      for (const bad of [[last], [keep[0]!, keep[0]!], [m.layers.length + 3]]) {
        const e = await rejection(pool.runTileKeeping(m, m.inputShape, layers, regions, inputs, bad));
        expect(e.code).to.equal('BAD_ARGUMENT');
        expect(e.message).to.match(/kept layer \d+ must be a layer of the task before its last/);
      }
    } finally {
      await pool.close();
    }
  });

  for (const threads of [1, 2, 3]) {
    it(`a model with two inputs: runAll from a tensor per input name with ${threads} thread(s), every strategy, one and three samples: LocalExecutor's bits`, async () => {
      const pool = new PoolExecutor({ threads, tasksPerWorker: 3 });
      try {
        const two = twoInputNet({ size: 21 });
        for (const n of [1, 3]) {
          const inputs = { image: randomTensor([n, 3, 21, 19], 1 + n), mask: randomTensor([n, 1, 21, 19], 2 + n) };
          const want = await oracle.runAll(two, inputs);
          for (const strategy of STRATEGIES) expectAllIdentical(await pool.runAll(two, inputs, { strategy }), want, `two inputs ×${n} ${strategy} ×${threads}`);
          for (let i = 0; i < 13; i++) expectAllIdentical(await pool.runAll(two, inputs), want, `two inputs ×${n} auto run ${i} ×${threads}`);
        }
        if (threads === 3) expect((await pool.plan(two, [[3, 3, 21, 19], [3, 1, 21, 19]], 'auto')).stages[0]!.kind).to.equal('data');
        // One output, so run gets as far as the inputs.
        const single = new Model(two.name, two.inputs, two.layers, two.outputs[0]!.layer);
        const image = randomTensor([1, 3, 21, 19], 1);
        for (const p of [pool.run(single, image), pool.runBatch(single, [image]), pool.runStream(single, [image]).next(), pool.runAll(two, image)]) {
          const e = await rejection(p);
          expect(e.code).to.equal('BAD_ARGUMENT');
          expect(e.message).to.match(/model 'two-input' has 2 inputs \('image', 'mask'\)/);
        }
      } finally {
        await pool.close();
      }
    });
  }
});
