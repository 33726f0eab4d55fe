import { expect } from 'chai';
import { Tensor, TesseraError, copyRegion, randomTensor, type Region } from '@tessera/tensor';
import { INPUT, LocalExecutor, seedDilatedStack, vggBlockStack } from '@tessera/nn';
import { PoolExecutor, checkTask, plan, taskReads, type RegionData } from '../src/index.js';
import { randomModel } from './random-models.js';

/** The slice of `t` a tile reads: exactly `region`, row-major. */
function slice(t: Tensor, region: Region): RegionData {
  return { shape: t.shape, region, data: t.view(region).clone().toFloat32Array() };
}

describe('PoolExecutor.runTile', function () {
  this.timeout(120_000);
  let pool: PoolExecutor;
  before(() => { pool = new PoolExecutor({ threads: 2 }); });
  after(async () => { await pool.close(); });

  const cases = [
    ...[seedDilatedStack({ size: 40, channels: 6 }), randomModel(101), randomModel(105)].map((m) => ({ m, strategy: 'fused' as const })),
    // A batch: the plan is data parallel, and its shares are tasks like any other.
    ...[vggBlockStack({ size: 16, widths: [4, 8], batch: 4 }), randomModel(103, { batch: 3 }), randomModel(107, { batch: 5 })].map((m) => ({ m, strategy: 'auto' as const })),
  ];

  it('runs every task of a fused or data-parallel plan from its input slices alone, bit-identical to LocalExecutor', async () => {
    for (const { m, strategy } of cases) {
      const x = randomTensor(m.inputShape, 3);
      const p = plan(m, m.inputShape, { workers: 3, strategy });
      expect(p.stages[0]!.kind, m.name).to.equal(strategy === 'auto' ? 'data' : 'fused');
      // Stage outputs assembled here, as the cluster coordinator does.
      const maps = new Map<number, Tensor>([[INPUT, x]]);
      for (const stage of p.stages) {
        const last = stage.layers[stage.layers.length - 1]!;
        const out = Tensor.zeros(p.shapes[last]!);
        for (const task of stage.tasks) {
          checkTask(m, m.inputShape, stage.layers, task.regions);
          const reads = taskReads(m, m.inputShape, stage.layers, task.regions);
          const inputs = new Map([...reads].map(([src, r]) => [src, slice(maps.get(src)!, r)] as const));
          const tile = await pool.runTile(m, m.inputShape, stage.layers, task.regions, inputs);
          copyRegion(tile, out, task.regions[task.regions.length - 1]!);
        }
        maps.set(last, out);
      }
      const want = await new LocalExecutor().run(m, x);
      expect([...maps.get(m.output)!.toFloat32Array()], m.name).to.deep.equal([...want.toFloat32Array()]);
    }
  });

  it('checkTask rejects unknown layers, regions outside shapes and internal reads outside the task', () => {
    const m = seedDilatedStack({ size: 16, channels: 2 });
    const p = plan(m, m.inputShape, { workers: 2, strategy: 'fused' });
    const st = p.stages.find((s) => s.layers.length > 1)!;
    const t = st.tasks[0]!;
    const bad = (layers: number[], regions: Region[], code: string): void => {
      try {
        checkTask(m, m.inputShape, layers, regions);
        expect.fail('no error');
      } catch (e) {
        expect(e).to.be.instanceOf(TesseraError);
        expect((e as TesseraError).code).to.equal(code);
      }
    };
    bad([99], [t.regions[0]!], 'BAD_ARGUMENT');
    bad([...st.layers].reverse(), [...t.regions].reverse(), 'BAD_ARGUMENT');
    bad([st.layers[0]!], [{ ...t.regions[0]!, x1: 1000 }], 'BAD_REGION');
    // Shrink the first layer's region: the next layer would read outside it.
    const shrunk = [{ ...t.regions[0]!, y1: t.regions[0]!.y0 + 1 }, ...t.regions.slice(1)];
    bad([...st.layers], shrunk, 'BAD_REGION');
  });
});
