import { expect } from 'chai';
import { Tensor, randomTensor, runOp, getOp, weightShapes, fullRegion } from '@tessera/tensor';
import { GpuOpRunner } from '../src/index.js';
import { maxRelErr } from './helpers.js';

describe('smoke', () => {
  for (const mode of ['gl', 'webasm', 'cpu'] as const) {
    it(`conv2d on ${mode}`, async () => {
      const r = new GpuOpRunner({ mode });
      const x = randomTensor([2, 4, 7, 9], 1);
      const w = randomTensor([6, 2, 3, 3], 2);
      const b = randomTensor([6], 3);
      const spec = { op: 'conv2d' as const, kernel: 3, stride: [2, 1] as [number, number], dilation: 2, padding: 'same' as const, groups: 2 };
      const shape = getOp('conv2d').outputShape(spec, [x.shape], weightShapes({ weight: w, bias: b }));
      const ref = runOp(spec, [x], { weight: w, bias: b }, Tensor.zeros(shape), undefined, 'reference');
      const got = r.run(spec, [x], { weight: w, bias: b });
      console.log(r.backend, r.stats, maxRelErr(got.data, ref.data));
      expect(maxRelErr(got.data, ref.data)).to.be.below(1e-4);
      await r.close();
    });
  }
});
