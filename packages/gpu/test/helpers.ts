import { GpuOpRunner, glUnavailableReason, type GpuBackendName, type GpuMode } from '../src/index.js';
import type { Tensor } from '@tessera/tensor';

/**
 * The GL-requirement rule: a GL test calls `requireGl(this)` first. When GL
 * is unavailable it fails under TESSERA_REQUIRE_GL=1 (naming the kernel
 * class gpu.js would run and why GL is unavailable), else it prints why and
 * skips.
 */
export function requireGl(ctx: Mocha.Context): void {
  const why = glUnavailableReason();
  if (!why) return;
  let ran = 'none';
  try {
    const be = new GpuOpRunner({ mode: 'auto' });
    ran = `${be.kernelClass} ('${be.backend}')`;
    void be.close();
  } catch (e) {
    ran = `nothing (${(e as Error).message})`;
  }
  const msg = `GL backend unavailable: ${why}; gpu.js runs ${ran} instead`;
  if (process.env.TESSERA_REQUIRE_GL === '1') throw new Error(`TESSERA_REQUIRE_GL=1 but ${msg}`);
  console.log(`    [skip] ${msg}`);
  ctx.skip();
}

/** Modes to test: gl (GL rule applies), webasm, cpu. */
export const MODES: readonly Exclude<GpuMode, 'auto'>[] = ['gl', 'webasm', 'cpu'];

export function skipUnlessMode(ctx: Mocha.Context, mode: GpuMode): void {
  if (mode === 'gl') requireGl(ctx);
}

/**
 * Relative error as the tests define it: max over elements of
 * |a − b| / max(1, |b|), b the reference (absolute for small values,
 * relative for large ones). Only elements inside `mask` (a predicate on the
 * flat index) count when given.
 */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, mask?: (i: number) => boolean): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask(i)) continue;
    const e = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(e <= m)) m = e; // NaN propagates
  }
  return m;
}

/**
 * max |a − b| ÷ max |b|: the measure of the kernels' numeric contract
 * (FAST_TOLERANCE), which GPU results are held to as well. Measured on the
 * test models: at most 6.2e-7 on gl (Mesa under Xvfb), webasm and cpu.
 */
export function errToMax(a: Tensor, b: Tensor): number {
  const x = a.toFloat32Array(), y = b.toFloat32Array();
  if (x.length !== y.length) throw new Error(`length ${x.length} vs ${y.length}`);
  let d = 0, m = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(x[i]! - y[i]!);
    if (!(e <= d)) d = e; // NaN propagates
    m = Math.max(m, Math.abs(y[i]!));
  }
  return d / Math.max(m, Number.MIN_VALUE);
}

export type { GpuBackendName };
