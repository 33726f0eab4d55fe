import { expect } from 'chai';
import { FAST_TOLERANCE, Tensor, TesseraError, randomTensor } from '@tessera/tensor';
import { LocalExecutor, Model, multiHeadNet, twoInputNet } from '@tessera/nn';
import { GpuExecutor } from '../src/index.js';
import { MODES, errToMax, skipUnlessMode } from './helpers.js';

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(t.toFloat32Array().slice().buffer));

describe('GpuExecutor with several outputs', function () {
  this.timeout(180_000);
  const m = multiHeadNet({ size: 19, channels: 4 });
  const x = randomTensor(m.inputShape, 5);
  const local = new LocalExecutor();

  for (const mode of MODES) {
    it(`${mode}: runAll returns every output, each the bits of a one-output run on the same backend and within FAST_TOLERANCE of LocalExecutor; no texture left`, async function () {
      skipUnlessMode(this, mode);
      const ex = new GpuExecutor({ mode });
      try {
        if (mode === 'gl') expect(ex.kernelClass).to.equal('HeadlessGLKernel');
        const want = await local.runAll(m, x);
        const all = await ex.runAll(m, x);
        expect(Object.keys(all)).to.deep.equal(['boxes', 'scores', 'features']);
        for (const o of m.outputs) {
          const one = await ex.run(new Model(m.name, m.inputShape, m.layers, o.layer), x);
          expect(all[o.name]!.shape, o.name).to.deep.equal(m.outputShape(o.name));
          expect(bits(all[o.name]!), `${mode} '${o.name}' vs its one-output run`).to.deep.equal(bits(one));
          expect(errToMax(all[o.name]!, want[o.name]!), `${mode} '${o.name}' vs LocalExecutor`).to.be.at.most(FAST_TOLERANCE);
        }
        expect(ex.stats.texturesLive).to.equal(0);
        // run refuses the model with several outputs before anything is uploaded.
        const err = await ex.run(m, x).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(TesseraError);
        expect((err as TesseraError).code).to.equal('BAD_ARGUMENT');
        expect((err as Error).message).to.match(/3 outputs.*use runAll/);
        // An abort mid-run releases the outputs already computed too.
        const ctl = new AbortController();
        const p = ex.runAll(m, x, { signal: ctl.signal });
        setImmediate(() => setImmediate(() => ctl.abort(new Error('stop'))));
        const aborted = await p.then(() => undefined, (e: unknown) => e);
        expect((aborted as TesseraError).code).to.equal('ABORTED');
        expect(ex.stats.texturesLive).to.equal(0);
      } finally {
        await ex.close();
      }
    });
  }

  for (const mode of MODES) {
    it(`${mode}: a model with two inputs runs from a tensor per input name, within FAST_TOLERANCE of LocalExecutor`, async function () {
      skipUnlessMode(this, mode);
      const two = twoInputNet();
      const inputs = { image: randomTensor([1, 3, 15, 15], 1), mask: randomTensor([1, 1, 15, 15], 2) };
      const ex = new GpuExecutor({ mode });
      try {
        const want = await local.runAll(two, inputs);
        const got = await ex.runAll(two, inputs);
        for (const name of ['fused', 'score']) expect(errToMax(got[name]!, want[name]!), `${mode} '${name}'`).to.be.at.most(FAST_TOLERANCE);
        expect(ex.stats.texturesLive).to.equal(0);
        const err = await ex.runAll(two, inputs.image).then(() => undefined, (e: unknown) => e);
        expect((err as Error).message).to.match(/has 2 inputs \('image', 'mask'\); pass a tensor per input name/);
      } finally {
        await ex.close();
      }
    });
  }
});
