import { randInt, randomTensor, rng } from '@tessera/tensor';
import { onnxBytes, type Attr } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

const floats = (shape: number[], seed: number): Float32Array => randomTensor(shape, seed).toFloat32Array();

describe('ConvTranspose against onnxruntime-node', () => {
  const rand = rng(16);
  const AUTO = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID', 'output_shape'] as const;
  for (let t = 0; t < 20; t++) {
    const auto = AUTO[t % AUTO.length]!;
    const groups = [1, 2, 3][randInt(rand, 0, 2)]!;
    const cin = groups * randInt(rand, 1, 3), copg = randInt(rand, 1, 3);
    const kh = randInt(rand, 1, 4), kw = randInt(rand, 1, 4);
    const s = [randInt(rand, 1, 3), randInt(rand, 1, 3)];
    const d = [randInt(rand, 1, 2), randInt(rand, 1, 2)];
    // onnxruntime requires output_padding < stride (the spec allows < max(stride, dilation)).
    const op = [randInt(rand, 0, s[0]! - 1), randInt(rand, 0, s[1]! - 1)];
    const h = randInt(rand, 2, 9), w = randInt(rand, 2, 9);
    const pads = [randInt(rand, 0, 1), randInt(rand, 0, 1), randInt(rand, 0, 1), randInt(rand, 0, 1)];
    const full = [(h - 1) * s[0]! + (kh - 1) * d[0]! + 1 + op[0]!, (w - 1) * s[1]! + (kw - 1) * d[1]! + 1 + op[1]!];
    const outShape = [full[0]! - randInt(rand, 0, 3), full[1]! - randInt(rand, 0, 3)];
    const bias = t % 3 !== 0;
    const name = `${auto} ${cin}→${copg * groups} g${groups} k${kh}×${kw} s${s} d${d} op${op} ${auto === 'NOTSET' ? `pads ${pads}` : auto === 'output_shape' ? `out ${outShape}` : ''} ${h}×${w}${bias ? ' +bias' : ''}`;
    it(name, async () => {
      // SAME_* need the full output to reach in·stride (else the crop is negative): checked below, such draws become NOTSET.
      const sameFits = full[0]! >= h * s[0]! && full[1]! >= w * s[1]!;
      const attrs: Record<string, Attr> = { group: groups, strides: s, dilations: d, kernel_shape: [kh, kw], output_padding: op };
      if (auto === 'NOTSET' || ((auto === 'SAME_UPPER' || auto === 'SAME_LOWER') && !sameFits)) attrs.pads = pads;
      else if (auto === 'output_shape') attrs.output_shape = outShape;
      else attrs.auto_pad = auto;
      const bytes = onnxBytes({
        input: { name: 'x', dims: ['N', cin, h, w] }, output: 'y',
        nodes: [{ op: 'ConvTranspose', inputs: bias ? ['x', 'W', 'B'] : ['x', 'W'], outputs: ['y'], attrs }],
        inits: [
          { name: 'W', dims: [cin, copg, kh, kw], data: floats([cin, copg, kh, kw], t + 1), encoding: t % 2 ? 'raw' : 'typed' },
          ...(bias ? [{ name: 'B', dims: [copg * groups], data: floats([copg * groups], t + 100) }] : []),
        ],
      });
      await expectMatchesOrt(bytes, [t % 4 === 1 ? 2 : 1, cin, h, w], t + 200, name);
    });
  }

  for (const auto of ['SAME_UPPER', 'SAME_LOWER'] as const) {
    it(`${auto} with an odd total crop (3×3 stride 2 on 5×4: the odd cell's side)`, async () => {
      const bytes = onnxBytes({
        input: { name: 'x', dims: [1, 2, 5, 4] }, output: 'y',
        nodes: [{ op: 'ConvTranspose', inputs: ['x', 'W'], outputs: ['y'], attrs: { strides: [2, 2], auto_pad: auto } }],
        inits: [{ name: 'W', dims: [2, 3, 3, 3], data: floats([2, 3, 3, 3], 9) }],
      });
      await expectMatchesOrt(bytes, [1, 2, 5, 4], 10, auto);
    });
  }
});
