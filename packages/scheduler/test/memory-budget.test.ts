import { expect } from 'chai';
import { Tensor, fullRegion, randomTensor } from '@tessera/tensor';
import { LocalExecutor, fuseLayers, vggBlockStack } from '@tessera/nn';
import { HOSTILE_BYTES, expectRefused, hostilePadModel } from '../../nn/test/hostile-models.js';
import { PoolExecutor, layoutBuffers, planMemory, shareMemory } from '../src/index.js';

/*
 * Issue 14: the pool checks what a run will hold in feature maps (its plan's
 * shared buffers and the tasks' partial tensors, or every data-parallel
 * share's run) against maxMemoryBytes before allocating anything.
 */
describe('PoolExecutor memory budget (issue 14)', function () {
  this.timeout(120_000);
  const pools: PoolExecutor[] = [];
  const pool = (opts: ConstructorParameters<typeof PoolExecutor>[0]): PoolExecutor => {
    const p = new PoolExecutor(opts);
    pools.push(p);
    return p;
  };
  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  it('refuses the hostile pad model on every run path before allocation, naming the layer and the bytes', async () => {
    const m = hostilePadModel();
    const x = Tensor.zeros([1, 1, 1, 1]);
    const ex = pool({ threads: 2, maxMemoryBytes: 2 ** 30 });
    for (const strategy of ['layer-wise', 'fused', 'auto'] as const) {
      const e = await expectRefused(() => ex.run(m, x, { strategy }), "layer 0 'huge-pad'", `${HOSTILE_BYTES} bytes`, 'maxMemoryBytes');
      expect(e.details).to.include({ layerIndex: 0, budget: 2 ** 30 });
    }
    // Data parallel: the output buffer and the share's own run.
    await expectRefused(() => ex.runBatch(m, [x]), "'huge-pad'", `${2 * HOSTILE_BYTES} bytes`);
    await expectRefused(async () => {
      for await (const y of ex.runStream(m, [x])) void y;
    }, "'huge-pad'");
    // One tile of it (the cluster worker's entry point): the 4-byte input slice and the whole output region.
    const slices = new Map([[-1, { shape: [1, 1, 1, 1], region: fullRegion([1, 1, 1, 1]), data: new Float32Array(1) }]]);
    await expectRefused(() => ex.runTile(m, [1, 1, 1, 1], [0], [fullRegion(m.outputShape())], slices), "'huge-pad'", `${HOSTILE_BYTES + 4} bytes`);
    expect(ex.stats.tasks).to.equal(0);
    // threads: 1 runs on the calling thread: LocalExecutor with the pool's budget.
    await expectRefused(() => pool({ threads: 1, maxMemoryBytes: 2 ** 30 }).run(m, x), "'huge-pad'", `${HOSTILE_BYTES} bytes`);
  });

  it('a normal model is refused under a tight budget and runs under its exact need (layer-wise plan, data-parallel batch)', async () => {
    const m = vggBlockStack({ size: 24, widths: [4, 8], batch: 2 });
    const x = randomTensor(m.inputShape, 7);
    const want = await new LocalExecutor({ fuse: false }).run(m, x);
    const fused = fuseLayers(m);
    // Layer-wise stages are the layers themselves whatever the cut, so the plan's need does not depend on the pool measuring it.
    const lw = planMemory(fused, await pool({ threads: 2 }).plan(m, x.shape, 'layer-wise'), 2);
    const need = Math.max(...lw.steps.map((s) => s.bytes));
    expect(need).to.be.at.least(Math.max(...layoutBuffers(fused, await pools[0]!.plan(m, x.shape, 'layer-wise')).allocated));
    await expectRefused(() => pool({ threads: 2, maxMemoryBytes: need - 1 }).run(m, x, { strategy: 'layer-wise' }), `${need} bytes`, 'maxMemoryBytes');
    const y = await pool({ threads: 2, maxMemoryBytes: need }).run(m, x, { strategy: 'layer-wise' });
    expect(y.toFloat32Array()).to.deep.equal(want.toFloat32Array());

    const batch = Math.max(...shareMemory(fused, [x.shape], 1, 2).steps.map((s) => s.bytes));
    // One input, one share: its output buffer plus one run of the whole model.
    expect(batch).to.equal(want.size * 4 + fused.peakMemory(x.shape).bytes);
    await expectRefused(() => pool({ threads: 2, maxMemoryBytes: batch - 1 }).runBatch(m, [x]), `${batch} bytes`);
    const [z] = await pool({ threads: 2, maxMemoryBytes: batch }).runBatch(m, [x]);
    expect(z!.toFloat32Array()).to.deep.equal(want.toFloat32Array());
  });

  it('maxMemoryBytes is checked like every option', () => {
    expect(() => new PoolExecutor({ threads: 1, maxMemoryBytes: 0 })).to.throw(/PoolExecutor maxMemoryBytes/);
  });
});
