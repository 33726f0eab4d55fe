import { expect } from 'chai';
import { randomTensor, rng } from '@tessera/tensor';
import { importOnnx } from '../src/index.js';
import { onnxBytes, type Init, type TNode } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

const floats = (shape: number[], seed: number, lo = -1, hi = 1): Float32Array => randomTensor(shape, seed, lo, hi).toFloat32Array();

function oneNode(node: Omit<TNode, 'outputs'>, inits: Init[] = [], dims = [1, 5, 7, 9], opset = 17): Uint8Array {
  return onnxBytes({ input: { name: 'x', dims }, output: 'y', nodes: [{ ...node, outputs: ['y'] }], inits, opset });
}

describe('PRelu, HardSigmoid, HardSwish against onnxruntime-node', () => {
  const rand = rng(18);
  const cases: Array<[string, () => Uint8Array, number[]]> = [
    ['PRelu per channel [C,1,1]', () => oneNode({ op: 'PRelu', inputs: ['x', 's'] }, [{ name: 's', dims: [5, 1, 1], data: floats([5], 1) }]), [1, 5, 7, 9]],
    ['PRelu per channel [1,C,1,1], batch 2', () => oneNode({ op: 'PRelu', inputs: ['x', 's'] }, [{ name: 's', dims: [1, 5, 1, 1], data: floats([5], 2) }], [2, 5, 7, 9]), [2, 5, 7, 9]],
    ['PRelu one slope [1]', () => oneNode({ op: 'PRelu', inputs: ['x', 's'] }, [{ name: 's', dims: [1], data: Float32Array.of(0.25) }]), [1, 5, 7, 9]],
    ['PRelu scalar slope, opset 9', () => oneNode({ op: 'PRelu', inputs: ['x', 's'] }, [{ name: 's', dims: [], data: Float32Array.of(-0.3) }], [1, 5, 7, 9], 9), [1, 5, 7, 9]],
    ['HardSigmoid defaults', () => oneNode({ op: 'HardSigmoid', inputs: ['x'] }), [1, 5, 7, 9]],
    ...Array.from({ length: 4 }, (_, i): [string, () => Uint8Array, number[]] => {
      const alpha = Math.fround(rand() * 2 - 1), beta = Math.fround(rand() * 2 - 1);
      return [`HardSigmoid alpha ${alpha.toFixed(3)} beta ${beta.toFixed(3)} #${i}`, () => oneNode({ op: 'HardSigmoid', inputs: ['x'], attrs: { alpha: { f: alpha }, beta: { f: beta } } }, [], [1, 3, 5, 11]), [1, 3, 5, 11]];
    }),
    ['HardSwish (opset 14)', () => oneNode({ op: 'HardSwish', inputs: ['x'] }, [], [1, 5, 7, 9], 14), [1, 5, 7, 9]],
  ];
  cases.forEach(([name, make, dims], i) => it(name, async () => {
    // ort-check draws inputs in [−1, 1]; the clamps are reached in the test below.
    await expectMatchesOrt(make(), dims, 70 + i, name);
  }));

  it('HardSwish and HardSigmoid across their clamps (inputs scaled by a Mul first)', async () => {
    for (const op of ['HardSwish', 'HardSigmoid']) {
      const bytes = onnxBytes({
        input: { name: 'x', dims: [1, 4, 6, 7] }, output: 'y', opset: 14,
        nodes: [{ op: 'Mul', inputs: ['x', 'k'], outputs: ['m'] }, { op, inputs: ['m'], outputs: ['y'] }],
        inits: [{ name: 'k', dims: [], data: Float32Array.of(8) }],
      });
      await expectMatchesOrt(bytes, [1, 4, 6, 7], 80, op);
    }
  });

  it('PRelu with a slope broadcasting along the width, not channels, is refused with the node named', () => {
    const bytes = oneNode({ op: 'PRelu', name: 'p', inputs: ['x', 's'] }, [{ name: 's', dims: [9], data: floats([9], 3) }]);
    expect(() => importOnnx(bytes)).to.throw(/node 'p' \(PRelu\): the slope \[9\] must be an initializer broadcasting per channel/);
  });
});
