import { expect } from 'chai';
import { isTesseraError, randomTensor, type Tensor } from '@tessera/tensor';
import { runBatch, runStream } from '@tessera/nn';
import { GpuExecutor } from '../src/index.js';
import { MODES, skipUnlessMode } from './helpers.js';
import { tenLayerModel } from './models.js';

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(t.toFloat32Array().slice().buffer));

describe('GpuExecutor batches and streams (runBatch, runStream)', function () {
  this.timeout(120000);

  for (const mode of MODES) {
    describe(`mode ${mode}`, () => {
      let ex: GpuExecutor | undefined;
      before(function () {
        skipUnlessMode(this, mode);
        ex = new GpuExecutor({ mode });
      });
      after(async () => {
        await ex?.close();
      });

      it('batches of 1..5 and a stream give run()\'s bits for every input, in input order', async () => {
        const m = tenLayerModel(1, 10, 4);
        for (let count = 1; count <= 5; count++) {
          const xs = Array.from({ length: count }, (_, i) => randomTensor(m.inputShape, 100 * count + i));
          const want: number[][] = [];
          for (const x of xs) want.push(bits(await ex!.run(m, x)));
          (await runBatch(ex!, m, xs)).forEach((y, i) => expect(bits(y), `batch of ${count}, input ${i}`).to.deep.equal(want[i]));
          let i = 0;
          for await (const y of runStream(ex!, m, xs, { maxInFlight: 2 })) expect(bits(y), `stream of ${count}, item ${i}`).to.deep.equal(want[i++]);
          expect(i).to.equal(count);
        }
        expect(ex!.stats.texturesLive).to.equal(0);
      });

      it('abort mid-stream rejects with ABORTED and the executor still runs', async () => {
        const m = tenLayerModel(1, 10, 4);
        const ac = new AbortController();
        const xs = Array.from({ length: 6 }, (_, i) => randomTensor(m.inputShape, i));
        let seen = 0;
        try {
          for await (const y of runStream(ex!, m, xs, { signal: ac.signal, maxInFlight: 2 })) {
            expect(y.shape).to.deep.equal(m.outputShape());
            if (++seen === 2) ac.abort(new Error('enough'));
          }
          expect.fail('the stream should reject');
        } catch (e) {
          expect(isTesseraError(e) && e.code, String(e)).to.equal('ABORTED');
        }
        expect(seen).to.equal(2);
        expect(bits(await ex!.run(m, xs[0]!))).to.deep.equal(bits(await ex!.run(m, xs[0]!)));
        expect(ex!.stats.texturesLive).to.equal(0);
      });
    });
  }
});
