import { expect } from 'chai';
import { LocalExecutor } from '@tessera/nn';
import { PoolExecutor, type Strategy } from '@tessera/scheduler';
import { FAST_TOLERANCE, TesseraError, randomTensor, rng, type Tensor } from '@tessera/tensor';
import { decodeModelFile, encodeModelFile } from '@tessera/wire';
import { importOnnx, type OnnxImport } from '../src/index.js';
import { onnxBytes, type Init, type TNode } from './onnx-writer.js';

/** Every graph output of `bytes` from onnxruntime-node on one thread, by name, for a tensor per graph input. */
async function runOrtAll(bytes: Uint8Array, feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 3 });
  try {
    const res = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, x]) => [k, new ort.Tensor('float32', Float32Array.from(x.toFloat32Array()), [...x.shape])])));
    return Object.fromEntries(session.outputNames.map((n) => [n, { data: Float32Array.from(res[n]!.data as Float32Array), dims: res[n]!.dims.map(Number) }]));
  } finally {
    await session.release();
  }
}

/** Each output within FAST_TOLERANCE · max|ref| of ORT's, with ORT's shape. */
function expectCloseToOrt(outputs: OnnxImport['outputs'], ours: Record<string, Tensor>, ref: Record<string, { data: Float32Array; dims: number[] }>): void {
  for (const o of outputs) {
    expect([...o.shape], `${o.name} ONNX shape`).to.deep.equal(ref[o.name]!.dims);
    const got = ours[o.name]!.toFloat32Array(), want = ref[o.name]!.data;
    expect(got.length, o.name).to.equal(want.length);
    let maxRef = 0, maxErr = 0;
    for (let i = 0; i < got.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(want[i]!));
      maxErr = Math.max(maxErr, Math.abs(got[i]! - want[i]!));
    }
    expect(maxErr, `${o.name}: max error vs ORT, max|ref| ${maxRef}`).to.be.at.most(FAST_TOLERANCE * Math.max(maxRef, 1e-30));
  }
}

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(t.toFloat32Array().slice().buffer));

/**
 * A detector head in ONNX: a stem, a stride-2 trunk whose feature map is
 * itself a graph output ('features', also read by both heads), a box head
 * (1×1 conv + sigmoid, spatial) and a score head (conv, global pool,
 * flatten, Gemm, softmax) — three outputs of three shapes.
 */
function detectorHead(seed: number): Uint8Array {
  const r = rng(seed);
  const init = (name: string, dims: number[], scale = 0.3): Init => ({
    name, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale),
  });
  const conv = (name: string, input: string, w: string, b: string, output: string, attrs: TNode['attrs']): TNode => ({ op: 'Conv', name, inputs: [input, w, b], outputs: [output], attrs });
  const nodes: TNode[] = [
    conv('stem', 'x', 'w_stem', 'b_stem', 'stem_out', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    { op: 'Relu', name: 'stem_relu', inputs: ['stem_out'], outputs: ['stem_act'] },
    conv('down', 'stem_act', 'w_down', 'b_down', 'down_out', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }),
    { op: 'Relu', name: 'down_relu', inputs: ['down_out'], outputs: ['features'] },
    conv('box_conv', 'features', 'w_box', 'b_box', 'box_logits', { kernel_shape: [1, 1] }),
    { op: 'Sigmoid', name: 'box_sigmoid', inputs: ['box_logits'], outputs: ['boxes'] },
    conv('cls_conv', 'features', 'w_cls', 'b_cls', 'cls_out', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    { op: 'Relu', name: 'cls_relu', inputs: ['cls_out'], outputs: ['cls_act'] },
    { op: 'GlobalAveragePool', name: 'gap', inputs: ['cls_act'], outputs: ['pooled'] },
    { op: 'Flatten', name: 'flat', inputs: ['pooled'], outputs: ['flat_out'], attrs: { axis: 1 } },
    { op: 'Gemm', name: 'fc', inputs: ['flat_out', 'w_fc', 'b_fc'], outputs: ['logits'], attrs: { transB: 1 } },
    { op: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: ['scores'], attrs: { axis: 1 } },
  ];
  return onnxBytes({
    name: 'detector-head',
    input: { name: 'x', dims: ['N', 3, 'H', 'W'] },
    output: ['boxes', 'scores', 'features'],
    nodes,
    inits: [
      init('w_stem', [8, 3, 3, 3]), init('b_stem', [8], 0.1), init('w_down', [8, 8, 3, 3]), init('b_down', [8], 0.1),
      init('w_box', [4, 8, 1, 1]), init('b_box', [4], 0.1), init('w_cls', [6, 8, 3, 3]), init('b_cls', [6], 0.1),
      init('w_fc', [5, 6]), init('b_fc', [5], 0.1),
    ],
  });
}

describe('ONNX graphs with several outputs', function () {
  this.timeout(120_000);
  const bytes = detectorHead(3);
  const local = new LocalExecutor();

  for (const inputShape of [[1, 3, 21, 19], [2, 3, 16, 16]]) {
    it(`maps boxes, scores and features to named outputs that match onnxruntime-node (${inputShape.join('×')})`, async () => {
      const imp = importOnnx(bytes, { inputShape });
      expect(imp.model.outputs.map((o) => o.name)).to.deep.equal(['boxes', 'scores', 'features']);
      expect(imp.outputs.map((o) => o.name)).to.deep.equal(['boxes', 'scores', 'features']);
      expect(imp.outputName).to.equal('boxes');
      const x = randomTensor(inputShape, 9);
      const ref = await runOrtAll(bytes, { [imp.inputName]: x });
      expectCloseToOrt(imp.outputs, await local.runAll(imp.model, x), ref);
    });
  }

  it('PoolExecutor at 1, 2 and 3 threads, every strategy, gives LocalExecutor\'s bits; the .tsm round trip keeps the outputs bit for bit', async () => {
    const imp = importOnnx(bytes, { inputShape: [1, 3, 24, 22] });
    const x = randomTensor([1, 3, 24, 22], 4);
    const want = await local.runAll(imp.model, x);
    const tsm = encodeModelFile(imp.model);
    const back = decodeModelFile(tsm);
    expect(back.outputs).to.deep.equal(imp.model.outputs);
    expect(encodeModelFile(back)).to.deep.equal(tsm);
    const again = await local.runAll(back, x);
    for (const o of imp.model.outputs) expect(bits(again[o.name]!), `.tsm ${o.name}`).to.deep.equal(bits(want[o.name]!));
    for (const threads of [1, 2, 3]) {
      const pool = new PoolExecutor({ threads });
      try {
        for (const strategy of ['layer-wise', 'fused', 'auto'] as Strategy[]) {
          const got = await pool.runAll(imp.model, x, { strategy });
          for (const o of imp.model.outputs) expect(bits(got[o.name]!), `${strategy} ×${threads} ${o.name}`).to.deep.equal(bits(want[o.name]!));
        }
      } finally {
        await pool.close();
      }
    }
  });

  it('refuses a graph with no outputs or an output listed twice, and run on several outputs points to runAll', async () => {
    const bad = (output: string[], re: RegExp): void => {
      const b = onnxBytes({ input: { name: 'x', dims: [1, 1, 4, 4] }, output, nodes: [{ op: 'Relu', name: 'r', inputs: ['x'], outputs: ['y'] }] });
      let err: unknown;
      try {
        importOnnx(b);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(TesseraError);
      expect((err as TesseraError).code).to.equal('BAD_MODEL');
      expect((err as Error).message).to.match(re);
    };
    bad([], /the graph has no outputs/);
    bad(['y', 'y'], /lists output 'y' twice/);
    const imp = importOnnx(bytes, { inputShape: [1, 3, 8, 8] });
    const e = await local.run(imp.model, randomTensor([1, 3, 8, 8], 1)).then(() => undefined, (x: unknown) => x);
    expect((e as Error).message).to.match(/3 outputs \('boxes', 'scores', 'features'\).*use runAll/);
  });

  it('maps a graph\'s two inputs to named model inputs (shapes by name), matching onnxruntime-node', async () => {
    const r = rng(6);
    const init = (name: string, dims: number[]): Init => ({ name, dims, data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() - 0.5) });
    const two = onnxBytes({
      name: 'fusion',
      input: [{ name: 'image', dims: [1, 3, 'H', 'W'] }, { name: 'mask', dims: [1, 1, 'H', 'W'] }],
      output: ['fused', 'score'],
      nodes: [
        { op: 'Conv', name: 'image_conv', inputs: ['image', 'wi', 'bi'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { op: 'Conv', name: 'mask_conv', inputs: ['mask', 'wm', 'bm'], outputs: ['m'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { op: 'Add', name: 'sum', inputs: ['a', 'm'], outputs: ['s'] },
        { op: 'Relu', name: 'relu', inputs: ['s'], outputs: ['fused'] },
        { op: 'GlobalAveragePool', name: 'gap', inputs: ['fused'], outputs: ['g'] },
        { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'], attrs: { axis: 1 } },
        { op: 'Gemm', name: 'fc', inputs: ['f', 'wf', 'bf'], outputs: ['score'], attrs: { transB: 1 } },
      ],
      inits: [init('wi', [4, 3, 3, 3]), init('bi', [4]), init('wm', [4, 1, 3, 3]), init('bm', [4]), init('wf', [2, 4]), init('bf', [2])],
    });
    const imp = importOnnx(two, { inputShapes: { image: [1, 3, 13, 11], mask: [1, 1, 13, 11] } });
    expect(imp.model.inputs).to.deep.equal([{ name: 'image', shape: [1, 3, 13, 11] }, { name: 'mask', shape: [1, 1, 13, 11] }]);
    expect(imp.inputNames).to.deep.equal(['image', 'mask']);
    const feeds = { image: randomTensor([1, 3, 13, 11], 2), mask: randomTensor([1, 1, 13, 11], 3) };
    const ours = await local.runAll(imp.model, feeds);
    expectCloseToOrt(imp.outputs, ours, await runOrtAll(two, feeds));
    // The .tsm file keeps both inputs, and the loaded model gives the same bits.
    const again = await local.runAll(decodeModelFile(encodeModelFile(imp.model)), feeds);
    for (const k of ['fused', 'score']) expect(bits(again[k]!), k).to.deep.equal(bits(ours[k]!));
    // Shapes of a graph with several inputs go by name.
    expect(() => importOnnx(two, { inputShape: [1, 3, 13, 11] })).to.throw(/the graph has 2 inputs \('image', 'mask'\): give their shapes as inputShapes by name/);
    expect(() => importOnnx(two, { inputShapes: { image: [1, 3, 13, 11], mask: [1, 1, 13, 11], mask2: [1, 1, 13, 11] } })).to.throw(/mask2/);
    expect(() => importOnnx(two, { inputShapes: { image: [1, 3, 13, 11] } })).to.throw(/input 'mask' dimension 2 is dynamic/);
  });
});
