import { expect } from 'chai';
import { totalmem } from 'node:os';
import { Tensor, randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, defaultMemoryBudget, fuseLayers, type Model } from '../src/index.js';
import { expectBadArgument } from './expect-bad.js';
import { HOSTILE_BYTES, expectRefused, hostilePadModel } from './hostile-models.js';

/** conv → relu → conv, plus a residual add of the first conv: the first map is read twice, so it outlives the second conv. */
function residualModel(): Model {
  const b = new ModelBuilder('residual', [1, 2, 8, 8], { seed: 3 });
  const a = b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same' });   // 4×8×8 = 1024 B
  const c = b.conv2d(b.relu(a), { outChannels: 4, kernel: 3, padding: 'same' });  // relu and c: 1024 B each
  return b.build(b.add(a, c));
}

describe('memory budget (issue 14)', () => {
  it('peakMemory counts the maps live at once as layers run, releasing each after its last reader', () => {
    const m = residualModel();
    const p = m.peakMemory([1, 2, 8, 8]);
    // conv a; relu (a held: add reads it); conv c (relu released after); add (a and c held).
    expect(p.steps.map((s) => s.bytes)).to.deep.equal([1024, 2048, 3072, 3072]);
    expect(p.bytes).to.equal(3072);
    expect(p.layer).to.equal(2);
    expect(m.peakMemory([1, 2, 8, 8])).to.equal(p); // cached
    expect(m.peakMemory([2, 2, 8, 8]).bytes).to.equal(6144);
    // The fused model (relu cannot merge: a is read twice) holds no more.
    expect(fuseLayers(m).peakMemory([1, 2, 8, 8]).bytes).to.be.at.most(3072);
  });

  it('the hostile pad model (1×1 padded to 23171²) is refused by LocalExecutor before allocation, naming the layer and the bytes', async () => {
    const m = hostilePadModel();
    expect(m.peakMemory([1, 1, 1, 1]).bytes).to.equal(HOSTILE_BYTES);
    const ex = new LocalExecutor({ maxMemoryBytes: 2 ** 30 });
    const e = await expectRefused(() => ex.run(m, Tensor.zeros([1, 1, 1, 1])), "layer 0 'huge-pad'", `${HOSTILE_BYTES} bytes`, '[1, 1, 23171, 23171]', 'maxMemoryBytes');
    expect(e.details).to.include({ layer: 'huge-pad', layerIndex: 0, bytes: HOSTILE_BYTES, budget: 2 ** 30 });
    await expectRefused(() => ex.runSync(m, Tensor.zeros([1, 1, 1, 1])), "'huge-pad'", `${HOSTILE_BYTES} bytes`);
  });

  it('the default budget is half of the machine memory', () => {
    expect(defaultMemoryBudget()).to.equal(Math.floor(totalmem() / 2));
    expect(new LocalExecutor().maxMemoryBytes).to.equal(defaultMemoryBudget());
    expect(new LocalExecutor({ maxMemoryBytes: Infinity }).maxMemoryBytes).to.equal(Infinity);
  });

  it('a normal model is refused under a tight budget, naming the first layer over it, and runs under its exact peak', async () => {
    const m = residualModel();
    const x = randomTensor([1, 2, 8, 8], 1);
    const peak = fuseLayers(m).peakMemory(x.shape);
    const want = await new LocalExecutor({ maxMemoryBytes: Infinity }).run(m, x);
    const tight = new LocalExecutor({ maxMemoryBytes: peak.bytes - 1 });
    const first = peak.steps.find((s) => s.bytes > peak.bytes - 1)!;
    await expectRefused(() => tight.run(m, x), `layer ${first.layer} '${fuseLayers(m).layers[first.layer]!.name}'`, `${peak.bytes} bytes`);
    const exact = await new LocalExecutor({ maxMemoryBytes: peak.bytes }).run(m, x);
    expect(exact.toFloat32Array()).to.deep.equal(want.toFloat32Array());
    // Unfused, the run holds more maps: its own peak is the one checked.
    const unfused = m.peakMemory(x.shape).bytes;
    await expectRefused(() => new LocalExecutor({ fuse: false, maxMemoryBytes: unfused - 1 }).run(m, x), `${unfused} bytes`);
    await new LocalExecutor({ fuse: false, maxMemoryBytes: unfused }).run(m, x);
  });

  it('maxMemoryBytes must be a whole number of bytes > 0', async () => {
    for (const v of [0, -1, 1.5, '1GB', NaN]) {
      await expectBadArgument(() => new LocalExecutor({ maxMemoryBytes: v as number }), 'LocalExecutor maxMemoryBytes', String(v));
    }
  });
});
