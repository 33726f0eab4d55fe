import { expect } from 'chai';
import { runOp, type OpSpec } from '../src/ops/registry.js';
import type { Weights } from '../src/ops/op.js';
import { engineTensor, releaseEngineTensor } from '../src/engine/tensors.js';
import { fullRegion, type Region } from '../src/region.js';
import { randInt, randomTensor, rng } from '../src/random.js';
import { Tensor } from '../src/tensor.js';
import { expectSameBits, randomRegion, randomTiling } from './util.js';

/*
 * binary, add (two inputs), scaleShift, the epilogue activations, sigmoid and tanh on feature maps in engine
 * memory run on the engine's kernel (kernels/elementwise.c); elsewhere on the
 * TypeScript kernels. Both must give the same bits, for any region and any
 * cut of the output, broadcasting and special values included.
 */

interface Problem { spec: OpSpec; inputs: Tensor[]; weights: Weights }

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 1.2e-38, 3, -3, 2.9999998, -3.0000002, 6, 7, -7, 0.5, -0.5, 3.4e38, -3.4e38];

/** A random tensor of `shape`, a fifth of its elements special values. */
function values(shape: number[], rand: () => number): Tensor {
  const t = randomTensor(shape, rand, -8, 8);
  for (let i = 0; i < t.size; i++) if (rand() < 0.2) t.data[i] = SPECIAL[randInt(rand, 0, SPECIAL.length - 1)]!;
  return t;
}

function problem(rand: () => number): Problem {
  const shape = [randInt(rand, 1, 2), randInt(rand, 1, 9), randInt(rand, 1, 13), randInt(rand, 1, 23)];
  const kind = randInt(rand, 0, 3);
  if (kind === 3) return { spec: { op: 'add' } as OpSpec, inputs: [values(shape, rand), values(shape, rand)], weights: {} };
  if (kind === 0) {
    // Broadcasting: each input keeps or drops (size 1) each axis; per-channel [N, C, 1, 1] and scalar shapes come up often.
    const fn = (['add', 'sub', 'mul', 'div'] as const)[randInt(rand, 0, 3)]!;
    const pick = (): number[] => {
      const r = rand();
      if (r < 0.3) return [shape[0]!, shape[1]!, 1, 1];
      if (r < 0.4) return [1, 1, 1, 1];
      if (r < 0.6) return shape;
      return shape.map((d) => (rand() < 0.5 ? 1 : d));
    };
    const [a, b] = rand() < 0.5 ? [shape, pick()] : [pick(), shape];
    return { spec: { op: 'binary', fn } as OpSpec, inputs: [values(a, rand), values(b, rand)], weights: {} };
  }
  if (kind === 1) {
    const c = shape[1]!;
    const weights: Weights = rand() < 0.7 ? { scale: values([c], rand), shift: values([c], rand) } : { scale: values([c], rand) };
    return { spec: { op: 'scaleShift' } as OpSpec, inputs: [values(shape, rand)], weights };
  }
  const act = (['relu', 'relu6', 'leakyRelu', 'hardSigmoid', 'hardSwish', 'sigmoid', 'tanh'] as const)[randInt(rand, 0, 6)]!;
  const spec = act === 'leakyRelu' ? { op: act, alpha: rand() < 0.5 ? 0.1 : rand() * 2 - 1 }
    : act === 'hardSigmoid' ? { op: act, alpha: rand() < 0.5 ? 0.2 : rand() * 2 - 1, beta: rand() < 0.5 ? 0.5 : rand() * 2 - 1 } : { op: act };
  return { spec: spec as OpSpec, inputs: [values(shape, rand)], weights: {} };
}

function outShape(p: Problem): number[] {
  const s = p.inputs.map((t) => t.shape);
  return s[0]!.map((d, i) => Math.max(d, ...s.map((x) => x[i]!)));
}

/** `p` over `regions` into an output prefilled with a sentinel, operands in ordinary or engine memory. */
function run(p: Problem, regions: readonly Region[], engine: boolean): Tensor {
  const shape = outShape(p);
  const inputs = engine ? p.inputs.map((t) => { const e = engineTensor(t.shape); e.data.set(t.toFloat32Array()); return e; }) : p.inputs;
  const out = engine ? engineTensor(shape) : Tensor.zeros(shape);
  out.data.fill(-12345);
  try {
    for (const r of regions) runOp(p.spec, inputs, p.weights, out, r, 'fast');
    return Tensor.from(out.toFloat32Array().slice(), shape);
  } finally {
    if (engine) { for (const t of inputs) releaseEngineTensor(t); releaseEngineTensor(out); }
  }
}

const describeP = (p: Problem) => `${JSON.stringify(p.spec)} inputs ${p.inputs.map((t) => `[${t.shape}]`).join(' ')}`;

describe('element-wise ops on engine memory (kernels/elementwise.c)', () => {
  it('equal the TypeScript kernels bit for bit on 300 random problems: broadcasting, odd sizes, special values', () => {
    const rand = rng(71);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const p = problem(rand);
      seen.add(p.spec.op === 'binary' ? `binary ${(p.spec as { fn: string }).fn}` : p.spec.op);
      const whole = [fullRegion(outShape(p))];
      expectSameBits(run(p, whole, true), run(p, whole, false), describeP(p));
    }
    expect(seen.size, [...seen].join(', ')).to.equal(4 + 1 + 7 + 1);
  });

  it('write exactly their region, and any cut of the output gives the same bits', () => {
    const rand = rng(72);
    for (let i = 0; i < 150; i++) {
      const p = problem(rand);
      const shape = outShape(p);
      const r = randomRegion(shape, rand);
      const engine = run(p, [r], true);
      expectSameBits(engine, run(p, [r], false), `region ${JSON.stringify(r)} ${describeP(p)}`);
      // Outside the region the sentinel is untouched.
      const inside = (n: number, c: number, y: number, x: number) => n >= r.n0 && n < r.n1 && c >= r.c0 && c < r.c1 && y >= r.y0 && y < r.y1 && x >= r.x0 && x < r.x1;
      for (let n = 0; n < shape[0]!; n++) for (let c = 0; c < shape[1]!; c++) for (let y = 0; y < shape[2]!; y++) for (let x = 0; x < shape[3]!; x++) {
        if (!inside(n, c, y, x)) expect(engine.get(n, c, y, x), `outside ${[n, c, y, x]}`).to.equal(-12345);
      }
      const full = fullRegion(shape);
      expectSameBits(run(p, randomTiling(full, rand), true), run(p, [full], true), `tiling ${describeP(p)}`);
    }
  });

  it('a known answer: a per-channel multiply (squeeze-excite) and a scaleShift', () => {
    const p: Problem = { spec: { op: 'binary', fn: 'mul' } as OpSpec, inputs: [Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 2, 1, 5]), Tensor.from([2, -1], [1, 2, 1, 1])], weights: {} };
    expect([...run(p, [fullRegion([1, 2, 1, 5])], true).data]).to.deep.equal([2, 4, 6, 8, 10, -6, -7, -8, -9, -10]);
    const q: Problem = { spec: { op: 'scaleShift' } as OpSpec, inputs: [Tensor.from([1, 2, 3, 4], [1, 2, 1, 2])], weights: { scale: Tensor.from([3, 0.5], [2]), shift: Tensor.from([1, -1], [2]) } };
    expect([...run(q, [fullRegion([1, 2, 1, 2])], true).data]).to.deep.equal([4, 7, 0.5, 1]);
  });
});
