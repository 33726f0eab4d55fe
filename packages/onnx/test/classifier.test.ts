import { expect } from 'chai';
import { randomTensor } from '@tessera/tensor';
import { onnxBytes, type TNode } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

const floats = (shape: number[], seed: number): Float32Array => randomTensor(shape, seed).toFloat32Array();

describe('classifier ends against onnxruntime-node', () => {
  it('GlobalAveragePool → Flatten → Gemm(transB) → Softmax', async () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [3, 6, 5, 7] }, output: 'y',
      nodes: [
        { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['g'] },
        { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
        { op: 'Gemm', inputs: ['f', 'W', 'B'], outputs: ['z'], attrs: { transB: 1 } },
        { op: 'Softmax', inputs: ['z'], outputs: ['y'] },
      ],
      inits: [{ name: 'W', dims: [10, 6], data: floats([10, 6], 1) }, { name: 'B', dims: [10], data: floats([10], 2) }],
    });
    const { imp } = await expectMatchesOrt(bytes, [3, 6, 5, 7], 3, 'gap-gemm-softmax');
    expect(imp.model.layers.map((l) => l.spec.op)).to.deep.equal(['globalAvgPool', 'dense', 'softmax']);
    expect(imp.outputShape).to.deep.equal([3, 10]);
  });

  it("Flatten of a feature map → Gemm (no transB, no bias), opset 11 Softmax", async () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [2, 3, 4, 5] }, output: 'y', opset: 11,
      nodes: [
        { op: 'Flatten', inputs: ['x'], outputs: ['f'], attrs: { axis: 1 } },
        { op: 'Gemm', inputs: ['f', 'W'], outputs: ['z'] },
        { op: 'Softmax', inputs: ['z'], outputs: ['y'], attrs: { axis: 1 } },
      ],
      inits: [{ name: 'W', dims: [60, 7], data: floats([60, 7], 4) }],
    });
    await expectMatchesOrt(bytes, [2, 3, 4, 5], 5, 'flatten-gemm');
  });

  it("PyTorch's x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat → Reshape folded, then MatMul + Add as dense with bias", async () => {
    const nodes: TNode[] = [
      { op: 'Conv', inputs: ['x', 'Wc'], outputs: ['c'], attrs: { strides: [2, 2] } },
      { op: 'Shape', inputs: ['c'], outputs: ['s'] },
      { op: 'Gather', inputs: ['s', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['c', 'shape'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['r', 'W'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'B'], outputs: ['y'] },
    ];
    // ORT's Concat wants one type: the int32 −1 is Cast to int64, which also checks Cast folding.
    const fixed = onnxBytes({
      input: { name: 'x', dims: [2, 3, 9, 9] }, output: 'y',
      nodes: [...nodes.slice(0, 4), { op: 'Cast', inputs: ['minus1'], outputs: ['m1'], attrs: { to: 7 } }, { ...nodes[4]!, inputs: ['n1', 'm1'] }, ...nodes.slice(5)],
      inits: [
        { name: 'Wc', dims: [4, 3, 3, 3], data: floats([4, 3, 3, 3], 6) },
        { name: 'zero', dims: [], data: [0] },
        { name: 'axes0', dims: [1], data: [0], encoding: 'typed' },
        { name: 'minus1', dims: [1], data: [-1], type: 'int32' },
        { name: 'W', dims: [64, 5], data: floats([64, 5], 7) },
        { name: 'B', dims: [5], data: floats([5], 8) },
      ],
    });
    const { imp } = await expectMatchesOrt(fixed, [2, 3, 9, 9], 9, 'view-matmul');
    expect(imp.model.layers.map((l) => l.spec.op)).to.deep.equal(['conv2d', 'dense']);
  });

  it('Squeeze at the end ([N, C, 1, 1] → [N, C]) and Softmax on it', async () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [2, 4, 6, 6] }, output: 'y',
      nodes: [
        { op: 'GlobalMaxPool', inputs: ['x'], outputs: ['g'] },
        { op: 'Squeeze', inputs: ['g', 'axes'], outputs: ['s'] },
        { op: 'Softmax', inputs: ['s'], outputs: ['y'] },
      ],
      inits: [{ name: 'axes', dims: [2], data: [2, 3] }],
    });
    const { imp } = await expectMatchesOrt(bytes, [2, 4, 6, 6], 10, 'squeeze');
    expect(imp.outputShape).to.deep.equal([2, 4]);
  });
});
