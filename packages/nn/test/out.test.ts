import { expect } from 'chai';
import { Tensor, TesseraError, engineTensor, randomTensor, releaseEngineTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, seedDilatedStack } from '../src/index.js';

describe('LocalExecutor run into a caller\'s output (opts.out)', () => {
  const m = seedDilatedStack({ size: 20, channels: 4 });
  const x = randomTensor(m.inputShape, 3);
  const local = new LocalExecutor();
  const outShape = m.shapes(m.inputShape)[m.output]!;

  it('writes the same bits into an ordinary or an engine tensor and returns it', async () => {
    const want = Array.from((await local.run(m, x)).toFloat32Array());
    const plain = Tensor.filled(outShape, Number.NaN);
    expect(await local.run(m, x, { out: plain })).to.equal(plain);
    expect(Array.from(plain.toFloat32Array())).to.deep.equal(want);
    const e = engineTensor(outShape);
    try {
      e.data.fill(Number.NaN);
      expect(await local.run(m, x, { out: e })).to.equal(e);
      expect(Array.from(e.toFloat32Array())).to.deep.equal(want);
      // Again into the same tensor: a reused output holds the new run's values.
      await local.run(m, randomTensor(m.inputShape, 4), { out: e });
      expect(Array.from(e.toFloat32Array())).to.deep.equal(Array.from((await local.run(m, randomTensor(m.inputShape, 4))).toFloat32Array()));
    } finally {
      releaseEngineTensor(e);
    }
  });

  it('rejects an output of the wrong shape, a partial one, or one overlapping the input, naming it', async () => {
    const bad = async (out: Tensor, input: Tensor, re: RegExp): Promise<void> => {
      const err = await local.run(m, input, { out }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(TesseraError);
      expect((err as Error).message).to.match(re);
    };
    await bad(Tensor.zeros([1, 4, 20, 21]), x, /out \[1, 4, 20, 21\] must have the output shape/);
    await bad(Tensor.partial(outShape, { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 1, x0: 0, x1: 1 }), x, /full contiguous/);
    // A one-layer relu keeps the input's shape: writing its output over its input is refused.
    const b = new ModelBuilder('relu', [1, 2, 5, 5]);
    const relu = b.build(b.layer({ op: 'relu' }, [b.input], {}, 'relu'));
    const same = randomTensor([1, 2, 5, 5], 9);
    const err = await local.run(relu, same, { out: same }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(TesseraError);
    expect((err as Error).message).to.match(/overlaps the input/);
  });
});
