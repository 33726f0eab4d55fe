import { expect } from 'chai';
import { Tensor, randomTensor } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, receptiveField } from '../src/index.js';

describe('ModelBuilder: the ONNX-import ops', () => {
  it('conv2dTranspose, prelu, hardSigmoid, hardSwish and binary build with the shapes their specs give, and run', async () => {
    const b = new ModelBuilder('up', [1, 4, 5, 6], { seed: 2 });
    const t = b.conv2dTranspose(b.input, { outChannels: 6, kernel: 3, stride: 2, padding: 1, outputPadding: 1, groups: 2 });
    expect(t.shape).to.deep.equal([1, 6, 10, 12]);
    const p = b.prelu(t);
    const s = b.hardSigmoid(b.globalAvgPool(p), 0.2, 0.5);
    const y = b.binary('mul', b.hardSwish(p), s);
    const r = b.resize(y, { height: 5, width: 6, mode: 'nearest', coordinates: 'half_pixel' });
    const m = b.build(b.pad(r, { top: 1, bottom: 1, left: 1, right: 1, mode: 'reflect' }));
    expect(m.layers.map((l) => l.spec.op)).to.deep.equal(['conv2dTranspose', 'prelu', 'globalAvgPool', 'hardSigmoid', 'hardSwish', 'binary', 'resize', 'pad']);
    expect(m.layers[0]!.weights.weight!.shape).to.deep.equal([4, 3, 3, 3]);
    const out = await new LocalExecutor().run(m, randomTensor([1, 4, 5, 6], 3));
    expect(out.shape).to.deep.equal([1, 6, 7, 8]);
    expect(out.toArray().every(Number.isFinite)).to.equal(true);
  });

  it('refuses misspelt options and a slope of the wrong size', () => {
    const b = new ModelBuilder('bad', [1, 4, 5, 6]);
    expect(() => b.conv2dTranspose(b.input, { outChannels: 2, kernel: 2, outPadding: 1 } as never)).to.throw(/ModelBuilder.conv2dTranspose options: unknown key 'outPadding'/);
    expect(() => b.prelu(b.input, Tensor.zeros([3]))).to.throw(/prelu slope \[3\] must be \[4\]/);
  });

  it('the receptive field through a transposed conv: a 2×2 stride-2 upsampling maps each output to one input pixel', () => {
    const b = new ModelBuilder('rf', [1, 1, 8, 8]);
    const c = b.conv2d(b.input, { outChannels: 1, kernel: 3, padding: 1 });
    const m = b.build(b.conv2dTranspose(c, { outChannels: 1, kernel: 2, stride: 2 }));
    const rf = receptiveField(m);
    expect(rf.size).to.deep.equal([3, 3]);
    expect(rf.jump).to.deep.equal([0.5, 0.5]);
  });
});
