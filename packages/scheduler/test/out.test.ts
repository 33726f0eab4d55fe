import { expect } from 'chai';
import { Tensor, engineTensor, fullRegion, randomTensor, releaseEngineTensor } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack } from '@tessera/nn';
import { PoolExecutor } from '../src/index.js';
import { randomModel } from './random-models.js';

describe('PoolExecutor run into a caller\'s output (opts.out)', function () {
  this.timeout(60_000);
  const m = seedDilatedStack({ size: 24, channels: 4 });
  const local = new LocalExecutor();

  it('a plan run again reuses its buffers and still gives LocalExecutor\'s bits (random models, both strategies)', async () => {
    const pool = new PoolExecutor({ threads: 3 });
    try {
      for (let seed = 700; seed < 706; seed++) {
        const rm = randomModel(seed, { batch: 1, chains: seed % 2 === 0 });
        for (const strategy of ['layer-wise', 'fused'] as const) {
          for (let k = 0; k < 3; k++) {
            const x = randomTensor(rm.inputShape, seed * 10 + k);
            const want = Array.from((await local.run(rm, x)).toFloat32Array());
            expect(Array.from((await pool.run(rm, x, { strategy })).toFloat32Array()), `${rm.name} ${strategy} run ${k}`).to.deep.equal(want);
          }
        }
      }
    } finally {
      await pool.close();
    }
  });

  for (const threads of [1, 2]) {
    it(`every path writes LocalExecutor's bits into out and returns it (${threads} thread(s))`, async () => {
      const pool = new PoolExecutor({ threads });
      const e = engineTensor(m.shapes([3, ...m.inputShape.slice(1)])[m.output]!);
      try {
        for (const [batch, strategy] of [[1, 'auto'], [1, 'layer-wise'], [1, 'fused'], [3, 'auto']] as const) {
          const x = randomTensor([batch, ...m.inputShape.slice(1)], batch);
          const want = Array.from((await local.run(m, x)).toFloat32Array());
          const out = batch === 3 ? e : Tensor.filled(m.shapes(x.shape)[m.output]!, Number.NaN);
          expect(await pool.run(m, x, { strategy, out }), `${strategy} batch ${batch}`).to.equal(out);
          expect(Array.from(out.toFloat32Array()), `${strategy} batch ${batch}`).to.deep.equal(want);
        }
        // An input that is a view into shared memory (the kernel engine's) is read from its own offset,
        // and an `out` there is written in place by the workers (no copy after), nothing around it touched.
        const xe = engineTensor(m.inputShape);
        const oe = engineTensor([3, ...m.shapes(m.inputShape)[m.output]!.slice(1)]);
        try {
          xe.data.set(randomTensor(m.inputShape, 5).toFloat32Array());
          const want = Array.from((await local.run(m, xe)).toFloat32Array());
          for (const strategy of ['auto', 'layer-wise', 'fused'] as const) {
            expect(Array.from((await pool.run(m, xe, { strategy })).toFloat32Array()), `engine input, ${strategy}`).to.deep.equal(want);
            oe.data.fill(Number.NaN);
            const mid = oe.view({ ...fullRegion(oe.shape), n0: 1, n1: 2 });
            expect(await pool.run(m, xe, { strategy, out: mid }), `engine out, ${strategy}`).to.equal(mid);
            expect(Array.from(mid.toFloat32Array()), `engine out, ${strategy}`).to.deep.equal(want);
            expect(Array.from(oe.data).filter((v) => !Number.isNaN(v)).length, `engine out, ${strategy}: only its sample written`).to.equal(want.length);
          }
        } finally {
          releaseEngineTensor(oe);
          releaseEngineTensor(xe);
        }
        const err = await pool.run(m, randomTensor(m.inputShape, 1), { out: Tensor.zeros([1, 1, 1, 1]) }).then(() => undefined, (x: unknown) => x);
        expect((err as Error).message).to.match(/must have the output shape/);
      } finally {
        releaseEngineTensor(e);
        await pool.close();
      }
    });
  }
});
