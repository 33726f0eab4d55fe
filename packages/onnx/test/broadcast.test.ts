import { expect } from 'chai';
import { importOnnx } from '../src/index.js';
import { onnxBytes, type TNode } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

/*
 * Add/Sub/Mul/Div between two computed tensors: the per-channel operand is a
 * GlobalAveragePool [N, C, 1, 1] (squeeze-and-excitation style), the scalar
 * one a ReduceMean-free GlobalMaxPool of a 1-channel conv [N, 1, 1, 1].
 */
function graph(op: string, kind: 'same' | 'channel' | 'scalar', swap: boolean): Uint8Array {
  const nodes: TNode[] = [
    { op: 'Relu', inputs: ['x'], outputs: ['a'] },
    kind === 'same' ? { op: 'Sigmoid', inputs: ['x'], outputs: ['b'] }
      : kind === 'channel' ? { op: 'GlobalAveragePool', inputs: ['x'], outputs: ['b'] }
        : { op: 'Conv', inputs: ['x', 'W'], outputs: ['c1'] },
  ];
  if (kind === 'scalar') nodes.push({ op: 'GlobalMaxPool', inputs: ['c1'], outputs: ['b'] });
  // Divisors kept away from 0: 2 + sigmoid of the divisor.
  let rhs = 'b';
  if (op === 'Div') {
    nodes.push({ op: 'Sigmoid', inputs: ['b'], outputs: ['bs'] }, { op: 'Add', inputs: ['bs', 'two'], outputs: ['bd'] });
    rhs = 'bd';
  }
  nodes.push({ op, inputs: swap ? [rhs, 'a'] : ['a', rhs], outputs: ['y'] });
  if (op === 'Div' && swap) nodes.splice(0, 1, { op: 'Sigmoid', inputs: ['x'], outputs: ['a0'] }, { op: 'Add', inputs: ['a0', 'two'], outputs: ['a'] });
  return onnxBytes({
    input: { name: 'x', dims: [2, 4, 5, 7] }, output: 'y', nodes,
    inits: [{ name: 'W', dims: [1, 4, 3, 3], data: Float32Array.from({ length: 36 }, (_, i) => Math.cos(i)) }, { name: 'two', dims: [], data: Float32Array.of(2) }],
  });
}

describe('Add/Sub/Mul/Div between two computed tensors against onnxruntime-node', () => {
  for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
    for (const kind of ['same', 'channel', 'scalar'] as const) {
      for (const swap of [false, true]) {
        if (kind === 'same' && swap) continue;
        const name = `${op} ${kind}${swap ? ' (broadcast operand first)' : ''}`;
        it(name, async () => {
          const { imp } = await expectMatchesOrt(graph(op, kind, swap), [2, 4, 5, 7], 120, name);
          const last = imp.model.layers[imp.model.layers.length - 1]!.spec;
          expect(last.op).to.equal(op === 'Add' && kind === 'same' ? 'add' : 'binary');
        });
      }
    }
  }

  it('refuses operands that do not broadcast, naming the node', () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 4, 5, 6] }, output: 'y',
      nodes: [
        { op: 'MaxPool', inputs: ['x'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        { op: 'Mul', name: 'm', inputs: ['x', 'p'], outputs: ['y'] },
      ],
    });
    expect(() => importOnnx(bytes)).to.throw(/node 'm' \(Mul\): Mul of \[1, 4, 5, 6\] and \[1, 4, 2, 3\]: two computed tensors must be/);
  });
});
