/**
 * Error of a peer's output against the reference. maxRel divides each
 * difference by max(|ref|, 1e-3 · max|ref|) so near-zero reference values do
 * not turn rounding noise into huge relative errors.
 */
export interface Comparison { maxAbs: number; maxRel: number; refMaxAbs: number; lengthMismatch: boolean }

export function compareOutputs(out: ArrayLike<number>, ref: ArrayLike<number>): Comparison {
  let refMax = 0;
  for (let i = 0; i < ref.length; i++) refMax = Math.max(refMax, Math.abs(ref[i]!));
  const floor = Math.max(1e-3 * refMax, 1e-30);
  if (out.length !== ref.length) return { maxAbs: Infinity, maxRel: Infinity, refMaxAbs: refMax, lengthMismatch: true };
  let maxAbs = 0, maxRel = 0, nan = false;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(out[i]! - ref[i]!);
    if (Number.isNaN(d)) { nan = true; continue; } // a NaN anywhere makes the whole comparison NaN (never "close")
    if (d > maxAbs) maxAbs = d;
    const r = d / Math.max(Math.abs(ref[i]!), floor);
    if (r > maxRel) maxRel = r;
  }
  return nan ? { maxAbs: NaN, maxRel: NaN, refMaxAbs: refMax, lengthMismatch: false } : { maxAbs, maxRel, refMaxAbs: refMax, lengthMismatch: false };
}

/** Default tolerance: fp32 sums of thousands of products differ in the 6th digit between runtimes. */
export function defaultTolerance(refMaxAbs: number): number {
  return 1e-4 * Math.max(1, refMaxAbs);
}
