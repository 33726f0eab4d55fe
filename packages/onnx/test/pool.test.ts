import { randInt, rng } from '@tessera/tensor';
import { onnxBytes, type Attr } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

describe('MaxPool / AveragePool / global pools against onnxruntime-node', () => {
  const rand = rng(7);
  for (let t = 0; t < 32; t++) {
    const op = t % 2 ? 'AveragePool' : 'MaxPool';
    const auto = t % 5 === 3 ? (t % 2 ? 'SAME_UPPER' : 'SAME_LOWER') : 'NOTSET';
    const kh = randInt(rand, 1, 4), kw = randInt(rand, 2, 4);
    // For SAME, ORT computes negative pads when the stride exceeds the kernel (and fails): keep s ≤ k there.
    const s = [randInt(rand, 1, auto === 'NOTSET' ? 3 : Math.min(3, kh)), randInt(rand, 1, 2)];
    // AveragePool takes dilations from opset 19; MaxPool from 10.
    const d = auto === 'NOTSET' && t % 3 === 0 ? [randInt(rand, 1, 2), 2] : [1, 1];
    const pads = [randInt(rand, 0, kh - 1), randInt(rand, 0, kw - 1), randInt(rand, 0, kh - 1), randInt(rand, 0, kw - 1)];
    const ceil = auto === 'NOTSET' && t % 4 >= 2 ? 1 : 0;
    const include = op === 'AveragePool' && t % 4 === 1 ? 1 : 0;
    const c = randInt(rand, 1, 5), h = randInt(rand, 9, 16), w = randInt(rand, 8, 15);
    const name = `${op} ${auto} k${kh}×${kw} s${s} d${d} pads ${auto === 'NOTSET' ? pads : '-'} ceil ${ceil} include_pad ${include} ${c}×${h}×${w}`;
    it(name, async () => {
      const attrs: Record<string, Attr> = { kernel_shape: [kh, kw], strides: s, ceil_mode: ceil };
      if (d[0] !== 1 || d[1] !== 1) attrs.dilations = d;
      if (auto === 'NOTSET') attrs.pads = pads; else attrs.auto_pad = auto;
      if (op === 'AveragePool') attrs.count_include_pad = include;
      const bytes = onnxBytes({
        input: { name: 'x', dims: [1, c, h, w] }, output: 'y', opset: 19,
        nodes: [{ op, inputs: ['x'], outputs: ['y'], attrs }],
      });
      await expectMatchesOrt(bytes, [1, c, h, w], t, name);
    });
  }

  for (const op of ['GlobalAveragePool', 'GlobalMaxPool']) {
    it(op, async () => {
      const bytes = onnxBytes({ input: { name: 'x', dims: [2, 5, 7, 9] }, output: 'y', nodes: [{ op, inputs: ['x'], outputs: ['y'] }] });
      await expectMatchesOrt(bytes, [2, 5, 7, 9], 3, op);
    });
  }
});
