// Quick single-op timing while developing the engine (the real numbers come from tessera-bench).
import { conv2d, randomTensor, Tensor, type Conv2dArgs } from '../src/index.js';

const cases: [string, number[], number, Conv2dArgs][] = [
  ['L1 3→32 112²', [1, 3, 112, 112], 32, { kernel: 3, padding: 'same' }],
  ['L2 64→64 56²', [1, 64, 56, 56], 64, { kernel: 3, padding: 'same' }],
  ['L3 128→128 28² d2', [1, 128, 28, 28], 128, { kernel: 3, padding: 'same', dilation: 2 }],
  ['L4 256→256 14²', [1, 256, 14, 14], 256, { kernel: 3, padding: 'same' }],
  ['dw 128 56²', [1, 128, 56, 56], 128, { kernel: 3, padding: 'same', groups: 128 }],
];
for (const [name, shape, cout, spec] of cases) {
  const x = randomTensor(shape, 1);
  const groups = spec.groups ?? 1;
  const w = randomTensor([cout, shape[1]! / groups, 3, 3], 2);
  const b = randomTensor([cout], 3);
  let out = conv2d(x, w, b, spec);
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    out = conv2d(x, w, b, spec, out);
    times.push(performance.now() - t0);
  }
  times.sort((a, c) => a - c);
  const flops = 2 * out.size * (shape[1]! / groups) * 9;
  console.log(`${name.padEnd(20)} median ${times[7]!.toFixed(2)} ms  min ${times[0]!.toFixed(2)}  ${(flops / times[7]! / 1e6).toFixed(1)} GFLOP/s`);
}
void Tensor;
