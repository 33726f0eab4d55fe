import { expect } from 'chai';
import { ModelBuilder, type Model, type Node } from '@tessera/nn';
import { randomTensor, type OpSpec, type Weights } from '@tessera/tensor';
import { decodeModelFile, encodeModelFile } from '../src/index.js';
import { randomInput, run, sameBits } from './helpers.js';

/** One layer of every op and mode added for ONNX import. */
function onnxOpsModel(): Model {
  const b = new ModelBuilder('onnx-ops', [1, 3, 9, 10], { seed: 7 });
  const layer = (spec: OpSpec, xs: Node[], ws: Weights = {}): Node => b.layer(spec, xs, ws);
  const w = (shape: number[], seed: number) => randomTensor(shape, seed, -0.5, 0.5);
  const p = layer({ op: 'pad', mode: 'reflect', top: 1, bottom: 2, left: 0, right: 1 }, [b.input]);
  const e = layer({ op: 'pad', mode: 'edge', top: 0, bottom: 1, left: 2, right: 0 }, [p]);
  const c = b.conv2d(e, { outChannels: 4, kernel: 3, stride: 2 });
  const t = layer({ op: 'conv2dTranspose', kernel: [3, 2], stride: 2, dilation: [1, 2], groups: 2, padding: { top: 1, bottom: 0, left: 0, right: 1 }, outputPadding: [1, 0] },
    [c], { weight: w([4, 3, 3, 2], 1), bias: w([6], 2) });
  const a = layer({ op: 'prelu' }, [t], { slope: w([6], 3) });
  const hs = layer({ op: 'hardSwish' }, [a]);
  const hg = layer({ op: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, [b.globalAvgPool(hs)]);
  const m = layer({ op: 'binary', fn: 'div' }, [hs, layer({ op: 'binary', fn: 'add' }, [hg, hg])]);
  return b.build(layer({ op: 'resize', mode: 'nearest', height: 17, width: 5, coordinates: 'tf_half_pixel_for_nn', nearestMode: 'ceil' }, [m]));
}

describe('.tsm and the wire carry the ONNX-import ops', () => {
  it('a model with conv2dTranspose, nearest resize, reflect/edge pads, prelu, hardSigmoid/hardSwish and binary round-trips: same specs, weights, bits', () => {
    const m = onnxOpsModel();
    const back = decodeModelFile(encodeModelFile(m));
    expect(back.layers.map((l) => l.spec)).to.deep.equal(m.layers.map((l) => l.spec));
    expect(back.shapes()).to.deep.equal(m.shapes());
    m.layers.forEach((l, i) => {
      for (const [k, t] of Object.entries(l.weights)) expect(sameBits(back.layers[i]!.weights[k]!, t!), `${l.name}.${k}`).to.equal(true);
    });
    const x = randomInput(m.inputShape, 9);
    expect(sameBits(run(back, x), run(m, x))).to.equal(true);
  });
});
