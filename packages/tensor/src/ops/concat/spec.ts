import { TesseraError, fmtShape } from '../../errors.js';
import type { Region } from '../../region.js';
import { expectRank4, type Shape } from '../../shape.js';
import { ONLY_OP, checkInputCount, checkSpecOp, checkWeightNames, identityWindow } from '../invoke.js';
import type { Geometry, WeightShapes } from '../op.js';

/** Channel concatenation (axis 1) of one or more NCHW inputs with equal N, H and W. */
export interface ConcatSpec { readonly op: 'concat' }

export function concatOutputShape(spec: ConcatSpec, inputs: readonly Shape[], weights: WeightShapes): Shape {
  checkSpecOp(spec, ['concat'], 'concat', ONLY_OP);
  checkInputCount('concat', inputs, 1, Infinity);
  checkWeightNames('concat', weights, []);
  const [n, c0, h, w] = expectRank4(inputs[0]!, 'concat input 0');
  let c = c0;
  for (let i = 1; i < inputs.length; i++) {
    const [ni, ci, hi, wi] = expectRank4(inputs[i]!, `concat input ${i}`);
    if (ni !== n || hi !== h || wi !== w) {
      const axis = ni !== n ? `N ${ni} ≠ ${n}` : hi !== h ? `H ${hi} ≠ ${h}` : `W ${wi} ≠ ${w}`;
      throw new TesseraError('SHAPE_MISMATCH',
        `concat input ${i} ${fmtShape(inputs[i]!)} does not match input 0 ${fmtShape(inputs[0]!)} (${axis}); only channels may differ`,
        { index: i, shape: inputs[i], first: inputs[0] });
    }
    c += ci;
  }
  return [n, c, h, w];
}

/** First output channel of each input. */
export function concatOffsets(inputs: readonly Shape[]): number[] {
  const offs: number[] = [];
  let c = 0;
  for (const s of inputs) {
    offs.push(c);
    c += s[1]!;
  }
  return offs;
}

/** Input `index` is read on the output channels it supplies; null when the region takes none of them. */
export function concatInputRegion(_spec: ConcatSpec, out: Region, inputs: readonly Shape[], index: number): Region | null {
  const shape = inputs[index];
  if (!shape) return null;
  const base = concatOffsets(inputs)[index]!;
  const c0 = Math.max(out.c0, base) - base, c1 = Math.min(out.c1, base + shape[1]!) - base;
  if (c1 <= c0) return null;
  return { ...out, c0, c1 };
}

export function concatWindow(_spec: ConcatSpec, inputs: readonly Shape[]): Geometry {
  const [, , h, w] = expectRank4(inputs[0]!, 'concat input 0');
  return identityWindow(h, w);
}

/** A copy: no arithmetic. */
export function concatFlops(): number {
  return 0;
}
