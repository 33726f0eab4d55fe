import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalExecutor } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { TesseraError, randomTensor, rng } from '@tessera/tensor';
import { decodeModelFile, encodeModelFile, loadModel, saveModel } from '@tessera/wire';
import { importOnnx, loadOnnx } from '../src/index.js';
import { onnxBytes, type Init, type TNode } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

const floats = (shape: number[], seed: number, lo = -1, hi = 1): Float32Array => randomTensor(shape, seed, lo, hi).toFloat32Array();

/**
 * A small CNN in the shapes real models have: conv + BN + ReLU stem, max
 * pool, a residual block, a MobileNetV2-style inverted residual (1×1 expand,
 * depthwise 3×3, Clip(0,6), 1×1 project, add), a concat branch, global
 * average pool, Flatten, Gemm, Softmax.
 */
function smallCnn(): { bytes: Uint8Array; dims: number[] } {
  const inits: Init[] = [];
  let seed = 1;
  const w = (name: string, dims: number[]): string => { inits.push({ name, dims, data: floats(dims, seed++, -0.5, 0.5) }); return name; };
  const bn = (p: string, c: number): string[] => {
    const r = rng(seed++);
    const vec = (f: () => number): Float32Array => Float32Array.from({ length: c }, f);
    inits.push({ name: `${p}.g`, dims: [c], data: vec(() => 0.5 + r()) }, { name: `${p}.b`, dims: [c], data: vec(() => r() - 0.5) },
      { name: `${p}.m`, dims: [c], data: vec(() => r() - 0.5) }, { name: `${p}.v`, dims: [c], data: vec(() => 0.5 + r()) });
    return [`${p}.g`, `${p}.b`, `${p}.m`, `${p}.v`];
  };
  const nodes: TNode[] = [
    { op: 'Conv', name: 'stem', inputs: ['x', w('stem.w', [8, 3, 3, 3])], outputs: ['s0'], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: 'BatchNormalization', name: 'stem.bn', inputs: ['s0', ...bn('stem.bn', 8)], outputs: ['s1'] },
    { op: 'Relu', name: 'stem.relu', inputs: ['s1'], outputs: ['s2'] },
    { op: 'MaxPool', name: 'pool', inputs: ['s2'], outputs: ['p'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: 'Conv', name: 'res.c1', inputs: ['p', w('res.c1.w', [8, 8, 3, 3]), w('res.c1.b', [8])], outputs: ['r1'], attrs: { auto_pad: 'SAME_UPPER' } },
    { op: 'Relu', name: 'res.relu1', inputs: ['r1'], outputs: ['r2'] },
    { op: 'Conv', name: 'res.c2', inputs: ['r2', w('res.c2.w', [8, 8, 3, 3])], outputs: ['r3'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'BatchNormalization', name: 'res.bn', inputs: ['r3', ...bn('res.bn', 8)], outputs: ['r4'] },
    { op: 'Add', name: 'res.add', inputs: ['r4', 'p'], outputs: ['r5'] },
    { op: 'Relu', name: 'res.relu2', inputs: ['r5'], outputs: ['r6'] },
    { op: 'Conv', name: 'ir.expand', inputs: ['r6', w('ir.e.w', [24, 8, 1, 1]), w('ir.e.b', [24])], outputs: ['i1'] },
    { op: 'Clip', name: 'ir.relu6a', inputs: ['i1', 'zero', 'six'], outputs: ['i2'] },
    { op: 'Conv', name: 'ir.dw', inputs: ['i2', w('ir.dw.w', [24, 1, 3, 3]), w('ir.dw.b', [24])], outputs: ['i3'], attrs: { group: 24, pads: [1, 1, 1, 1], dilations: [1, 1] } },
    { op: 'Clip', name: 'ir.relu6b', inputs: ['i3', 'zero', 'six'], outputs: ['i4'] },
    { op: 'Conv', name: 'ir.project', inputs: ['i4', w('ir.p.w', [8, 24, 1, 1])], outputs: ['i5'] },
    { op: 'BatchNormalization', name: 'ir.bn', inputs: ['i5', ...bn('ir.bn', 8)], outputs: ['i6'] },
    { op: 'Add', name: 'ir.add', inputs: ['r6', 'i6'], outputs: ['i7'] },
    { op: 'Conv', name: 'branch', inputs: ['i7', w('branch.w', [4, 8, 3, 3])], outputs: ['b1'], attrs: { pads: [2, 2, 2, 2], dilations: [2, 2] } },
    { op: 'LeakyRelu', name: 'branch.act', inputs: ['b1'], outputs: ['b2'], attrs: { alpha: { f: 0.1 } } },
    { op: 'Concat', name: 'cat', inputs: ['i7', 'b2'], outputs: ['c'], attrs: { axis: 1 } },
    { op: 'AveragePool', name: 'avg', inputs: ['c'], outputs: ['a'], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
    { op: 'GlobalAveragePool', name: 'gap', inputs: ['a'], outputs: ['g'] },
    { op: 'Flatten', name: 'flat', inputs: ['g'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', w('fc.w', [10, 12]), w('fc.b', [10])], outputs: ['z'], attrs: { transB: 1 } },
    { op: 'Dropout', name: 'drop', inputs: ['z'], outputs: ['d'] },
    { op: 'Softmax', name: 'prob', inputs: ['d'], outputs: ['y'] },
  ];
  inits.push({ name: 'zero', dims: [], data: Float32Array.of(0) }, { name: 'six', dims: [], data: Float32Array.of(6) });
  const dims = [2, 3, 37, 29];
  return { bytes: onnxBytes({ name: 'small-cnn', input: { name: 'x', dims: ['N', 3, 'H', 'W'] }, output: 'y', nodes, inits }), dims };
}

describe('whole models', () => {
  const { bytes, dims } = smallCnn();

  it('a small ResNet/MobileNetV2-shaped CNN agrees with onnxruntime-node; BN folded into its convs', async () => {
    const { imp } = await expectMatchesOrt(bytes, dims, 1, 'small CNN');
    const ops = imp.model.layers.map((l) => l.spec.op);
    expect(ops.filter((o) => o === 'scaleShift')).to.have.length(0);
    expect(ops).to.include.members(['conv2d', 'maxPool', 'add', 'relu6', 'concat', 'avgPool', 'globalAvgPool', 'dense', 'softmax']);
  });

  for (const strategy of ['auto', 'layer-wise', 'fused'] as const) {
    it(`PoolExecutor (2 threads, ${strategy}) equals LocalExecutor bit for bit`, async () => {
      const model = importOnnx(bytes, { inputShape: dims }).model;
      const x = randomTensor(dims, 2);
      const local = await new LocalExecutor().run(model, x);
      const pool = new PoolExecutor({ threads: 2, strategy });
      try {
        const a = await pool.run(model, x);
        expect(Buffer.from(a.toFloat32Array().buffer).equals(Buffer.from(local.toFloat32Array().buffer))).to.equal(true);
      } finally {
        await pool.close();
      }
    });
  }

  it('.tsm round trip (bytes and file) runs bit for bit the same', async () => {
    const model = importOnnx(bytes, { inputShape: dims }).model;
    const x = randomTensor(dims, 3);
    const exec = new LocalExecutor();
    const want = Buffer.from((await exec.run(model, x)).toFloat32Array().buffer);
    const again = decodeModelFile(encodeModelFile(model));
    expect(Buffer.from((await exec.run(again, x)).toFloat32Array().buffer).equals(want)).to.equal(true);
    const dir = await mkdtemp(join(tmpdir(), 'tessera-onnx-'));
    try {
      await writeFile(join(dir, 'm.onnx'), bytes);
      const fromFile = await loadOnnx(join(dir, 'm.onnx'), { inputShape: dims });
      await saveModel(fromFile, join(dir, 'm.tsm'));
      const loaded = await loadModel(join(dir, 'm.tsm'));
      expect(Buffer.from((await exec.run(loaded, x)).toFloat32Array().buffer).equals(want)).to.equal(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bad and unsupported models', () => {
  const badModel = (f: () => unknown, re: RegExp, code = 'BAD_MODEL'): void => {
    try {
      f();
    } catch (e) {
      expect(e).to.be.instanceOf(TesseraError);
      expect((e as TesseraError).code).to.equal(code);
      expect((e as Error).message).to.match(re);
      return;
    }
    expect.fail(`expected ${code} ${re}`);
  };
  const x = { name: 'x', dims: [1, 2, 8, 8] };

  it('lists every unsupported op type with its count, node names and the opset in one error', () => {
    const bytes = onnxBytes({
      input: x, output: 'y', opset: 13,
      nodes: [
        { op: 'Relu', inputs: ['x'], outputs: ['a'] },
        { op: 'Erf', name: 'erf1', inputs: ['a'], outputs: ['b'] },
        { op: 'Erf', name: 'erf2', inputs: ['b'], outputs: ['c'] },
        { op: 'LRN', name: 'lrn', inputs: ['c'], outputs: ['d'], attrs: { size: 3 } },
        { op: 'Custom', name: 'mine', domain: 'com.example', inputs: ['d'], outputs: ['y'] },
      ],
    });
    try {
      importOnnx(bytes);
      expect.fail('expected an error');
    } catch (e) {
      const err = e as TesseraError;
      expect(err.code).to.equal('BAD_MODEL');
      expect(err.message).to.match(/4 nodes of 3 operator types Tessera does not support \(opset 13\)/);
      expect(err.message).to.match(/Erf ×2 \('erf1', 'erf2'\)/);
      expect(err.message).to.match(/LRN ×1 \('lrn'\)/);
      expect(err.message).to.match(/com\.example\.Custom ×1 \('mine'\)/);
      expect(err.details.unsupported).to.deep.include({ Erf: { count: 2, nodes: ['erf1', 'erf2'] } });
    }
  });

  it('refuses external data naming the tensor', () => {
    const bytes = onnxBytes({
      input: x, output: 'y', nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'] }],
      inits: [{ name: 'W', dims: [2, 2, 3, 3], data: new Float32Array(36), external: true }],
    });
    badModel(() => importOnnx(bytes), /initializer 'W' keeps its data in an external file/);
  });

  it('refuses an initializer whose dims ask for more than its data holds, before allocating', () => {
    const huge = onnxBytes({
      input: x, output: 'y', nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'] }],
      inits: [{ name: 'W', dims: [1_000_000, 1_000_000, 3, 3], data: new Float32Array(36) }],
    });
    badModel(() => importOnnx(huge), /initializer 'W': raw_data holds 144 bytes, dims \[1000000, 1000000, 3, 3\] need/);
    const typed = onnxBytes({
      input: x, output: 'y', nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'] }],
      inits: [{ name: 'W', dims: [2, 2, 3, 3], data: new Float32Array(35), encoding: 'typed' }],
    });
    badModel(() => importOnnx(typed), /initializer 'W': float_data holds 35 values, dims \[2, 2, 3, 3\] need 36/);
  });

  it('refuses truncated bytes, a cycle, a missing input, a misfitting input shape, an unsupported Clip or Pad mode, a pool over a view, an opset out of range', () => {
    const ok = onnxBytes({ input: x, output: 'y', nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'] }], inits: [{ name: 'W', dims: [2, 2, 3, 3], data: floats([2, 2, 3, 3], 1) }] });
    badModel(() => importOnnx(ok.subarray(0, ok.length - 7)), /not a readable ONNX ModelProto/);
    badModel(() => importOnnx(onnxBytes({
      input: x, output: 'y', nodes: [
        { op: 'Add', name: 'a1', inputs: ['x', 'b'], outputs: ['a'] }, { op: 'Relu', name: 'r', inputs: ['a'], outputs: ['b'] }, { op: 'Relu', inputs: ['a'], outputs: ['y'] },
      ],
    })), /cycle/);
    badModel(() => importOnnx(onnxBytes({ input: x, output: 'y', nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'W'], outputs: ['y'] }] })), /node 'c' \(Conv\): input 'W' is not produced/);
    const dyn = onnxBytes({ input: { name: 'x', dims: [1, 2, 'H', 'W'] }, output: 'y', nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'] }], inits: [{ name: 'W', dims: [2, 2, 3, 3], data: floats([2, 2, 3, 3], 1) }] });
    badModel(() => importOnnx(dyn, { inputShape: [1, 2, 2, 2] }), /node 'Conv_0' \(Conv\).*larger than the padded input/, 'SHAPE_MISMATCH');
    badModel(() => importOnnx(ok, { inputShape: [1, 3, 8, 8] }), /dimension 1 is fixed at 2/, 'SHAPE_MISMATCH');
    badModel(() => importOnnx(onnxBytes({
      input: x, output: 'y', nodes: [{ op: 'Clip', name: 'clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }],
      inits: [{ name: 'lo', dims: [], data: Float32Array.of(-1) }, { name: 'hi', dims: [], data: Float32Array.of(1) }],
    })), /node 'clip' \(Clip\): Clip\(-1, 1\) is not supported/);
    badModel(() => importOnnx(onnxBytes({
      input: x, output: 'y', nodes: [{ op: 'Pad', name: 'wrap', inputs: ['x', 'pads'], outputs: ['y'], attrs: { mode: 'wrap' } }],
      inits: [{ name: 'pads', dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1] }],
    })), /with attribute values Tessera does not support \(opset \d+\): Pad ×1 \('wrap': mode 'wrap'/);
    badModel(() => importOnnx(onnxBytes({
      input: x, output: 'y', nodes: [
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
        { op: 'MaxPool', name: 'mp', inputs: ['r'], outputs: ['y'], attrs: { kernel_shape: [2, 2] } },
      ],
      inits: [{ name: 'shape', dims: [4], data: [1, 8, 4, 4] }],
    })), /node 'mp' \(MaxPool\): input 0 must be a 4-D feature map \[N, C, H, W\], got \[1, 8, 4, 4\] \(a view of \[1, 2, 8, 8\]\)/);
    badModel(() => importOnnx(onnxBytes({ input: x, output: 'y', opset: 22, nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] })), /opset 22 is not supported/);
    badModel(() => importOnnx(onnxBytes({ input: { name: 'x', dims: ['N', 2, 8, 8] }, output: 'y', nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] })), /dimension 0 is dynamic \(N\); pass inputShape/);
  });

  it('a .tsm file, a PNG header or empty bytes given as ONNX are BAD_MODEL', () => {
    const { bytes: cnn, dims } = smallCnn();
    const tsm = encodeModelFile(importOnnx(cnn, { inputShape: dims }).model);
    badModel(() => importOnnx(tsm, {}, 'm.tsm'), /^m\.tsm: (not a readable ONNX ModelProto|the ONNX ModelProto has no graph)/);
    badModel(() => importOnnx(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), /not a readable ONNX ModelProto|has no graph/);
    badModel(() => importOnnx(new Uint8Array(0)), /the ONNX ModelProto has no graph/);
  });

  it('a missing file is BAD_MODEL naming the path', async () => {
    try {
      await loadOnnx('/nonexistent/model.onnx');
      expect.fail('expected an error');
    } catch (e) {
      expect((e as TesseraError).code).to.equal('BAD_MODEL');
      expect((e as Error).message).to.match(/\/nonexistent\/model\.onnx: cannot read/);
    }
  });
});
