import { expect } from 'chai';
import { Tensor, engineTensor, randInt, releaseEngineTensor, runOp, selectEngine, type EngineOptions, type OpSpec, type Region } from '@tessera/tensor';

/**
 * Bits of two float32 arrays equal, element by element: the sign of zero
 * included; any NaN equals any NaN (WebAssembly leaves NaN payloads and signs
 * nondeterministic, and V8's tiers and the C compilers may commute an add of
 * two NaNs, so they are no part of the contract).
 */
export function expectSameBits(a: Float32Array, b: Float32Array, what: string): void {
  expect(a.length, `${what}: length`).to.equal(b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) expect.fail(`${what}: element ${i} differs: ${a[i]} (0x${x[i]!.toString(16)}) vs ${b[i]} (0x${y[i]!.toString(16)})`);
  }
}

/** A random sub-rectangle of the output (at least one element on each axis). */
export function randomRegion(shape: readonly number[], rand: () => number): Region {
  const cut = (n: number): [number, number] => {
    const a = randInt(rand, 0, n - 1), b = randInt(rand, a + 1, n);
    return rand() < 0.3 ? [0, n] : [a, b];
  };
  const [n0, n1] = cut(shape[0]!), [c0, c1] = cut(shape[1] ?? 1), [y0, y1] = cut(shape[2] ?? 1), [x0, x1] = cut(shape[3] ?? 1);
  return { n0, n1, c0, c1, y0, y1, x0, x1 };
}

/** A copy of `t` in engine memory (kernels read it in place); release with releaseEngineTensor. */
export function inEngineMemory(t: Tensor): Tensor {
  const e = engineTensor(t.shape);
  e.data.set(t.toFloat32Array());
  return e;
}

export { releaseEngineTensor };

/** One op call to compare across engines: its spec, inputs and weights. */
export interface Problem { spec: OpSpec; inputs: Tensor[]; weights: Record<string, Tensor> }

/** Runs `p` on `engine` over `region` (whole output when undefined) into a zeroed output (ordinary or engine memory); returns its values. */
export function runOn(engine: EngineOptions, p: Problem, shape: readonly number[], region: Region | undefined, inEngine: boolean): Float32Array {
  selectEngine(engine);
  const inputs = inEngine ? p.inputs.map(inEngineMemory) : p.inputs;
  const out = inEngine ? inEngineMemory(Tensor.zeros(shape)) : Tensor.zeros(shape);
  try {
    runOp(p.spec, inputs, p.weights, out, region);
    return out.toFloat32Array().slice();
  } finally {
    if (inEngine) { for (const t of inputs) releaseEngineTensor(t); releaseEngineTensor(out); }
  }
}
