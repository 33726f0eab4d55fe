import { expect } from 'chai';
import { randInt, rng } from '@tessera/tensor';
import { importOnnx } from '../src/index.js';
import { onnxBytes, type Attr } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

describe('LpPool (p = 2) against onnxruntime-node', () => {
  const rand = rng(20);
  for (let t = 0; t < 12; t++) {
    const opset = t % 3 === 0 ? 11 : 18;
    const kh = randInt(rand, 1, 4), kw = randInt(rand, 2, 4);
    const s = [randInt(rand, 1, 3), randInt(rand, 1, 2)];
    const pads = [randInt(rand, 0, kh - 1), randInt(rand, 0, kw - 1), randInt(rand, 0, kh - 1), randInt(rand, 0, kw - 1)];
    const d = opset >= 18 && t % 2 ? [randInt(rand, 1, 2), 2] : [1, 1];
    const ceil = opset >= 18 && t % 4 === 2 ? 1 : 0;
    const c = randInt(rand, 1, 4), h = randInt(rand, 7, 13), w = randInt(rand, 7, 12);
    const name = `opset ${opset} k${kh}×${kw} s${s} d${d} pads ${pads} ceil ${ceil} ${c}×${h}×${w}`;
    it(name, async () => {
      const attrs: Record<string, Attr> = { kernel_shape: [kh, kw], strides: s, pads, p: 2 };
      if (opset >= 18) {
        attrs.ceil_mode = ceil;
        if (d[0] !== 1 || d[1] !== 1) attrs.dilations = d;
      }
      const bytes = onnxBytes({ input: { name: 'x', dims: [2, c, h, w] }, output: 'y', opset, nodes: [{ op: 'LpPool', inputs: ['x'], outputs: ['y'], attrs }] });
      const { imp } = await expectMatchesOrt(bytes, [2, c, h, w], 130 + t, name);
      expect(imp.model.layers[0]!.spec.op).to.equal('l2Pool');
    });
  }

  it('refuses p = 1 at load with the node named', () => {
    const bytes = onnxBytes({ input: { name: 'x', dims: [1, 2, 6, 6] }, output: 'y', nodes: [{ op: 'LpPool', name: 'lp', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], p: 1 } }] });
    expect(() => importOnnx(bytes)).to.throw(/LpPool ×1 \('lp': p 1 \(only p = 2\)\)/);
  });
});
