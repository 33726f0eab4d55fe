import { Tensor, rng, type Shape } from '@tessera/tensor';

/**
 * He-normal initialisation (std = sqrt(2 / fanIn)) from a seeded generator, so
 * code-built models and their tests are reproducible.
 */
export function heNormal(shape: Shape, fanIn: number, rand: () => number): Tensor {
  const t = Tensor.zeros(shape);
  const std = Math.sqrt(2 / Math.max(1, fanIn));
  const d = t.data;
  for (let i = 0; i < d.length; i += 2) {
    // Box–Muller: two normals per pair of uniforms.
    const u = Math.max(rand(), 1e-12), v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    d[i] = std * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < d.length) d[i + 1] = std * r * Math.sin(2 * Math.PI * v);
  }
  return t;
}

/** Small uniform values in [-scale, scale), for biases and per-channel shifts. */
export function uniform(shape: Shape, scale: number, rand: () => number): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = (2 * rand() - 1) * scale;
  return t;
}

export { rng };
