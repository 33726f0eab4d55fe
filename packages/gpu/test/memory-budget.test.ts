import { expect } from 'chai';
import { Tensor, randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder } from '@tessera/nn';
import { GpuExecutor } from '../src/index.js';
import { expectBadArgument } from '../../nn/test/expect-bad.js';
import { HOSTILE_BYTES, expectRefused, hostilePadModel } from '../../nn/test/hostile-models.js';

/*
 * Issue 14: GpuExecutor checks a run's feature maps (model.peakMemory: it
 * releases each map after its last reader, as LocalExecutor does) against
 * maxMemoryBytes before it uploads or allocates anything.
 */
describe('GpuExecutor memory budget (issue 14)', function () {
  this.timeout(60_000);

  it('refuses the hostile pad model before allocation, naming the layer and the bytes', async () => {
    const ex = new GpuExecutor({ mode: 'cpu', maxMemoryBytes: 2 ** 30 });
    try {
      const e = await expectRefused(() => ex.run(hostilePadModel(), Tensor.zeros([1, 1, 1, 1])), "layer 0 'huge-pad'", `${HOSTILE_BYTES} bytes`, 'maxMemoryBytes');
      expect(e.details).to.include({ layerIndex: 0, bytes: HOSTILE_BYTES, budget: 2 ** 30 });
      expect(ex.stats.runs).to.equal(0);
    } finally {
      await ex.close();
    }
  });

  it('a normal model is refused under a tight budget and runs under its exact peak', async () => {
    const b = new ModelBuilder('small', [1, 2, 8, 8], { seed: 4 });
    const a = b.relu(b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same' }));
    const m = b.build(b.add(a, b.conv2d(a, { outChannels: 4, kernel: 3, padding: 'same' })));
    const x = randomTensor([1, 2, 8, 8], 5);
    const peak = m.peakMemory(x.shape).bytes;
    const tight = new GpuExecutor({ mode: 'cpu', maxMemoryBytes: peak - 1 });
    const exact = new GpuExecutor({ mode: 'cpu', maxMemoryBytes: peak });
    try {
      await expectRefused(() => tight.run(m, x), `${peak} bytes`);
      const y = await exact.run(m, x);
      const want = await new LocalExecutor().run(m, x);
      expect(y.shape).to.deep.equal(want.shape);
    } finally {
      await Promise.all([tight.close(), exact.close()]);
    }
  });

  it('maxMemoryBytes is checked before gpu.js starts', async () => {
    await expectBadArgument(() => new GpuExecutor({ mode: 'cpu', maxMemoryBytes: -5 }), 'GpuExecutor maxMemoryBytes', '-5');
  });
});
