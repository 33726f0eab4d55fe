import { expect } from 'chai';
import { Tensor, randomTensor, type OpSpec, type Weights } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, type Model, type Node } from '@tessera/nn';
import { PoolExecutor, explain, plan, type Strategy } from '../src/index.js';

/*
 * The ops added for ONNX import (transposed convolution, nearest resize,
 * PRelu/HardSigmoid/HardSwish, reflect/edge pads, broadcasting binaries)
 * in U-Net-shaped models: the pool's tiles (fused and layer-wise, cut
 * fine) must give LocalExecutor's bits, which needs each op's inputRegion
 * to be exactly right for the tile planner's walk back.
 */

function expectIdentical(a: Tensor, b: Tensor, what: string): void {
  expect(a.shape, `${what} shape`).to.deep.equal(b.shape);
  const x = a.toFloat32Array(), y = b.toFloat32Array();
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i]) expect.fail(`${what}: element ${i} is ${x[i]}, LocalExecutor has ${y[i]}`);
  }
}

const w = (shape: number[], seed: number): Tensor => randomTensor(shape, seed, -0.5, 0.5);

/** Down with a strided conv, up with a transposed conv (odd crop and output padding), skip by concat. */
export function transposeUNet(): Model {
  const b = new ModelBuilder('unet-transpose', [1, 3, 23, 21], { seed: 3 });
  const layer = (spec: OpSpec, xs: Node[], ws: Weights = {}): Node => b.layer(spec, xs, ws);
  const e1 = b.relu(b.conv2d(b.input, { outChannels: 6, kernel: 3, padding: 'same' }));
  const d1 = b.relu(b.conv2d(e1, { outChannels: 8, kernel: 3, stride: 2, padding: 1 }));
  const d2 = b.conv2d(d1, { outChannels: 8, kernel: 3, stride: 2, padding: 1 });
  const u2 = layer({ op: 'conv2dTranspose', kernel: 3, stride: 2, padding: 1, outputPadding: [1, 0] }, [d2], { weight: w([8, 8, 3, 3], 1), bias: w([8], 2) });
  const s2 = b.concat([u2, d1]);
  const u1 = layer({ op: 'conv2dTranspose', kernel: [2, 3], stride: 2, dilation: [1, 1], groups: 2, padding: { top: 0, bottom: 1, left: 1, right: 1 } },
    [s2], { weight: w([16, 3, 2, 3], 3) });
  return b.build(b.conv2d(b.concat([u1, e1]), { outChannels: 2, kernel: 1 }));
}

/** Reflect/edge pads before convs, PRelu/HardSwish/HardSigmoid, a squeeze-excitation multiply by a per-channel map, nearest upsampling. */
export function mixedUNet(): Model {
  const b = new ModelBuilder('unet-mixed', [2, 3, 19, 22], { seed: 4 });
  const layer = (spec: OpSpec, xs: Node[], ws: Weights = {}): Node => b.layer(spec, xs, ws);
  const p1 = layer({ op: 'pad', mode: 'reflect', top: 1, bottom: 1, left: 2, right: 1 }, [b.input]);
  const e1 = layer({ op: 'prelu' }, [b.conv2d(p1, { outChannels: 6, kernel: [3, 4] })], { slope: w([6], 5) });
  const d1 = layer({ op: 'hardSwish' }, [b.conv2d(e1, { outChannels: 8, kernel: 3, stride: 2, padding: 'same' })]);
  const se = layer({ op: 'hardSigmoid', alpha: 0.2, beta: 0.5 }, [b.globalAvgPool(d1)]);
  const sc = layer({ op: 'binary', fn: 'mul' }, [d1, se]);
  const p2 = layer({ op: 'pad', mode: 'edge', top: 2, bottom: 0, left: 1, right: 1 }, [sc]);
  const d2 = b.conv2d(p2, { outChannels: 8, kernel: 3 });
  const u = layer({ op: 'resize', mode: 'nearest', height: 19, width: 22, coordinates: 'half_pixel', nearestMode: 'round_prefer_ceil' }, [d2]);
  const one = layer({ op: 'prelu' }, [b.conv2d(b.input, { outChannels: 1, kernel: 1 })], { slope: w([1], 6) });
  const gated = layer({ op: 'binary', fn: 'sub' }, [u, one]);
  return b.build(b.conv2d(b.concat([gated, e1]), { outChannels: 3, kernel: 1 }));
}

const STRATEGIES: Strategy[] = ['layer-wise', 'fused', 'auto'];
const unfused = new LocalExecutor({ fuse: false });

describe('PoolExecutor on the ONNX-import ops', function () {
  this.timeout(120_000);
  const models = (): Model[] => [transposeUNet(), mixedUNet()];

  it('fused plans cut these models into several tiles, and explain prints them', () => {
    for (const m of models()) {
      const p = plan(m, m.inputShape, { workers: 3, strategy: 'fused' });
      expect(p.stages.some((s) => s.tasks.length > 1), `${m.name}: a stage of several tiles`).to.equal(true);
      expect(explain(p)).to.be.a('string').and.match(/\S/);
    }
  });

  for (const threads of [2, 3]) {
    it(`${threads} workers, every strategy, tiles cut fine: bit-identical to LocalExecutor`, async () => {
      const pool = new PoolExecutor({ threads, tasksPerWorker: 4 });
      try {
        for (const m of models()) {
          const x = randomTensor(m.inputShape, 11);
          const want = await unfused.run(m, x);
          for (const strategy of STRATEGIES) expectIdentical(await pool.run(m, x, { strategy }), want, `${m.name} ${strategy} ×${threads}`);
        }
      } finally {
        await pool.close();
      }
    });
  }
});
