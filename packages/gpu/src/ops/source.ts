import { TesseraError, type Geometry, type Region, type Shape, type Tensor, type Weights } from '@tessera/tensor';

/*
 * Shared pieces of the kernel sources. Every GPU kernel is generated as the
 * source text of a gpu.js kernel function with all shapes, offsets and loop
 * bounds written in as literals: gpu.js silently stops loops bounded by an
 * argument after 1000 iterations, and literals make each (spec, shapes,
 * region) its own compiled kernel, which the kernel cache then reuses.
 *
 * Kernel arguments are the feature-map inputs `in0, in1, …` (3-D, see
 * layout.ts), the plan's flat weight arrays `w0, w1, …`, then the integer
 * origins of the output region and of each input's stored box: positions
 * are arguments, extents are literals, so a kernel serves every region of
 * one shape.
 */

/** How one input is stored on the device: its logical shape and the box of it the value holds. */
export interface InputLayout {
  readonly shape: Shape;
  readonly box: Region;
}

/** What a GPU op builder gets: the op's spec, how its inputs are stored, and the output region to fill. */
export interface GpuKernelRequest<S> {
  readonly spec: S;
  readonly inputs: readonly InputLayout[];
  readonly outShape: Shape;
  readonly region: Region;
  readonly weights: Weights;
}

/** A kernel to run: its source (deterministic from the request, so it is the cache key) and the weight arrays to pass. */
export interface GpuKernelPlan {
  readonly source: string;
  readonly weights: readonly Float32Array[];
}

export type GpuOpBuilder<S> = (req: GpuKernelRequest<S>) => GpuKernelPlan;

/** A float literal gpu.js and GLSL both read as float (integers get `.0`). */
export function lit(v: number): string {
  if (!Number.isFinite(v)) throw new TesseraError('BAD_ARGUMENT', `GPU kernels take finite constants, got ${v}`);
  const s = String(v);
  return /[.eE]/.test(s) ? (s.includes('e') && !s.includes('.') ? s.replace('e', '.0e') : s) : `${s}.0`;
}

/**
 * Declares `on, oc, oy, ox`: the output element this thread computes, in
 * full-tensor coordinates. The region's origin comes in as the scalar
 * arguments `rn0, rc0, ry0, rx0` (its extents are literals), so every region
 * of one shape shares a compiled kernel. thread.z = (n − n0)·(c1 − c0) +
 * (c − c0); the division takes +0.5 so a GPU's approximate divide can never
 * land below an exact integer quotient.
 */
export function threadDecl(r: Region): string {
  const rc = r.c1 - r.c0;
  return [
    'const ox = this.thread.x + rx0;',
    'const oy = this.thread.y + ry0;',
    'const tz = this.thread.z;',
    `const tn = Math.floor((tz + 0.5) / ${rc});`,
    'const on = tn + rn0;',
    `const oc = tz - tn * ${rc} + rc0;`,
  ].join('\n  ');
}

/**
 * A sliding window's first tap (y0, x0) and the input's row/column bounds
 * [ylo, yhi) × [xlo, xhi), all local to input 0's stored box: the box origin
 * is subtracted once per thread, not once per tap (conv2d and the pools).
 */
export function windowOrigin(g: Geometry): string {
  return [
    `const y0 = oy * ${g.sh} - ${g.pt} - i0y0;`,
    `const x0 = ox * ${g.sw} - ${g.pl} - i0x0;`,
    'const ylo = 0 - i0y0;',
    `const yhi = ${g.inH} - i0y0;`,
    'const xlo = 0 - i0x0;',
    `const xhi = ${g.inW} - i0x0;`,
  ].join('\n  ');
}

/**
 * Expression reading element (n, c, y, x) (full-tensor coordinates) of input
 * `i`. The stored box's origin is the scalar arguments `i<i>n0 … i<i>x0`; its
 * channel count is a literal (it is the stride of the z index).
 */
export function readInput(i: number, layout: InputLayout, n: string, c: string, y: string, x: string): string {
  const b = layout.box;
  return `in${i}[(${n} - i${i}n0) * ${b.c1 - b.c0} + (${c} - i${i}c0)][${y} - i${i}y0][${x} - i${i}x0]`;
}

/**
 * The kernel function text: arguments are the feature maps `in0…`, the
 * weight arrays `w0…`, the region origin and each input's box origin
 * (see `originArgs`).
 */
export function kernelSource(inputs: number, weights: number, body: string): string {
  const args = [
    ...Array.from({ length: inputs }, (_, i) => `in${i}`),
    ...Array.from({ length: weights }, (_, i) => `w${i}`),
    'rn0', 'rc0', 'ry0', 'rx0',
    ...Array.from({ length: inputs }, (_, i) => [`i${i}n0`, `i${i}c0`, `i${i}y0`, `i${i}x0`]).flat(),
  ];
  return `function (${args.join(', ')}) {\n  ${body}\n}`;
}

/** The scalar arguments that follow the weights: region origin, then each input box's origin. */
export function originArgs(region: Region, boxes: readonly Region[]): number[] {
  return [region.n0, region.c0, region.y0, region.x0, ...boxes.flatMap((b) => [b.n0, b.c0, b.y0, b.x0])];
}

/** A weight as a flat float32 array (no copy when contiguous), optionally elements [from, to). */
export function flatWeight(t: Tensor, from = 0, to?: number): Float32Array {
  const a = t.toFloat32Array();
  return from === 0 && (to === undefined || to === a.length) ? a : a.subarray(from, to);
}
