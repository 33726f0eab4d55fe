import { expect } from 'chai';
import { Tensor, randomTensor } from '@tessera/tensor';
import { LocalExecutor, Model, ModelBuilder, runStream, type Node } from '../src/index.js';
import { expectBadArgument as expectBad } from './expect-bad.js';

/*
 * Issue 14: misspelt fields given to the builder and the LocalExecutor were
 * dropped without a word. Each must throw BAD_ARGUMENT naming the key, its
 * value, the accepted keys and, for a near miss, the key that was meant.
 */


const CONV_OPTION_KEYS = 'Accepted keys: kernel, stride, dilation, padding, flip, bias, name, outChannels, groups';
const POOL_KEYS = 'Accepted keys: kernel, stride, dilation, padding';

describe('strict builder and executor options (issue 14)', () => {
  const builder = (): { b: ModelBuilder; x: Node } => {
    const b = new ModelBuilder('strict', [1, 2, 8, 8]);
    return { b, x: b.input };
  };

  describe('ModelBuilder', () => {
    it("conv2d rejects 'padd' (it built a valid conv)", async () => {
      const { b, x } = builder();
      await expectBad(() => b.conv2d(x, { outChannels: 4, kernel: 3, padd: 'same' } as never),
        "ModelBuilder.conv2d options: unknown key 'padd' (value \"same\"); did you mean 'padding'?", CONV_OPTION_KEYS);
      expect(b.size).to.equal(0);
    });

    it("conv2d rejects 'strides' and 'dilations'", async () => {
      const { b, x } = builder();
      await expectBad(() => b.conv2d(x, { outChannels: 4, kernel: 3, strides: 2 } as never),
        "unknown key 'strides' (value 2); did you mean 'stride'?", CONV_OPTION_KEYS);
      await expectBad(() => b.conv2d(x, { outChannels: 4, kernel: 3, dilations: 2 } as never),
        "unknown key 'dilations' (value 2); did you mean 'dilation'?", CONV_OPTION_KEYS);
    });

    it("conv2d rejects flip: 'no' and bias: 'no'", async () => {
      const { b, x } = builder();
      await expectBad(() => b.conv2d(x, { outChannels: 4, kernel: 3, flip: 'no' } as never), "conv2d flip must be true or false, got \"no\"");
      await expectBad(() => b.conv2d(x, { outChannels: 4, kernel: 3, bias: 'no' } as never), "ModelBuilder.conv2d bias must be true or false, got \"no\"");
    });

    it("depthwiseConv2d rejects outChannels (it was overwritten) and misspelt keys", async () => {
      const { b, x } = builder();
      await expectBad(() => b.depthwiseConv2d(x, { kernel: 3, outChannels: 8 } as never),
        "ModelBuilder.depthwiseConv2d options: unknown key 'outChannels' (value 8).", 'Accepted keys: kernel, stride, dilation, padding, flip, bias, name');
    });

    it("maxPool rejects 'ceilMode', avgPool 'countIncludePad'", async () => {
      const { b, x } = builder();
      await expectBad(() => b.maxPool(x, { kernel: 2, ceilMode: true } as never), "ModelBuilder.maxPool options: unknown key 'ceilMode' (value true).", POOL_KEYS);
      await expectBad(() => b.avgPool(x, { kernel: 2, countIncludePad: true } as never), "ModelBuilder.avgPool options: unknown key 'countIncludePad' (value true).", POOL_KEYS);
      await expectBad(() => b.l2Pool(x, { kernel: 2, strides: 1 } as never), "unknown key 'strides'", "did you mean 'stride'?");
    });

    it("activation rejects { op: 'relu', alpha: 5 } (it built a plain relu)", async () => {
      const { b, x } = builder();
      await expectBad(() => b.activation({ op: 'relu', alpha: 5 } as never, x),
        "layer 0 'relu_0' (relu): relu spec: unknown key 'alpha' (value 5). Accepted keys: op");
      await expectBad(() => b.layer({ op: 'conv2d', kernel: 3, padd: 'same' } as never, [x], { weight: randomTensor([4, 2, 3, 3], 1) }),
        "conv2d spec: unknown key 'padd'", "did you mean 'padding'?");
    });

    it('pad, resize, weights and the builder options reject misspelt keys', async () => {
      const { b, x } = builder();
      await expectBad(() => b.pad(x, { top: 1, bottom: 1, left: 1, rigth: 1 } as never), "pad spec: unknown key 'rigth' (value 1); did you mean 'right'?");
      await expectBad(() => b.resize(x, { height: 4, width: 4, alignCorner: true } as never), "did you mean 'alignCorners'?");
      await expectBad(() => b.conv2d(x, { outChannels: 4, kernel: 3 }, { weight: randomTensor([4, 2, 3, 3], 1), biases: randomTensor([4], 2) } as never),
        "ModelBuilder.conv2d weights: unknown key 'biases'", "did you mean 'bias'?");
      await expectBad(() => b.dense(x, 3, { weight: randomTensor([128, 3], 1), bais: randomTensor([3], 2) } as never), "did you mean 'bias'?");
      await expectBad(() => new ModelBuilder('m', [1, 2, 8, 8], { sed: 3 } as never), "ModelBuilder options: unknown key 'sed' (value 3); did you mean 'seed'?");
      const y = b.relu(x);
      await expectBad(() => b.build(y, { ID: 'x' } as never), "ModelBuilder.build options: unknown key 'ID'", "did you mean 'id'?");
    });

    it('a Model with a misspelt spec is refused when it is made (as a loaded model is)', async () => {
      await expectBad(() => new Model('m', [1, 2, 8, 8], [{ index: 0, name: 'p', spec: { op: 'maxPool', kernel: 2, ceilMode: true } as never, inputs: [-1], weights: {} }]),
        "layer 0 'p' (maxPool): maxPool spec: unknown key 'ceilMode' (value true).");
    });
  });

  describe('LocalExecutor', () => {
    const b = new ModelBuilder('m', [1, 2, 8, 8]);
    const model = b.build(b.relu(b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same' })));
    const x = randomTensor([1, 2, 8, 8], 3);

    it('rejects a misspelt option and wrongly typed values', async () => {
      await expectBad(() => new LocalExecutor({ fuze: false } as never), "LocalExecutor options: unknown key 'fuze' (value false); did you mean 'fuse'?", 'Accepted keys: impl, fuse');
      await expectBad(() => new LocalExecutor({ impl: 'fats' } as never), "LocalExecutor impl must be one of 'fast', 'reference', got \"fats\"; did you mean 'fast'?");
      await expectBad(() => new LocalExecutor({ fuse: 'no' } as never), 'LocalExecutor fuse must be true or false, got "no"');
    });

    it('rejects a misspelt run option (an abort that would never land)', async () => {
      const ex = new LocalExecutor();
      await expectBad(() => ex.run(model, x, { signl: new AbortController().signal } as never),
        "LocalExecutor.run options: unknown key 'signl'", "did you mean 'signal'?", 'Accepted keys: signal, out');
      await expectBad(() => ex.run(model, x, { signal: 'stop' } as never), 'signal must be an AbortSignal');
      await expectBad(() => ex.runSync(model, x, { outt: Tensor.zeros([1, 4, 8, 8]) } as never), "LocalExecutor.runSync options: unknown key 'outt'", "did you mean 'out'?");
    });

    it("runStream's maxInFlight does not reach run()", async () => {
      const ex = new LocalExecutor();
      const outs: Tensor[] = [];
      for await (const y of runStream(ex, model, [x, x, x], { maxInFlight: 2 })) outs.push(y);
      expect(outs).to.have.length(3);
    });
  });
});
