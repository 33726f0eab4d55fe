import { expect } from 'chai';
import { Tensor, randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, type Model } from '@tessera/nn';
import { GpuExecutor } from '../src/index.js';
import { MODES, errToMax, skipUnlessMode } from './helpers.js';

/** A small U-Net with every op added for ONNX import: reflect/edge pads, transposed conv, prelu, hard activations, broadcasting multiply, nearest resize. */
function onnxOpsUNet(): Model {
  const b = new ModelBuilder('gpu-onnx-ops', [1, 3, 14, 13], { seed: 8 });
  const e1 = b.prelu(b.conv2d(b.pad(b.input, { top: 1, bottom: 1, left: 1, right: 1, mode: 'reflect' }), { outChannels: 6, kernel: 3 }));
  const d1 = b.hardSwish(b.conv2d(e1, { outChannels: 8, kernel: 3, stride: 2, padding: 1 }));
  const se = b.hardSigmoid(b.globalAvgPool(d1), 0.2, 0.5);
  const u1 = b.conv2dTranspose(b.binary('mul', d1, se), { outChannels: 6, kernel: 3, stride: 2, padding: 1, outputPadding: [1, 0] });
  const up = b.resize(b.pad(d1, { top: 0, bottom: 1, left: 1, right: 0, mode: 'edge' }), { height: 14, width: 13, mode: 'nearest', coordinates: 'asymmetric' });
  return b.build(b.conv2d(b.concat([u1, e1, up]), { outChannels: 2, kernel: 1 }));
}

describe('GpuExecutor on the ONNX-import ops', function () {
  this.timeout(120_000);
  for (const mode of MODES) {
    it(`${mode}: a U-Net with every new op within 1e-4 of LocalExecutor, no texture left`, async function () {
      skipUnlessMode(this, mode);
      const m = onnxOpsUNet();
      const x = randomTensor(m.inputShape, 4);
      const local = new LocalExecutor();
      const want = await local.run(m, x);
      const ex = new GpuExecutor({ mode });
      try {
        const got: Tensor = await ex.run(m, x);
        expect(got.shape).to.deep.equal(want.shape);
        expect(errToMax(got, want)).to.be.at.most(1e-4);
        expect(ex.stats.texturesLive).to.equal(0);
      } finally {
        await ex.close();
        await local.close();
      }
    });
  }
});
