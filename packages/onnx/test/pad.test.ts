import { expect } from 'chai';
import { randInt, rng } from '@tessera/tensor';
import { importOnnx } from '../src/index.js';
import { onnxBytes } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

describe('Pad reflect and edge against onnxruntime-node', () => {
  const rand = rng(19);
  for (let t = 0; t < 12; t++) {
    const mode = t % 2 ? 'edge' : 'reflect';
    const h = randInt(rand, 2, 8), w = randInt(rand, 2, 8);
    const lim = (s: number): number => (mode === 'reflect' ? s - 1 : 4);
    const p = [randInt(rand, 0, lim(h)), randInt(rand, 0, lim(w)), randInt(rand, 0, lim(h)), randInt(rand, 0, lim(w))];
    const opset = t % 3 === 2 ? 9 : 13;
    const name = `${mode} top ${p[0]} left ${p[1]} bottom ${p[2]} right ${p[3]} on ${h}×${w} (opset ${opset})`;
    it(name, async () => {
      const pads = [0, 0, p[0]!, p[1]!, 0, 0, p[2]!, p[3]!];
      const bytes = opset < 11
        ? onnxBytes({ input: { name: 'x', dims: [2, 3, h, w] }, output: 'y', opset, nodes: [{ op: 'Pad', inputs: ['x'], outputs: ['y'], attrs: { mode, pads } }] })
        : onnxBytes({
          input: { name: 'x', dims: [2, 3, h, w] }, output: 'y', opset,
          nodes: [{ op: 'Pad', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode } }], inits: [{ name: 'pads', dims: [8], data: pads }],
        });
      await expectMatchesOrt(bytes, [2, 3, h, w], 90 + t, name);
    });
  }

  it('a reflect Pad before a Conv stays a layer (it is not the conv zero padding)', async () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 2, 6, 7] }, output: 'y', opset: 13,
      nodes: [{ op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'], attrs: { mode: 'reflect' } }, { op: 'Conv', inputs: ['p', 'W'], outputs: ['y'] }],
      inits: [{ name: 'pads', dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1] }, { name: 'W', dims: [3, 2, 3, 3], data: Float32Array.from({ length: 54 }, (_, i) => Math.sin(i)) }],
    });
    const { imp } = await expectMatchesOrt(bytes, [1, 2, 6, 7], 99, 'reflect pad + conv');
    expect(imp.model.layers.map((l) => l.spec.op)).to.deep.equal(['pad', 'conv2d']);
  });

  it('refuses reflect padding of channels with the node named', () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 3, 4, 4] }, output: 'y', opset: 13,
      nodes: [{ op: 'Pad', name: 'pc', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode: 'reflect' } }], inits: [{ name: 'pads', dims: [8], data: [0, 1, 0, 0, 0, 0, 0, 0] }],
    });
    expect(() => importOnnx(bytes)).to.throw(/node 'pc' \(Pad\): reflect padding of the channel axis is not supported/);
  });
});
