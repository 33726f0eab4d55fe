import { expect } from 'chai';
import { FAST_TOLERANCE, Tensor, TesseraError, applyOp, inEngine, kernelEngine, randomTensor, type Conv2dSpec } from '@tessera/tensor';
import { INPUT, LocalExecutor, Model, ModelBuilder, seedDilatedStack } from '../src/index.js';

describe('Model', () => {
  it('infers shapes, parameters and FLOPs per layer', () => {
    const b = new ModelBuilder('m', [2, 3, 17, 13]);
    let x = b.conv2d(b.input, { outChannels: 8, kernel: 3, stride: 2, padding: 'same' });
    x = b.relu(x);
    x = b.maxPool(x, { kernel: 2 });
    x = b.globalAvgPool(x);
    x = b.dense(x, 5);
    const m = b.build(x);
    const shapes = m.shapes();
    expect(shapes.map((s) => [...s])).to.deep.equal([[2, 8, 9, 7], [2, 8, 9, 7], [2, 8, 4, 3], [2, 8, 1, 1], [2, 5]]);
    expect(m.paramCount()).to.equal(8 * 3 * 9 + 8 + 8 * 5 + 5);
    const info = m.info();
    expect(info[0]!.flops).to.equal(2 * 2 * 8 * 9 * 7 * 3 * 9);
    expect(info[4]!.flops).to.equal(2 * 2 * 8 * 5 + 2 * 5); // multiply-adds plus the bias add
    expect(m.summary()).to.match(/conv2d/).and.to.match(/\[2, 5\]/).and.to.match(/parameters/);
  });

  it('re-infers shapes for another input size and batch', () => {
    const m = seedDilatedStack({ size: 32, channels: 4 });
    expect(m.outputShape()).to.deep.equal([1, 4, 16, 16]);
    expect(m.outputShape([3, 3, 50, 20])).to.deep.equal([3, 4, 25, 10]);
  });

  it('names the layer in shape errors, at build and at run time', async () => {
    const b = new ModelBuilder('m', [1, 3, 8, 8]);
    const x = b.conv2d(b.input, { outChannels: 4, kernel: 3, name: 'first' });
    expect(() => b.conv2d(x, { outChannels: 4, kernel: 9, name: 'toolarge' })).to.throw(TesseraError, /layer 1 'toolarge' \(conv2d\).*larger than the padded input/);
    const m = b.build(x);
    try {
      await new LocalExecutor().run(m, Tensor.zeros([1, 4, 8, 8]));
      expect.fail('should throw');
    } catch (e) {
      expect((e as TesseraError).code).to.equal('SHAPE_MISMATCH');
      expect((e as TesseraError).message).to.match(/layer 0 'first'/).and.to.match(/input channels/);
    }
  });

  it('rejects graphs that are not DAGs in topological order, and unknown ops', () => {
    const w = Tensor.zeros([1, 1, 1, 1]);
    const conv: Conv2dSpec = { op: 'conv2d', kernel: 1 };
    expect(() => new Model('bad', [1, 1, 4, 4], [
      { index: 0, name: 'a', spec: conv, inputs: [1], weights: { weight: w } },
      { index: 1, name: 'b', spec: conv, inputs: [INPUT], weights: { weight: w } },
    ])).to.throw(TesseraError, /layer 0 'a' reads input 1/);
    expect(() => new Model('bad', [1, 1, 4, 4], [
      { index: 0, name: 'x', spec: { op: 'warp' } as never, inputs: [INPUT], weights: {} },
    ])).to.throw(TesseraError, /unknown op 'warp'/);
  });

  it('builds the same weights from the same seed', () => {
    const a = seedDilatedStack({ size: 16, channels: 4, seed: 3 });
    const b = seedDilatedStack({ size: 16, channels: 4, seed: 3 });
    expect(a.layers[0]!.weights.weight!.toArray()).to.deep.equal(b.layers[0]!.weights.weight!.toArray());
    expect(a.id).to.not.equal(b.id);
  });
});

describe('LocalExecutor', () => {
  it('equals the ops applied one by one, on a DAG with residual add and concat', async () => {
    const b = new ModelBuilder('dag', [2, 3, 11, 9], { seed: 5 });
    const c1 = b.relu(b.conv2d(b.input, { outChannels: 6, kernel: 3, padding: 'same' }));
    const c2 = b.conv2d(c1, { outChannels: 6, kernel: 3, dilation: 2, padding: 'same' });
    const sum = b.add(c1, c2);
    const cat = b.concat([sum, c1]);
    const out = b.softmax(b.avgPool(cat, { kernel: 2, padding: 'same' }));
    const m = b.build(out);
    const x = randomTensor([2, 3, 11, 9], 42);
    const got = await new LocalExecutor().run(m, x);
    const L = m.layers;
    const y0 = applyOp(L[0]!.spec, [x], L[0]!.weights);
    const y1 = applyOp(L[1]!.spec, [y0]);
    const y2 = applyOp(L[2]!.spec, [y1], L[2]!.weights);
    const y3 = applyOp(L[3]!.spec, [y1, y2]);
    const y4 = applyOp(L[4]!.spec, [y3, y1]);
    const y5 = applyOp(L[5]!.spec, [y4]);
    const want = applyOp(L[6]!.spec, [y5]);
    expect(Array.from(got.toFloat32Array())).to.deep.equal(Array.from(want.toFloat32Array()));
    expect(got.shape).to.deep.equal([2, 12, 6, 5]);
  });

  it('fast and reference kernels agree on the seed model', async () => {
    const m = seedDilatedStack({ size: 24, channels: 8 });
    const x = randomTensor(m.inputShape, 9);
    const fast = await new LocalExecutor().run(m, x);
    const ref = await new LocalExecutor({ impl: 'reference' }).run(m, x);
    const a = fast.toFloat32Array(), r = ref.toFloat32Array();
    // Float32 production vs float64 reference: each layer may drift by FAST_TOLERANCE of its largest output,
    // and the drift compounds over the stack's 11 layers.
    let worst = 0, peak = 0;
    for (let i = 0; i < a.length; i++) { worst = Math.max(worst, Math.abs(a[i]! - r[i]!)); peak = Math.max(peak, Math.abs(r[i]!)); }
    expect(worst / peak).to.be.below(11 * FAST_TOLERANCE);
    expect(Array.from(m.layers.keys())).to.have.length(11);
  });

  it('rejects with ABORTED when the signal fires, and stays usable', async () => {
    const m = seedDilatedStack({ size: 32, channels: 8 });
    const ex = new LocalExecutor();
    const ac = new AbortController();
    const p = ex.run(m, randomTensor(m.inputShape, 1), { signal: ac.signal });
    ac.abort(new Error('user cancelled'));
    try {
      await p;
      expect.fail('should reject');
    } catch (e) {
      expect((e as TesseraError).code).to.equal('ABORTED');
      expect((e as TesseraError).message).to.match(/user cancelled/);
    }
    const y = await ex.run(m, randomTensor(m.inputShape, 1));
    expect(y.shape).to.deep.equal([1, 8, 16, 16]);
  });

  it('keeps intermediates in engine memory and gives all of it back after runs, aborts and failures', async () => {
    const m = seedDilatedStack({ size: 32, channels: 8 });
    const ex = new LocalExecutor();
    const heap = kernelEngine().heap;
    await ex.run(m, randomTensor(m.inputShape, 1)); // scratch and packed weights settle
    const base = heap.inUse;
    const y = await ex.run(m, randomTensor(m.inputShape, 2));
    expect(inEngine(y), 'the output is ordinary memory').to.equal(false);
    expect(heap.inUse).to.equal(base);
    const ac = new AbortController();
    const p = ex.run(m, randomTensor(m.inputShape, 3), { signal: ac.signal });
    setImmediate(() => setImmediate(() => ac.abort()));
    await p.then(() => expect.fail('should reject'), (e: TesseraError) => expect(e.code).to.equal('ABORTED'));
    expect(heap.inUse, 'after an abort mid-run').to.equal(base);
    ex.runSync(m, randomTensor(m.inputShape, 4));
    expect(heap.inUse, 'after runSync').to.equal(base);
  });
});
