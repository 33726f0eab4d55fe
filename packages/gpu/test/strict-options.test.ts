import { expect } from 'chai';
import { Tensor, TesseraError, randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder } from '@tessera/nn';
import { GpuExecutor, GpuOpRunner, runGpuOp } from '../src/index.js';
import { expectBadArgument as expectBad } from '../../nn/test/expect-bad.js';

/*
 * Issue 14: a misspelt GpuExecutor option ran with the default without a
 * word. Each must throw BAD_ARGUMENT naming the key, its value, the accepted
 * keys and, for a near miss, the key that was meant — before gpu.js starts.
 */

describe('GPU options are strict (issue 14)', () => {
  it('GpuExecutor rejects a misspelt option and a wrongly typed one', async () => {
    await expectBad(() => new GpuExecutor({ mdoe: 'cpu' } as never),
      "GpuExecutor options: unknown key 'mdoe' (value \"cpu\"); did you mean 'mode'?", 'Accepted keys: mode, maxTextureSize, kernelCacheSize, failAtLayer');
    await expectBad(() => new GpuExecutor({ mode: 'GL' } as never), "GPU mode must be one of 'gl', 'webasm', 'cpu', 'auto', got \"GL\"; did you mean 'gl'?");
    await expectBad(() => new GpuExecutor({ mode: 'cpu', failAtLayer: 'first' } as never), 'GpuExecutor failAtLayer must be an integer ≥ 0, got first');
  });

  it('GpuOpRunner and runGpuOp reject misspelt options', async () => {
    await expectBad(() => new GpuOpRunner({ maxTextureSise: 16 } as never),
      "GpuOpRunner options: unknown key 'maxTextureSise' (value 16); did you mean 'maxTextureSize'?", 'Accepted keys: mode, maxTextureSize, kernelCacheSize');
    await expectBad(() => runGpuOp({ op: 'relu' }, [randomTensor([1, 1, 2, 2], 1)], {}, { mode: 'cpu', regoin: undefined } as never),
      "runGpuOp options: unknown key 'regoin'", "did you mean 'region'?");
  });

  describe('run', () => {
    const b = new ModelBuilder('m', [1, 2, 6, 6]);
    const model = b.build(b.relu(b.conv2d(b.input, { outChannels: 3, kernel: 3, padding: 'same' })));
    const x = randomTensor([1, 2, 6, 6], 2);
    let ex: GpuExecutor;
    before(() => { ex = new GpuExecutor({ mode: 'cpu' }); });
    after(() => ex.close());

    it('rejects a misspelt run option', async () => {
      await expectBad(() => ex.run(model, x, { signl: new AbortController().signal } as never),
        "GpuExecutor.run options: unknown key 'signl'", "did you mean 'signal'?", 'Accepted keys: signal, out');
    });

    it('honours out (it used to be ignored)', async () => {
      const out = Tensor.zeros([1, 3, 6, 6]);
      const y = await ex.run(model, x, { out });
      expect(y).to.equal(out);
      const want = (await new LocalExecutor().run(model, x)).toFloat32Array();
      const got = out.toFloat32Array();
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `element ${i}`).to.be.below(1e-3);
      let err: unknown;
      await ex.run(model, x, { out: Tensor.zeros([1, 3, 6, 5]) }).catch((e: unknown) => { err = e; });
      expect((err as TesseraError)?.code, String(err)).to.equal('SHAPE_MISMATCH');
    });
  });
});
