import { expect } from 'chai';
import { Tensor, TesseraError } from '@tessera/tensor';
import { INPUT, LocalExecutor, Model } from '@tessera/nn';
import { HOSTILE_BYTES, expectRefused, hostilePadModel } from '../../nn/test/hostile-models.js';
import { decodeModelFile, encodeModelFile } from '../src/index.js';

/*
 * Issue 14: a checksum-valid .tsm of under 200 bytes (a 1×1 input padded to
 * 23171²) loaded fine and then allocated 2 GiB in LocalExecutor.run. The
 * file limits cover weights and inputs; the feature maps are the executor's
 * memory budget to refuse.
 */
describe('hostile model files and the memory budget (issue 14)', () => {
  it('the 23171² pad model survives the .tsm codec in a few hundred bytes and is refused before allocation', async () => {
    const bytes = encodeModelFile(hostilePadModel());
    expect(bytes.length).to.be.below(300);
    const m = decodeModelFile(bytes);
    expect(m.peakMemory([1, 1, 1, 1]).bytes).to.equal(HOSTILE_BYTES);
    await expectRefused(() => new LocalExecutor({ maxMemoryBytes: 2 ** 30 }).run(m, Tensor.zeros([1, 1, 1, 1])),
      "layer 0 'huge-pad'", `${HOSTILE_BYTES} bytes`);
  });

  it('a file padding to 1e6² fails to load with a TesseraError naming the layer and shape, not a RangeError', () => {
    // ModelBuilder refuses to build it (shape inference), so the file is written from a model-shaped object.
    const absurd = Object.assign(Object.create(Model.prototype) as Model, {
      id: 'absurd', name: 'absurd', inputShape: [1, 1, 1, 1], output: 0,
      inputs: [{ name: 'input', shape: [1, 1, 1, 1] }], outputs: [{ name: 'output', layer: 0 }],
      layers: [{ index: 0, name: 'absurd-pad', spec: { op: 'pad', top: 0, bottom: 1e6, left: 0, right: 1e6 }, inputs: [INPUT], weights: {} }],
    });
    const bytes = encodeModelFile(absurd);
    let thrown: unknown;
    try {
      decodeModelFile(bytes);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).to.be.instanceOf(TesseraError);
    const e = thrown as TesseraError;
    expect(e.code).to.equal('BAD_MODEL');
    expect(e.message).to.include("'absurd-pad'").and.include('[1, 1, 1000001, 1000001]');
    const codes: string[] = [];
    for (let c: unknown = e; c instanceof TesseraError; c = c.cause) codes.push(c.code);
    expect(codes).to.include('RESOURCE_EXHAUSTED'); // what shape inference said, under the file's BAD_MODEL
  });
});
