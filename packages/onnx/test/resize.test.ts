import { expect } from 'chai';
import { randInt, rng } from '@tessera/tensor';
import { importOnnx } from '../src/index.js';
import { onnxBytes, type Init, type TNode } from './onnx-writer.js';
import { expectMatchesOrt } from './ort-check.js';

function oneNode(node: Omit<TNode, 'outputs'>, inits: Init[], dims: number[], opset = 17): Uint8Array {
  return onnxBytes({ input: { name: 'x', dims }, output: 'y', nodes: [{ ...node, outputs: ['y'] }], inits, opset });
}

describe('Resize / Upsample nearest against onnxruntime-node', () => {
  const COORDS = ['half_pixel', 'pytorch_half_pixel', 'asymmetric', 'align_corners', 'tf_half_pixel_for_nn'];
  const ROUNDS = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
  const rand = rng(17);
  // Every coordinate mode with every rounding, random sizes up and down (ties at .5 included: 3 → 2, 5 → 10 …).
  COORDS.forEach((coord, i) => ROUNDS.forEach((round, j) => {
    const h = randInt(rand, 1, 9), w = randInt(rand, 2, 9);
    const oh = randInt(rand, 1, 17), ow = randInt(rand, 1, 17);
    const name = `${coord} ${round}: ${h}×${w} → ${oh}×${ow} by sizes`;
    it(name, async () => {
      const bytes = oneNode({ op: 'Resize', inputs: ['x', '', '', 'sizes'], attrs: { mode: 'nearest', coordinate_transformation_mode: coord, nearest_mode: round } },
        [{ name: 'sizes', dims: [4], data: [1, 3, oh, ow] }], [1, 3, h, w]);
      await expectMatchesOrt(bytes, [1, 3, h, w], 300 + 4 * i + j, name);
    });
  }));

  it('by exact scales (2×, 1.5×, 0.5×), defaults (half_pixel, round_prefer_floor)', async () => {
    for (const [sh, sw, h, w] of [[2, 2, 5, 7], [1.5, 0.5, 4, 6], [3, 1, 3, 5]] as const) {
      const bytes = oneNode({ op: 'Resize', inputs: ['x', '', 'scales'], attrs: { mode: 'nearest' } },
        [{ name: 'scales', dims: [4], data: Float32Array.of(1, 1, sh, sw) }], [2, 2, h, w]);
      await expectMatchesOrt(bytes, [2, 2, h, w], 41, `scales ${sh}×${sw}`);
    }
  });

  it('Upsample nearest (opset 9, scales input) and Resize opset 10 downsampling (ceil)', async () => {
    await expectMatchesOrt(oneNode({ op: 'Upsample', inputs: ['x', 'scales'], attrs: { mode: 'nearest' } },
      [{ name: 'scales', dims: [4], data: Float32Array.of(1, 1, 2, 3) }], [1, 2, 4, 5], 9), [1, 2, 4, 5], 42, 'Upsample 9');
    await expectMatchesOrt(oneNode({ op: 'Resize', inputs: ['x', 'scales'], attrs: { mode: 'nearest' } },
      [{ name: 'scales', dims: [4], data: Float32Array.of(1, 1, 0.5, 0.5) }], [1, 2, 8, 6], 10), [1, 2, 8, 6], 43, 'Resize 10 down');
  });

  it('maps to Tessera nearest resize with the modes as given', () => {
    const imp = importOnnx(oneNode({ op: 'Resize', inputs: ['x', '', '', 'sizes'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'align_corners', nearest_mode: 'ceil' } },
      [{ name: 'sizes', dims: [4], data: [1, 3, 9, 4] }], [1, 3, 5, 5]));
    expect(imp.model.layers[0]!.spec).to.deep.equal({ op: 'resize', height: 9, width: 4, mode: 'nearest', coordinates: 'align_corners', nearestMode: 'ceil' });
  });
});
