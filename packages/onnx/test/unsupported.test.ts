import { expect } from 'chai';
import { isTesseraError, randomTensor } from '@tessera/tensor';
import { importOnnx } from '../src/index.js';
import { onnxBytes } from './onnx-writer.js';

const W = { name: 'W', dims: [2, 2, 3, 3], data: randomTensor([2, 2, 3, 3], 1).toFloat32Array() };

function loadError(bytes: Uint8Array): Error & { details: Record<string, unknown> } {
  try {
    importOnnx(bytes);
  } catch (e) {
    if (isTesseraError(e, 'BAD_MODEL')) return e as Error & { details: Record<string, unknown> };
    throw e;
  }
  expect.fail('the model loaded');
}

describe('unsupported attributes are reported at load, in the one error with unsupported operators', () => {
  it('lists a Conv auto_pad, a Resize mode and a Pad mode together with an unknown op, naming each node', () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 2, 8, 8] }, output: 'y', opset: 13,
      nodes: [
        { op: 'Conv', name: 'c_bad', inputs: ['x', 'W'], outputs: ['c'], attrs: { auto_pad: 'SAME_MIDDLE' } },
        { op: 'Resize', name: 'r_cubic', inputs: ['c', '', 'scales'], outputs: ['r'], attrs: { mode: 'cubic' } },
        { op: 'Resize', name: 'r_crop', inputs: ['r', '', 'scales'], outputs: ['r2'], attrs: { mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' } },
        { op: 'Pad', name: 'p_wrap', inputs: ['r2', 'pads'], outputs: ['p'], attrs: { mode: 'wrap' } },
        { op: 'Erf', name: 'e1', inputs: ['p'], outputs: ['y'] },
      ],
      inits: [W, { name: 'scales', dims: [4], data: Float32Array.of(1, 1, 2, 2) }, { name: 'pads', dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1] }],
    });
    const e = loadError(bytes);
    expect(e.message).to.match(/1 node of 1 operator type Tessera does not support \(opset 13\): Erf ×1 \('e1'\); and 4 nodes with attribute values Tessera does not support: /);
    expect(e.message).to.include("Conv ×1 ('c_bad': auto_pad 'SAME_MIDDLE' (supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID))");
    expect(e.message).to.include("Resize ×2 ('r_cubic': mode 'cubic' (supported: nearest, linear), 'r_crop': coordinate_transformation_mode 'tf_crop_and_resize' with mode linear");
    expect(e.message).to.include("Pad ×1 ('p_wrap': mode 'wrap' (supported: constant, reflect, edge))");
    expect(e.details.unsupportedAttributes).to.have.keys('Conv', 'Resize', 'Pad');
  });

  it('attributes alone: the error says so with the opset; nothing is built first', () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 2, 8, 8] }, output: 'y', opset: 18,
      nodes: [
        { op: 'LpPool', name: 'lp3', inputs: ['x'], outputs: ['l'], attrs: { kernel_shape: [2, 2], p: 3 } },
        { op: 'MaxPool', name: 'm3d', inputs: ['l'], outputs: ['m'], attrs: { kernel_shape: [2, 2, 2] } },
        { op: 'ConvTranspose', name: 'ct', inputs: ['m', 'W'], outputs: ['y'], attrs: { auto_pad: 'FULL' } },
      ],
      inits: [W],
    });
    const e = loadError(bytes);
    expect(e.message).to.match(/^ONNX model bytes: 3 nodes with attribute values Tessera does not support \(opset 18\): /);
    expect(e.message).to.include("LpPool ×1 ('lp3': p 3 (only p = 2))");
    expect(e.message).to.include("MaxPool ×1 ('m3d': kernel_shape [2, 2, 2] (only 2-D windows))");
    expect(e.message).to.include("ConvTranspose ×1 ('ct': auto_pad 'FULL'");
  });

  it('supported attribute values pass the check (nearest/linear modes, reflect pads, SAME pools)', () => {
    const bytes = onnxBytes({
      input: { name: 'x', dims: [1, 2, 8, 8] }, output: 'y', opset: 13,
      nodes: [
        { op: 'Pad', inputs: ['x', 'pads'], outputs: ['p'], attrs: { mode: 'edge' } },
        { op: 'MaxPool', inputs: ['p'], outputs: ['m'], attrs: { kernel_shape: [2, 2], auto_pad: 'SAME_UPPER' } },
        { op: 'Resize', inputs: ['m', '', 'scales'], outputs: ['y'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
      ],
      inits: [{ name: 'scales', dims: [4], data: Float32Array.of(1, 1, 2, 2) }, { name: 'pads', dims: [8], data: [0, 0, 1, 1, 0, 0, 1, 1] }],
    });
    expect(importOnnx(bytes).model.layers.map((l) => l.spec.op)).to.deep.equal(['pad', 'maxPool', 'resize']);
  });
});
