import { expect } from 'chai';
import { FAST_TOLERANCE, randomTensor } from '@tessera/tensor';
import { LocalExecutor } from '@tessera/nn';
import { importOnnx, toOnnxLayout } from '../src/index.js';
import { onnxBytes, type TNode } from './onnx-writer.js';
import { expectMatchesOrt, runOrt } from './ort-check.js';

const W = { name: 'W', dims: [6, 3, 3, 3], data: randomTensor([6, 3, 3, 3], 1).toFloat32Array() };

function head(tail: TNode[], inits = [W]): Uint8Array {
  return onnxBytes({
    input: { name: 'x', dims: [2, 3, 7, 5] }, output: 'y',
    nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } }, ...tail], inits,
  });
}

describe('Transpose', () => {
  for (const perm of [[0, 2, 3, 1], [0, 3, 2, 1], [1, 0, 2, 3], [3, 2, 1, 0]]) {
    it(`at the graph end (perm [${perm}]): the result in ONNX layout matches onnxruntime-node`, async () => {
      const bytes = head([{ op: 'Transpose', inputs: ['c'], outputs: ['y'], attrs: { perm } }]);
      const imp = importOnnx(bytes, { inputShape: [2, 3, 7, 5] });
      expect(imp.outputPermutation).to.deep.equal(perm);
      const x = randomTensor([2, 3, 7, 5], 2);
      const ref = await runOrt(bytes, 'x', x);
      const got = toOnnxLayout(imp, await new LocalExecutor().run(imp.model, x));
      expect(got.shape).to.deep.equal(ref.dims);
      expect([...imp.outputShape]).to.deep.equal(ref.dims);
      const g = got.toFloat32Array();
      let maxRef = 0, maxErr = 0;
      for (let i = 0; i < g.length; i++) { maxRef = Math.max(maxRef, Math.abs(ref.data[i]!)); maxErr = Math.max(maxErr, Math.abs(g[i]! - ref.data[i]!)); }
      expect(maxErr).to.be.at.most(FAST_TOLERANCE * maxRef);
    });
  }

  it('moving only size-1 axes is a view anywhere (GlobalAveragePool [N, C, 1, 1] → [N, 1, 1, C] → Flatten → Gemm)', async () => {
    const bytes = head([
      { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['g'] },
      { op: 'Transpose', inputs: ['g'], outputs: ['t'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'Flatten', inputs: ['t'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'B'], outputs: ['y'] },
    ], [W, { name: 'B', dims: [6, 4], data: randomTensor([6, 4], 3).toFloat32Array() }]);
    const { imp } = await expectMatchesOrt(bytes, [2, 3, 7, 5], 4, 'size-1 transpose');
    expect(imp.outputPermutation).to.equal(undefined);
  });

  it('of a constant is folded (a transposed Gemm weight)', async () => {
    const bytes = head([
      { op: 'GlobalAveragePool', inputs: ['c'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Transpose', inputs: ['Bt'], outputs: ['B'] },
      { op: 'Gemm', inputs: ['f', 'B'], outputs: ['y'] },
    ], [W, { name: 'Bt', dims: [4, 6], data: randomTensor([4, 6], 5).toFloat32Array() }]);
    await expectMatchesOrt(bytes, [2, 3, 7, 5], 6, 'constant transpose');
  });

  it('a reordering Transpose inside the graph is refused at load, naming the node', () => {
    const bytes = head([
      { op: 'Transpose', name: 'mid', inputs: ['c'], outputs: ['t'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'Relu', inputs: ['t'], outputs: ['y'] },
    ]);
    expect(() => importOnnx(bytes)).to.throw(/node 'mid' \(Transpose\): Transpose \[2, 6, 7, 5\] by perm \[0, 2, 3, 1\] reorders the data; it is supported only as a graph output/);
  });
});
