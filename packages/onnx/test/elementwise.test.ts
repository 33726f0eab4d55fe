import { randomTensor } from '@tessera/tensor';
import { onnxBytes, type Init, type TNode } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

const floats = (shape: number[], seed: number, lo = -1, hi = 1): Float32Array => randomTensor(shape, seed, lo, hi).toFloat32Array();

/** One node on x [1, 5, 7, 9] (or the given shape), its extra inputs from initializers. */
function oneNode(node: Omit<TNode, 'outputs'>, inits: Init[] = [], dims = [1, 5, 7, 9], opset = 17): Uint8Array {
  return onnxBytes({ input: { name: 'x', dims }, output: 'y', nodes: [{ ...node, outputs: ['y'] }], inits, opset });
}

describe('activations and element-wise ops against onnxruntime-node', () => {
  const cases: Array<[string, () => Uint8Array]> = [
    ['Relu', () => oneNode({ op: 'Relu', inputs: ['x'] })],
    ['LeakyRelu alpha 0.1', () => oneNode({ op: 'LeakyRelu', inputs: ['x'], attrs: { alpha: { f: 0.1 } } })],
    ['LeakyRelu default alpha', () => oneNode({ op: 'LeakyRelu', inputs: ['x'] })],
    ['Sigmoid', () => oneNode({ op: 'Sigmoid', inputs: ['x'] })],
    ['Tanh', () => oneNode({ op: 'Tanh', inputs: ['x'] })],
    ['Clip(0, 6) as inputs (opset 13) → relu6', () => oneNode({ op: 'Clip', inputs: ['x', 'lo', 'hi'] }, [
      { name: 'lo', dims: [], data: Float32Array.of(0) }, { name: 'hi', dims: [], data: Float32Array.of(6) }], [1, 5, 7, 9], 13)],
    ['Clip(0, 6) as attributes (opset 9) → relu6', () => oneNode({ op: 'Clip', inputs: ['x'], attrs: { min: { f: 0 }, max: { f: 6 } } }, [], [1, 5, 7, 9], 9)],
    ['Clip(0) → relu', () => oneNode({ op: 'Clip', inputs: ['x', 'lo'] }, [{ name: 'lo', dims: [], data: Float32Array.of(0) }])],
    ['Add per-channel constant [C,1,1]', () => oneNode({ op: 'Add', inputs: ['x', 'b'] }, [{ name: 'b', dims: [5, 1, 1], data: floats([5], 1) }])],
    ['Add scalar constant first', () => oneNode({ op: 'Add', inputs: ['b', 'x'] }, [{ name: 'b', dims: [], data: Float32Array.of(0.375) }])],
    ['Sub per-channel constant [1,C,1,1]', () => oneNode({ op: 'Sub', inputs: ['x', 'b'] }, [{ name: 'b', dims: [1, 5, 1, 1], data: floats([5], 2) }])],
    ['Mul per-channel constant', () => oneNode({ op: 'Mul', inputs: ['x', 'b'] }, [{ name: 'b', dims: [5, 1, 1], data: floats([5], 3), encoding: 'typed' }])],
    ['Div by a per-channel constant', () => oneNode({ op: 'Div', inputs: ['x', 'b'] }, [{ name: 'b', dims: [5, 1, 1], data: floats([5], 9, 0.5, 3) }])],
    ['Mul by a Constant node (value_float)', () => onnxBytes({
      input: { name: 'x', dims: [1, 5, 7, 9] }, output: 'y',
      nodes: [{ op: 'Constant', inputs: [], outputs: ['k'], attrs: { value_float: { f: -1.25 } } }, { op: 'Mul', inputs: ['x', 'k'], outputs: ['y'] }],
    })],
    ['Add of a Constant node (value tensor, per channel)', () => onnxBytes({
      input: { name: 'x', dims: [1, 5, 7, 9] }, output: 'y',
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value: { t: { name: 'k', dims: [5, 1, 1], data: floats([5], 10) } } } },
        { op: 'Add', inputs: ['x', 'k'], outputs: ['y'] },
      ],
    })],
    ['BatchNormalization alone → scaleShift', () => oneNode({ op: 'BatchNormalization', inputs: ['x', 'g', 'b', 'm', 'v'] }, [
      { name: 'g', dims: [5], data: floats([5], 4, 0.5, 1.5) }, { name: 'b', dims: [5], data: floats([5], 5) },
      { name: 'm', dims: [5], data: floats([5], 6) }, { name: 'v', dims: [5], data: floats([5], 7, 0.1, 2) }])],
    ['Pad constant (opset 13): rows, columns and channels, value 0.5', () => oneNode({ op: 'Pad', inputs: ['x', 'pads', 'v'] }, [
      { name: 'pads', dims: [8], data: [0, 1, 2, 0, 0, 2, 1, 3] }, { name: 'v', dims: [], data: Float32Array.of(0.5) }])],
    ['Pad constant (opset 9 attributes)', () => oneNode({ op: 'Pad', inputs: ['x'], attrs: { pads: [0, 0, 1, 1, 0, 0, 2, 0] } }, [], [1, 5, 7, 9], 9)],
    ...(['half_pixel', 'pytorch_half_pixel', 'asymmetric', 'align_corners'] as const).map((mode, i): [string, () => Uint8Array] => [
      `Resize linear ${mode} by ${i % 2 ? 'sizes' : 'scales'}`, () => oneNode(
        { op: 'Resize', inputs: i % 2 ? ['x', '', '', 'sizes'] : ['x', '', 'scales'], attrs: { mode: 'linear', coordinate_transformation_mode: mode } },
        i % 2 ? [{ name: 'sizes', dims: [4], data: [1, 5, 17, 13] }] : [{ name: 'scales', dims: [4], data: Float32Array.of(1, 1, 2, 3) }])]),
    ['Resize linear half_pixel down to 4×5 by sizes', () => oneNode({ op: 'Resize', inputs: ['x', '', '', 'sizes'], attrs: { mode: 'linear' } },
      [{ name: 'sizes', dims: [4], data: [1, 5, 4, 5] }])],
    ['Upsample linear (opset 9)', () => oneNode({ op: 'Upsample', inputs: ['x', 'scales'], attrs: { mode: 'linear' } },
      [{ name: 'scales', dims: [4], data: Float32Array.of(1, 1, 2, 2) }], [1, 5, 7, 9], 9)],
    ['Add of two computed tensors (residual)', () => onnxBytes({
      input: { name: 'x', dims: [1, 5, 7, 9] }, output: 'y',
      nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['r'] }, { op: 'Sigmoid', inputs: ['x'], outputs: ['s'] }, { op: 'Add', inputs: ['r', 's'], outputs: ['y'] }],
    })],
    ['Concat of three along channels', () => onnxBytes({
      input: { name: 'x', dims: [2, 5, 7, 9] }, output: 'y',
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['r'] },
        { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Concat', inputs: ['r', 'c', 'x'], outputs: ['y'], attrs: { axis: 1 } },
      ],
      inits: [{ name: 'W', dims: [3, 5, 3, 3], data: floats([3, 5, 3, 3], 8) }],
    })],
    ['Dropout and Identity are removed', () => onnxBytes({
      input: { name: 'x', dims: [1, 5, 7, 9] }, output: 'y',
      nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['i'] }, { op: 'Dropout', inputs: ['i'], outputs: ['d'] }, { op: 'Relu', inputs: ['d'], outputs: ['y'] }],
    })],
  ];
  cases.forEach(([name, make], i) => it(name, async () => {
    const bytes = make();
    const dims = name.startsWith('Concat') ? [2, 5, 7, 9] : [1, 5, 7, 9];
    await expectMatchesOrt(bytes, dims, 50 + i, name);
  }));
});
