import { expect } from 'chai';
import { FAST_TOLERANCE, randomTensor, type Tensor } from '@tessera/tensor';
import { LocalExecutor, faceApiManifest, faceRecognitionNet, loadFaceApiWeights, type Model } from '@tessera/nn';
import { GpuExecutor } from '../src/index.js';
import { errToMax, skipUnlessMode } from './helpers.js';

/* face-api's recognition ResNet (real weights) on the GPU vs LocalExecutor: the 128-D descriptor within FAST_TOLERANCE (max |Δ| ÷ max |ref|). */
describe('face recognition net on the GPU', function () {
  this.timeout(180000);
  let model: Model;
  let x: Tensor;
  let want: Tensor;

  before(async () => {
    model = faceRecognitionNet(loadFaceApiWeights(faceApiManifest('face_recognition_model')));
    x = randomTensor(model.inputShape, 42, -0.5, 0.5); // preprocessed pixels lie in about [−0.5, 0.5]
    const local = new LocalExecutor();
    want = await local.run(model, x);
    await local.close();
  });

  for (const mode of ['gl', 'webasm'] as const) {
    it(`on ${mode}: descriptor within FAST_TOLERANCE of LocalExecutor, one readback`, async function () {
      skipUnlessMode(this, mode);
      const ex = new GpuExecutor({ mode });
      try {
        const t0 = performance.now();
        const got = await ex.run(model, x);
        const ms = performance.now() - t0;
        const err = errToMax(got, want);
        console.log(`      ${mode}: ${model.layers.length} layers in ${ms.toFixed(0)} ms (first run, compiles included), err ${err.toExponential(2)} × max |ref|`);
        expect([...got.shape]).to.deep.equal([1, 128]);
        expect(err).to.be.at.most(FAST_TOLERANCE);
        expect(ex.stats.readbacks).to.equal(1);
        expect(ex.stats.texturesLive).to.equal(0);
      } finally {
        await ex.close();
      }
    });
  }
});
