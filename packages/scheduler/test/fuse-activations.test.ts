import { expect } from 'chai';
import { Tensor, randInt, randomTensor, rng } from '@tessera/tensor';
import { LocalExecutor, ModelBuilder, fuseLayers, type Model, type Node } from '@tessera/nn';
import { PoolExecutor, type Strategy } from '../src/index.js';

/*
 * Models whose conv → scaleShift → hardSwish / hardSigmoid chains fuseLayers
 * folds into the conv's epilogue (MobileNetV3's activations), squeeze-excite
 * multiplies broadcast per channel, residual adds and 2×2 stride-2 transposed
 * convolutions: the pool (fused, every strategy, 1–3 workers) gives the bits
 * of the unfused model run layer by layer.
 */

function mobileNetV3Like(seed: number): Model {
  const rand = rng(seed);
  const b = new ModelBuilder(`mnv3-like-${seed}`, [1, randInt(rand, 1, 3), randInt(rand, 17, 33), randInt(rand, 17, 41)], { seed });
  let x: Node = b.input;
  for (let i = 0; i < 3; i++) {
    const c = randInt(rand, 2, 12);
    x = b.conv2d(x, { outChannels: c, kernel: 3, padding: 'same', stride: i === 1 ? 2 : 1 });
    x = b.scaleShift(x, { scale: randomTensor([c], seed * 10 + i, -2, 2), shift: randomTensor([c], seed * 10 + i + 5, -3, 3) });
    x = rand() < 0.6 ? b.hardSwish(x) : b.hardSigmoid(x, 0.2, 0.5);
    // Squeeze-excite: a per-channel gate multiplied back onto the map.
    const gate = b.hardSigmoid(b.conv2d(b.globalAvgPool(x), { outChannels: c, kernel: 1 }), 1 / 6, 0.5);
    x = b.binary('mul', x, gate);
    const y = b.hardSwish(b.conv2d(x, { outChannels: c, kernel: 1 }));
    x = b.add(x, y);
  }
  return b.build(b.conv2dTranspose(x, { outChannels: 2, kernel: 2, stride: 2 }));
}

const STRATEGIES: readonly Strategy[] = ['layer-wise', 'fused', 'auto'];

describe('fused hardSwish / hardSigmoid epilogues on the pool', function () {
  this.timeout(120_000);
  for (const threads of [1, 2, 3]) {
    it(`${threads} worker(s): pool = unfused LocalExecutor bit for bit, every strategy`, async () => {
      const pool = new PoolExecutor({ threads });
      try {
        for (let seed = 1; seed <= 3; seed++) {
          const m = mobileNetV3Like(seed + 10 * threads);
          expect(fuseLayers(m).layers.length, `${m.name} fuses`).to.be.lessThan(m.layers.length);
          const x = randomTensor(m.inputShape, seed, -4, 4);
          const want = new LocalExecutor({ fuse: false }).runSync(m, x);
          const wantBits = new Uint32Array(want.toFloat32Array().buffer);
          for (const strategy of STRATEGIES) {
            const got: Tensor = await pool.run(m, x, { strategy });
            const bits = new Uint32Array(got.toFloat32Array().buffer);
            const i = bits.findIndex((v, k) => v !== wantBits[k]);
            expect(i, `${m.name} ${strategy} ×${threads}: element ${i} differs`).to.equal(-1);
          }
        }
      } finally {
        await pool.close();
      }
    });
  }
});
