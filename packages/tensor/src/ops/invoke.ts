import { TesseraError, fmtShape } from '../errors.js';
import { checkKeys } from '../options.js';
import { checkRegion, fullRegion, type Region } from '../region.js';
import { shapesEqual, type Shape } from '../shape.js';
import { checkSize } from '../alloc.js';
import { Tensor } from '../tensor.js';
import type { Geometry, OpDef, WeightShapes, Weights } from './op.js';

/**
 * Shared plumbing of the op folders: argument checks every kernel runs before
 * touching memory, and the validate-allocate-run path of the public
 * convenience functions.
 */

export type OutputShapeFn<S> = (spec: S, inputs: readonly Shape[], weights: WeightShapes) => Shape;

/**
 * Throws BAD_ARGUMENT unless `spec` is an object whose `op` is one of `ops`
 * and whose every key is in `keys` (a misspelt `padd` would otherwise run as
 * the default padding).
 */
export function checkSpecOp(spec: unknown, ops: readonly string[], what: string, keys: readonly string[]): void {
  if (spec === null || typeof spec !== 'object') {
    throw new TesseraError('BAD_ARGUMENT', `${what} spec must be an object, got ${String(spec)}`, { spec });
  }
  const op = (spec as { op?: unknown }).op;
  if (typeof op !== 'string' || !ops.includes(op)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} spec.op must be one of ${ops.map((o) => `'${o}'`).join(', ')}, got ${JSON.stringify(op)}`, { op });
  }
  checkKeys(`${op} spec`, spec, keys);
}

/** The keys of a spec with no parameters. */
export const ONLY_OP: readonly string[] = ['op'];

/** Throws BAD_ARGUMENT unless there are between `min` and `max` inputs. */
export function checkInputCount(what: string, inputs: readonly unknown[], min: number, max = min): void {
  if (!Array.isArray(inputs) || inputs.length < min || inputs.length > max) {
    const want = max === min ? `${min}` : max === Infinity ? `${min} or more` : `${min} to ${max}`;
    throw new TesseraError('BAD_ARGUMENT', `${what} takes ${want} input${want === '1' ? '' : 's'}, got ${Array.isArray(inputs) ? inputs.length : String(inputs)}`, { count: Array.isArray(inputs) ? inputs.length : undefined });
  }
}

/** Throws BAD_ARGUMENT for a weight name the op does not know (a misspelt `bias` would otherwise be ignored). */
export function checkWeightNames(what: string, weights: WeightShapes, allowed: readonly string[]): void {
  for (const name of Object.keys(weights ?? {})) {
    if (weights[name] !== undefined && !allowed.includes(name)) {
      const ok = allowed.length ? `it accepts ${allowed.join(', ')}` : 'it takes no weights';
      throw new TesseraError('BAD_ARGUMENT', `${what} got an unknown weight '${name}'; ${ok}`, { weight: name });
    }
  }
}

/** Throws SHAPE_MISMATCH unless the weight shape is the vector [len]. */
export function checkVector(what: string, shape: Shape, len: number, meaning: string): void {
  if (shape.length !== 1 || shape[0] !== len) {
    throw new TesseraError('SHAPE_MISMATCH', `${what} ${fmtShape(shape)} must be [${len}] (${meaning})`, { shape, expected: [len] });
  }
}

/** Shapes of named weights; throws BAD_ARGUMENT when a weight is not a Tensor. */
export function shapesOfWeights(weights: Weights | undefined): WeightShapes {
  const out: Record<string, Shape | undefined> = {};
  for (const [name, t] of Object.entries(weights ?? {})) {
    if (t === undefined) continue;
    if (!(t instanceof Tensor)) {
      throw new TesseraError('BAD_ARGUMENT', `weight '${name}' must be a Tensor, got ${Object.prototype.toString.call(t)}`, { weight: name });
    }
    out[name] = t.shape;
  }
  return out;
}

function inputShapes(inputs: readonly Tensor[], what: string): Shape[] {
  if (!Array.isArray(inputs)) throw new TesseraError('BAD_ARGUMENT', `${what} inputs must be an array of Tensors, got ${String(inputs)}`);
  return inputs.map((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new TesseraError('BAD_ARGUMENT', `${what} input ${i} must be a Tensor, got ${Object.prototype.toString.call(t)}`, { index: i });
    }
    return t.shape;
  });
}

/**
 * What every kernel runs first: the spec, inputs and weights are valid, `out`
 * has the output shape, and `region` is a non-empty integer box inside it.
 * The cost is independent of the region size, so tiles pay it once each.
 */
export function checkKernelCall<S>(
  outputShape: OutputShapeFn<S>, spec: S, inputs: readonly Tensor[], weights: Weights, out: Tensor, region: Region, what: string,
): Shape {
  const shape = outputShape(spec, inputShapes(inputs, what), shapesOfWeights(weights));
  if (!(out instanceof Tensor)) throw new TesseraError('BAD_ARGUMENT', `${what} output must be a Tensor, got ${Object.prototype.toString.call(out)}`);
  if (!shapesEqual(out.shape, shape)) {
    throw new TesseraError('SHAPE_MISMATCH', `${what} output ${fmtShape(out.shape)} must have shape ${fmtShape(shape)}`, { out: out.shape, expected: shape });
  }
  checkRegion(region, shape, `${what} region`);
  return shape;
}

/**
 * The public convenience path: validate, allocate `out` when not given,
 * default the region to the whole output, run the chosen kernel.
 */
export function invokeOp<S extends { readonly op: string }>(
  def: OpDef<S>, spec: NoInfer<S>, inputs: readonly Tensor[], weights: Weights, out: Tensor | undefined, region: Region | undefined,
  impl: 'fast' | 'reference',
): Tensor {
  const shape = def.outputShape(spec, inputShapes(inputs, def.op), shapesOfWeights(weights));
  checkSize(shape, `${def.op} output`); // before allocating: the op's own outputShape (not the registry's) ran
  const o = out ?? Tensor.zeros(shape);
  if (!(o instanceof Tensor) || !shapesEqual(o.shape, shape)) {
    throw new TesseraError('SHAPE_MISMATCH', `${def.op} output ${o instanceof Tensor ? fmtShape(o.shape) : String(o)} must have shape ${fmtShape(shape)}`, { expected: shape });
  }
  const r = region ?? fullRegion(shape);
  checkRegion(r, shape, `${def.op} region`);
  def[impl](inputs, weights, spec, o, r);
  return o;
}

/** The 1×1, stride-1 window of ops that map each pixel to the same pixel (element-wise, softmax, concat). */
export function identityWindow(inH: number, inW: number): Geometry {
  return { kh: 1, kw: 1, sh: 1, sw: 1, dh: 1, dw: 1, pt: 0, pb: 0, pl: 0, pr: 0, inH, inW, outH: inH, outW: inW };
}

