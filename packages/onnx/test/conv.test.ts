import { expect } from 'chai';
import { randInt, randomTensor, rng } from '@tessera/tensor';
import { importOnnx } from '../src/index.js';
import { onnxBytes, type Attr, type TNode } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

const floats = (shape: number[], seed: number): Float32Array => randomTensor(shape, seed).toFloat32Array();

describe('Conv against onnxruntime-node', () => {
  const rand = rng(15);
  const AUTO = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;
  for (let t = 0; t < 16; t++) {
    const auto = AUTO[t % 4]!;
    const groups = [1, 2, 3][randInt(rand, 0, 2)]!;
    const depthwise = t % 5 === 4;
    const cin = depthwise ? 6 : groups * randInt(rand, 1, 3);
    const g = depthwise ? cin : groups;
    const cout = depthwise ? cin : g * randInt(rand, 1, 3);
    const kh = randInt(rand, 1, 4), kw = randInt(rand, 1, 4);
    const s = [randInt(rand, 1, 2), randInt(rand, 1, 3)];
    // ONNX forbids auto_pad SAME with dilation > 1 in some runtimes' checks; keep dilation for NOTSET/VALID.
    const d = auto === 'NOTSET' || auto === 'VALID' ? [randInt(rand, 1, 3), randInt(rand, 1, 2)] : [1, 1];
    const h = randInt(rand, 9, 17), w = randInt(rand, 8, 15);
    const pads = [randInt(rand, 0, 2), randInt(rand, 0, 2), randInt(rand, 0, 2), randInt(rand, 0, 2)];
    const bias = t % 3 !== 0;
    const name = `${auto} ${cin}→${cout} g${g} k${kh}×${kw} s${s} d${d} pads ${auto === 'NOTSET' ? pads : '-'} ${h}×${w}${bias ? ' +bias' : ''}`;
    it(name, async () => {
      const attrs: Record<string, Attr> = { group: g, strides: s, dilations: d, kernel_shape: [kh, kw] };
      if (auto === 'NOTSET') attrs.pads = pads; else attrs.auto_pad = auto;
      const bytes = onnxBytes({
        input: { name: 'x', dims: ['N', cin, h, w] }, output: 'y',
        nodes: [{ op: 'Conv', inputs: bias ? ['x', 'W', 'B'] : ['x', 'W'], outputs: ['y'], attrs }],
        inits: [
          { name: 'W', dims: [cout, cin / g, kh, kw], data: floats([cout, cin / g, kh, kw], t + 1), encoding: t % 2 ? 'raw' : 'typed' },
          ...(bias ? [{ name: 'B', dims: [cout], data: floats([cout], t + 100) }] : []),
        ],
      });
      await expectMatchesOrt(bytes, [t % 4 === 1 ? 2 : 1, cin, h, w], t + 200, name);
    });
  }

  const bn = (c: number, seed: number): Array<{ name: string; dims: number[]; data: Float32Array }> => {
    const r = rng(seed);
    const vec = (f: () => number): Float32Array => Float32Array.from({ length: c }, f);
    return [
      { name: 'gamma', dims: [c], data: vec(() => 0.5 + r()) },
      { name: 'beta', dims: [c], data: vec(() => r() - 0.5) },
      { name: 'mean', dims: [c], data: vec(() => r() - 0.5) },
      { name: 'var', dims: [c], data: vec(() => 0.2 + r()) },
    ];
  };

  it('folds a BatchNormalization that alone reads the conv into its weights', async () => {
    const nodes: TNode[] = [
      { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['c', 'gamma', 'beta', 'mean', 'var'], outputs: ['y'], attrs: { epsilon: { f: 1e-3 } } },
    ];
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 3, 11, 13] }, output: 'y', nodes,
      inits: [{ name: 'W', dims: [5, 3, 3, 3], data: floats([5, 3, 3, 3], 1) }, { name: 'B', dims: [5], data: floats([5], 2) }, ...bn(5, 3)],
    });
    const { imp } = await expectMatchesOrt(bytes, [1, 3, 11, 13], 4, 'conv+bn');
    expect(imp.model.layers.map((l) => l.spec.op)).to.deep.equal(['conv2d']);
  });

  it('keeps a BatchNormalization as scaleShift when the conv output has another reader', async () => {
    const nodes: TNode[] = [
      { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { pads: [0, 1, 2, 1] } },
      { op: 'BatchNormalization', inputs: ['c', 'gamma', 'beta', 'mean', 'var'], outputs: ['b'] },
      { op: 'Add', inputs: ['b', 'c'], outputs: ['y'] },
    ];
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 4, 9, 9] }, output: 'y', nodes,
      inits: [{ name: 'W', dims: [6, 4, 3, 3], data: floats([6, 4, 3, 3], 5) }, ...bn(6, 6)],
    });
    const { imp } = await expectMatchesOrt(bytes, [1, 4, 9, 9], 7, 'conv, bn, add');
    expect(imp.model.layers.map((l) => l.spec.op)).to.deep.equal(['conv2d', 'scaleShift', 'add']);
  });

  it('refuses a 1-D conv and negative pads, naming the node and attribute', () => {
    const conv1d = onnxBytes({
      input: { name: 'x', dims: [1, 2, 9] }, output: 'y',
      nodes: [{ op: 'Conv', name: 'c1', inputs: ['x', 'W'], outputs: ['y'] }],
      inits: [{ name: 'W', dims: [2, 2, 3], data: floats([2, 2, 3], 1) }],
    });
    expect(() => importOnnx(conv1d)).to.throw(/node 'c1' \(Conv\).*4-D/);
    const neg = onnxBytes({
      input: { name: 'x', dims: [1, 2, 9, 9] }, output: 'y',
      nodes: [{ op: 'Conv', name: 'c2', inputs: ['x', 'W'], outputs: ['y'], attrs: { pads: [-1, 0, 0, 0] } }],
      inits: [{ name: 'W', dims: [2, 2, 3, 3], data: floats([2, 2, 3, 3], 1) }],
    });
    expect(() => importOnnx(neg)).to.throw(/node 'c2' \(Conv\): attribute pads negative/);
  });
});
