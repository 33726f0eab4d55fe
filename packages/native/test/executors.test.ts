import { expect } from 'chai';
import { Tensor, loadNative, randomTensor, selectEngine } from '@tessera/tensor';
import { LocalExecutor, seedDilatedStack, vggBlockStack, type Model } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { expectSameBits } from './util.js';

/*
 * Whole models through the executors: native `exact` gives wasm's bits on
 * the calling thread (LocalExecutor, every ISA) and on 1, 2, 3 and 7 worker
 * threads (PoolExecutor); native `fma` gives one answer however the pool
 * cuts the work. The engine is recorded on each executor, and its option is
 * checked strictly.
 */
const ISAS = loadNative().addon?.info().isas ?? [];

const MODELS: { model: Model; input: Tensor }[] = [
  // 40 channels: register tiles of 32 and 8 channels; 3×3 dilated convs; pools.
  { model: vggBlockStack({ size: 30, widths: [16, 40], batch: 2, seed: 4 }), input: randomTensor([2, 3, 30, 30], 11) },
  { model: seedDilatedStack({ size: 27, channels: 21, seed: 5 }), input: randomTensor([1, 3, 27, 27], 12) },
];

describe('native engine: executors', function () {
  this.timeout(300_000);
  after(() => selectEngine({}));

  it('LocalExecutor: native exact (every ISA) === wasm; fma differs from exact but stays close', async () => {
    for (const { model, input } of MODELS) {
      const wasm = new LocalExecutor({ engine: { kind: 'wasm' } });
      expect(wasm.engine).to.deep.equal({ kind: 'wasm', mode: 'exact' });
      const want = (await wasm.run(model, input)).toFloat32Array();
      for (const isa of ISAS) {
        const native = new LocalExecutor({ engine: { kind: 'native', mode: 'exact', isa } });
        expect(native.engine).to.deep.equal({ kind: 'native', mode: 'exact', isa });
        expectSameBits((await native.run(model, input)).toFloat32Array(), want, `${model.name} native ${isa} exact`);
      }
      const fma = (await new LocalExecutor({ engine: { kind: 'native', mode: 'fma' } }).run(model, input)).toFloat32Array();
      let differ = 0, worst = 0;
      for (let i = 0; i < fma.length; i++) {
        if (fma[i] !== want[i]) differ++;
        worst = Math.max(worst, Math.abs(fma[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
      }
      expect(differ, `${model.name}: fma outputs that differ from exact`).to.be.greaterThan(0);
      expect(worst, `${model.name}: fma vs exact`).to.be.below(1e-4);
    }
  });

  for (const threads of [1, 2, 3, 7]) {
    it(`PoolExecutor ${threads} thread(s): native exact === wasm LocalExecutor, native fma === fma LocalExecutor`, async () => {
      for (const { model, input } of MODELS) {
        const want = (await new LocalExecutor({ engine: { kind: 'wasm' } }).run(model, input)).toFloat32Array();
        const wantFma = (await new LocalExecutor({ engine: { kind: 'native', mode: 'fma' } }).run(model, input)).toFloat32Array();
        for (const strategy of ['layer-wise', 'fused'] as const) {
          const exact = new PoolExecutor({ threads, strategy, engine: { kind: 'native' } });
          const fma = new PoolExecutor({ threads, strategy, engine: { kind: 'native', mode: 'fma' } });
          try {
            expect(exact.engine.kind).to.equal('native');
            expect(fma.engine.mode).to.equal('fma');
            expectSameBits((await exact.run(model, input)).toFloat32Array(), want, `${model.name} pool ${threads} ${strategy} exact`);
            expectSameBits((await fma.run(model, input)).toFloat32Array(), wantFma, `${model.name} pool ${threads} ${strategy} fma`);
          } finally {
            await exact.close();
            await fma.close();
          }
        }
      }
    });
  }

  it('PoolExecutor data parallel (whole inputs per worker, runBatch and a batch-2 model) runs on the pool\'s engine: fma === fma LocalExecutor', async () => {
    const { model, input } = MODELS[0]!; // batch 2: the planner's data stage cuts it by samples
    const second = randomTensor(input.shape, 13);
    const fmaLocal = new LocalExecutor({ engine: { kind: 'native', mode: 'fma' } });
    const want = [(await fmaLocal.run(model, input)).toFloat32Array(), (await fmaLocal.run(model, second)).toFloat32Array()];
    const exact = (await new LocalExecutor({ engine: { kind: 'native', mode: 'exact' } }).run(model, input)).toFloat32Array();
    expect(want[0]!.some((v, i) => v !== exact[i]), 'fma and exact differ on this model').to.equal(true);
    const pool = new PoolExecutor({ threads: 2, engine: { kind: 'native', mode: 'fma' } });
    try {
      const got = await pool.runBatch(model, [input, second]);
      got.forEach((t, i) => expectSameBits(t.toFloat32Array(), want[i]!, `runBatch input ${i} fma`));
      expectSameBits((await pool.run(model, input)).toFloat32Array(), want[0]!, 'batch-2 run fma');
    } finally {
      await pool.close();
    }
  });

  it('the engine option is strict', () => {
    const bad: [unknown, RegExp][] = [
      [{ kind: 'nativ' }, /kind must be one of 'wasm', 'native'.*did you mean 'native'/],
      [{ mode: 'fused' }, /mode must be one of 'exact', 'fma'/],
      [{ knd: 'wasm' }, /unknown key 'knd'/],
      [{ kind: 'wasm', mode: 'fma' }, /'fma' needs the native engine/],
      [{ kind: 'native', isa: 'sse9' }, /variant 'sse9' does not run on this CPU/],
      ['native', /must be an object/],
    ];
    for (const [engine, msg] of bad) {
      expect(() => new LocalExecutor({ engine } as never), JSON.stringify(engine)).to.throw(msg);
      expect(() => new PoolExecutor({ threads: 1, engine } as never), JSON.stringify(engine)).to.throw(msg);
    }
  });
});
