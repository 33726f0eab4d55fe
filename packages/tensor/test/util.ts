import { expect } from 'chai';
import { fmtRegion, type Region } from '../src/region.js';
import { Tensor } from '../src/tensor.js';
import { randInt } from '../src/random.js';

/** Asserts a and b have the same shape and every element is === (bit-identical up to the sign of zero). */
export function expectBitEqual(a: Tensor, b: Tensor, what = 'tensor'): void {
  expect(a.shape, `${what} shape`).to.deep.equal(b.shape);
  const x = a.toFloat32Array(), y = b.toFloat32Array();
  for (let i = 0; i < x.length; i++) {
    if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) {
      expect.fail(`${what}: element ${i} differs: ${x[i]} vs ${y[i]}`);
    }
  }
}

/** Largest |a-b| / max(|b|, floor) over all elements. */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor);
    if (!(e <= m)) m = e; // NaN propagates as a failure
  }
  return m;
}

export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = 'values'): void {
  expect(a.length, `${what} length`).to.equal(b.length);
  const e = maxRelError(a, b);
  expect(e, `${what}: max relative error`).to.be.at.most(tol);
}

/**
 * Cuts `r` into random rectangles that cover it exactly once: a random grid
 * over batch, channel, row and column axes.
 */
export function randomTiling(r: Region, rand: () => number): Region[] {
  const cuts = (lo: number, hi: number): number[] => {
    const k = randInt(rand, 0, Math.min(3, hi - lo - 1));
    const s = new Set<number>();
    while (s.size < k) s.add(randInt(rand, lo + 1, hi - 1));
    return [lo, ...[...s].sort((p, q) => p - q), hi];
  };
  const ns = cuts(r.n0, r.n1), cs = cuts(r.c0, r.c1), ys = cuts(r.y0, r.y1), xs = cuts(r.x0, r.x1);
  const out: Region[] = [];
  for (let a = 0; a + 1 < ns.length; a++)
    for (let b = 0; b + 1 < cs.length; b++)
      for (let c = 0; c + 1 < ys.length; c++)
        for (let d = 0; d + 1 < xs.length; d++)
          out.push({ n0: ns[a]!, n1: ns[a + 1]!, c0: cs[b]!, c1: cs[b + 1]!, y0: ys[c]!, y1: ys[c + 1]!, x0: xs[d]!, x1: xs[d + 1]! });
  return out;
}

export { fmtRegion };
