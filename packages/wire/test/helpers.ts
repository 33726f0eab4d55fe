import { LocalExecutor, ModelBuilder, type Model } from '@tessera/nn';
import { Tensor, rng } from '@tessera/tensor';

/** A DAG exercising every op family and spec shape: add, concat, pad, dense, softmax, resize, scaleShift, groups, flip, dilation. */
export function dagModel(): Model {
  const b = new ModelBuilder('dag', [1, 4, 16, 16], { seed: 5 });
  const a = b.conv2d(b.input, { outChannels: 8, kernel: 3, dilation: 2, padding: 'same', name: 'dilated' });
  const c = b.conv2d(b.input, { outChannels: 8, kernel: [3, 1], padding: { top: 1, bottom: 1, left: 0, right: 0 }, groups: 2, flip: true, name: 'grouped_flip' });
  const s = b.scaleShift(b.leakyRelu(b.add(a, c, 'sum'), 0.1), undefined, 'bn');
  const p = b.pad(s, { top: 1, bottom: 0, left: 1, right: 2, channelsAfter: 1, value: -Infinity }, 'pad_inf');
  const m = b.maxPool(p, { kernel: 2, stride: 2 }, 'pool');
  const z = b.pad(b.relu6(m), { top: 0, bottom: 1, left: 0, right: 0, value: -0 }, 'pad_neg_zero');
  const dw = b.depthwiseConv2d(z, { kernel: 3, stride: [2, 1], padding: 'valid', name: 'depthwise' });
  const r = b.resize(dw, { height: 9, width: 8, halfPixelCenters: true }, 'resize');
  const r2 = b.resize(b.avgPool(z, { kernel: 2, padding: 'same' }), { height: 9, width: 8, alignCorners: true }, 'resize_ac');
  const cat = b.concat([r, b.sigmoid(r2), b.tanh(b.l2Pool(b.resize(z, { height: 10, width: 9 }), { kernel: 2, stride: 1 }))], 'cat');
  const g = b.globalAvgPool(cat, 'gap');
  const gm = b.globalMaxPool(cat, 'gmp');
  const d = b.dense(b.concat([g, gm]), 10, undefined, 'fc');
  const out = b.softmax(d, 'prob');
  b.relu(cat, 'dangling'); // a layer after the output: the output index must survive
  return b.build(out);
}

export function randomInput(shape: readonly number[], seed = 3): Tensor {
  const r = rng(seed);
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = r() * 2 - 1;
  return t;
}

/** Byte-level equality of two tensors' elements (bit-identical, -0 and NaN payloads included). */
export function sameBits(a: Tensor, b: Tensor): boolean {
  const x = a.toFloat32Array(), y = b.toFloat32Array();
  if (x.length !== y.length || a.shape.join() !== b.shape.join()) return false;
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

export function run(model: Model, input: Tensor): Tensor {
  return new LocalExecutor().runSync(model, input);
}
