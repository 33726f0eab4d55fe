import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TesseraError } from '@tessera/tensor';
import { encodeModelFile } from '@tessera/wire';
import { importOnnx, loadOnnx, type LoadOnnxOptions } from '../src/index.js';
import { GraphWriter } from './models-graph.js';
import { onnxBytes } from './onnx-writer.js';

/*
 * Broken and hostile model files: each is refused at load with a
 * TesseraError whose code is stable and whose message names the file and
 * the bad thing (node, tensor, dimension), never with a crash, a hang or an
 * allocation the file's size does not justify.
 */

/** A small valid CNN (conv + BN + ReLU, pool, conv, global pool, Gemm) to break. */
function goodModel(): Uint8Array {
  const g = new GraphWriter(7);
  let x = g.relu(g.bn(g.conv('x', 3, 8, 3), 8));
  x = g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  x = g.relu(g.conv(x, 8, 16, 3, { bias: true }));
  x = g.op('Flatten', [g.op('GlobalAveragePool', [x])]);
  return g.bytes([1, 3, 32, 32], g.op('Gemm', [x, g.weight([4, 16], 0.3)], { transB: 1 }), 'good');
}

/** Runs `f`, expects a TesseraError with `code` whose message matches every pattern; returns it. */
async function refused(f: () => unknown, code: string, ...patterns: RegExp[]): Promise<TesseraError> {
  let err: unknown;
  try {
    await f();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).to.be.instanceOf(TesseraError);
  const e = err as TesseraError;
  expect(e.code, e.message).to.equal(code);
  for (const p of patterns) expect(e.message).to.match(p);
  return e;
}

describe('bad models are refused with a clear TesseraError', function () {
  this.timeout(60_000);
  let dir: string;
  const good = goodModel();
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'tessera-bad-onnx-')); });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  /** Writes `bytes` to a file of that name and loads it by path, so messages must name the file. */
  const load = async (name: string, bytes: Uint8Array, opts: LoadOnnxOptions = {}): Promise<unknown> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return loadOnnx(path, opts);
  };

  it('the unbroken model loads (the cases below break only what they say)', async () => {
    const m = await load('good.onnx', good) as { layers: unknown[] };
    expect(m.layers.length).to.be.greaterThan(3);
  });

  it('a file cut anywhere is BAD_MODEL naming the file: unreadable, or a graph that lost nodes or initializers', async () => {
    // Every cut point in the first 64 bytes, then spread over the file (inside raw_data of the weights too).
    const cuts = [...Array.from({ length: 64 }, (_, i) => i + 1), ...Array.from({ length: 40 }, (_, i) => Math.floor(((i + 1) / 41) * good.length)), good.length - 1];
    for (const cut of cuts) {
      const e = await refused(() => load('cut.onnx', good.subarray(0, cut)), 'BAD_MODEL');
      expect(e.message, `cut at ${cut} of ${good.length}`).to.match(new RegExp(`^${join(dir, 'cut.onnx').replace(/[/.]/g, '\\$&')}: `));
    }
  });

  it('files that are not ONNX (wrong magic: gzip, PNG, a Tessera .tsm, zeros, text) are BAD_MODEL naming the file', async () => {
    const tsm = encodeModelFile(importOnnx(good).model);
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52);
    const cases: Array<[string, Uint8Array]> = [
      ['model.onnx.gz', gzipSync(good)], ['image.png', png], ['model.tsm', tsm], ['zeros.onnx', new Uint8Array(4096)],
      ['text.onnx', new TextEncoder().encode('ir_version: 8\ngraph { node { op_type: "Relu" } }\n')],
    ];
    for (const [name, bytes] of cases) {
      await refused(() => load(name, bytes), 'BAD_MODEL', new RegExp(`${name.replace('.', '\\.')}: (not a readable ONNX ModelProto|the ONNX ModelProto has no graph|ai\\.onnx opset|the graph has 0 inputs)`));
    }
  });

  it('a graph with a cycle is BAD_MODEL naming a node on it', async () => {
    const g = new GraphWriter(1);
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 4, 8, 8] }, output: 'y',
      nodes: [
        { op: 'Add', name: 'join', inputs: ['x', 'loop'], outputs: ['a'] },
        { op: 'Conv', name: 'conv', inputs: ['a', g.weight([4, 4, 3, 3], 0.3)], outputs: ['b'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Relu', name: 'back', inputs: ['b'], outputs: ['loop'] },
        { op: 'Relu', name: 'out', inputs: ['b'], outputs: ['y'] },
      ],
      inits: g.inits,
    });
    await refused(() => load('cycle.onnx', bytes), 'BAD_MODEL', /cycle\.onnx: the graph has a cycle through node '(join|conv|back)'/);
  });

  it('a missing initializer is BAD_MODEL naming the tensor and the node that reads it', async () => {
    const g = new GraphWriter(1);
    const y = g.relu(g.conv('x', 3, 4, 3));
    const nodes = g.nodes.map((n) => (n.op === 'Conv' ? { ...n, inputs: [n.inputs[0]!, 'conv1.weight'] } : n));
    const bytes = onnxBytes({ input: { name: 'x', dims: [1, 3, 16, 16] }, output: y, nodes, inits: g.inits });
    await refused(() => load('missing.onnx', bytes), 'BAD_MODEL', /missing\.onnx: node 'Conv_\d+' \(Conv\): input 'conv1\.weight' is not produced by any node, initializer or graph input/);
  });

  it('weights kept in an external file are BAD_MODEL naming the tensor', async () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 3, 8, 8] }, output: 'y',
      nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'big.weight'], outputs: ['y'] }],
      inits: [{ name: 'big.weight', dims: [4, 3, 3, 3], data: new Float32Array(108), external: true }],
    });
    await refused(() => load('external.onnx', bytes), 'BAD_MODEL', /external\.onnx: initializer 'big\.weight' keeps its data in an external file/);
  });

  it('an input shape that does not fit is SHAPE_MISMATCH naming the dimension or the node', async () => {
    await refused(() => load('fixed.onnx', good, { inputShape: [1, 4, 32, 32] }), 'SHAPE_MISMATCH', /fixed\.onnx: inputShape \[1, 4, 32, 32\] does not fit input 'x': dimension 1 is fixed at 3/);
    await refused(() => load('fixed.onnx', good, { inputShape: [1, 3, 32] }), 'SHAPE_MISMATCH', /inputShape \[1, 3, 32\] has rank 3; input 'x' has rank 4/);
    const g = new GraphWriter(1);
    const y = g.op('MaxPool', [g.conv('x', 3, 4, 5, { pad: 0 })], { kernel_shape: [2, 2], strides: [2, 2] });
    const dyn = g.bytes([1, 3, 'H', 'W'], y, 'dyn');
    await refused(() => load('small.onnx', dyn, { inputShape: [1, 3, 4, 9] }), 'SHAPE_MISMATCH', /small\.onnx: node 'Conv_\d+' \(Conv\)/);
    await refused(() => load('dyn.onnx', dyn), 'BAD_MODEL', /dyn\.onnx: input 'x' dimension 2 is dynamic \(H\); pass inputShape/);
  });

  it('memory stays bounded: a length prefix of 2 GiB, dims of 10¹² weights, a 10⁶ × 10⁶ input are refused before allocating', async () => {
    const before = process.memoryUsage();
    // ModelProto field 7 (graph), length-delimited, claiming 2^31 bytes that the 9-byte file does not have.
    const lying = Uint8Array.of(0x08, 0x08, 0x3a, 0x80, 0x80, 0x80, 0x80, 0x08, 0x0a);
    await refused(() => load('lying-length.onnx', lying), 'BAD_MODEL', /lying-length\.onnx: not a readable ONNX ModelProto/);
    const huge = onnxBytes({
      input: { name: 'x', dims: [1, 3, 8, 8] }, output: 'y',
      nodes: [{ op: 'Conv', name: 'c', inputs: ['x', 'W'], outputs: ['y'] }],
      inits: [{ name: 'W', dims: [1_000_000, 1_000_000, 1, 1], data: new Float32Array(3) }],
    });
    await refused(() => load('huge-dims.onnx', huge), 'BAD_MODEL', /huge-dims\.onnx: initializer 'W': raw_data holds 12 bytes, dims \[1000000, 1000000, 1, 1\] need/);
    const g = new GraphWriter(1);
    const dyn = g.bytes([1, 3, 'H', 'W'], g.relu(g.conv('x', 3, 8, 3)), 'dyn');
    await refused(() => load('huge-input.onnx', dyn, { inputShape: [1, 3, 1_000_000, 1_000_000] }), 'RESOURCE_EXHAUSTED', /huge-input\.onnx: .*(1000000|2\^31|elements)/);
    const after = process.memoryUsage();
    expect(after.arrayBuffers - before.arrayBuffers, 'ArrayBuffer bytes grown').to.be.below(64 * 2 ** 20);
    expect(after.rss - before.rss, 'RSS grown').to.be.below(256 * 2 ** 20);
  });
});
