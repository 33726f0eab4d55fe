import { TesseraError, fmtShape } from '../../errors.js';
import type { Region } from '../../region.js';
import { dims4, shapesEqual, type Shape } from '../../shape.js';
import { ONLY_OP, checkInputCount, checkSpecOp, checkWeightNames, identityWindow } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/**
 * Element-wise sum of two or more inputs of one shape (residual and dense
 * connections). The sum is taken in input order, ((x0 + x1) + x2) + ...,
 * in double precision, rounded once to float32.
 */
export interface AddSpec { readonly op: 'add' }

export function addOutputShape(spec: AddSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['add'], 'add', ONLY_OP);
  checkInputCount('add', inputs, 2, Infinity);
  checkWeightNames('add', weights, []);
  const first = inputs[0]!;
  dims4(first, 'add input 0');
  for (let i = 1; i < inputs.length; i++) {
    if (!shapesEqual(inputs[i]!, first)) {
      throw new TesseraError('SHAPE_MISMATCH', `add input ${i} has shape ${fmtShape(inputs[i]!)}, input 0 has ${fmtShape(first)}; all inputs must have one shape`,
        { index: i, shape: inputs[i], expected: first });
    }
  }
  return first;
}

/** Every input is read at the output's own positions. */
export function addInputRegion(_spec: AddSpec, out: Region): Region {
  return { ...out };
}

export function addWindow(_spec: AddSpec, inputs: readonly Shape[]): Geometry {
  const [, , h, w] = dims4(inputs[0]!, 'add input');
  return identityWindow(h, w);
}

/** inputs − 1 additions per element. */
export function addFlops(_spec: AddSpec, inputs: readonly Shape[], outShape: Shape): number {
  let n = 1;
  for (const d of outShape) n *= d;
  return n * (inputs.length - 1);
}
