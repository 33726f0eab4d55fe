import { totalmem } from 'node:os';
import { TesseraError, fmtBytes, fmtShape } from '@tessera/tensor';
import type { InputShapes, MemoryStep, Model } from './model.js';

/*
 * The memory budget of a run (issue 14): size limits on a model file cover
 * its weights and input, not the feature maps its layers produce, so a few
 * hundred bytes can ask for gigabytes. Each executor works out what a run
 * will hold from shapes alone and refuses it before allocating anything.
 */

/** Half of this machine's memory: room for the process and its neighbours. */
export function defaultMemoryBudget(): number {
  return Math.floor(totalmem() / 2);
}

/** A budget option: bytes > 0 (Infinity turns the check off); undefined gives the default. */
export function resolveMemoryBudget(what: string, value: unknown): number {
  if (value === undefined) return defaultMemoryBudget();
  if (typeof value !== 'number' || !(value > 0) || (!Number.isInteger(value) && value !== Infinity)) {
    throw new TesseraError('BAD_ARGUMENT', `${what} must be a whole number of bytes > 0 (or Infinity), got ${String(value)}`, { maxMemoryBytes: value });
  }
  return value;
}

/**
 * Throws RESOURCE_EXHAUSTED at the first step (of a run of `model` on an
 * input of `inputShape`) holding more than `budget`
 * bytes, naming its layer, the bytes, the budget and the run's peak.
 */
export function checkMemoryBudget(model: Model, inputShape: InputShapes, steps: readonly MemoryStep[], budget: number, what: string): void {
  const over = steps.find((s) => s.bytes > budget);
  if (!over) return;
  const peak = steps.reduce((a, s) => (s.bytes > a.bytes ? s : a), over);
  const l = model.layers[over.layer]!;
  const shape = model.shapes(inputShape)[over.layer]!;
  const atPeak = peak === over ? '' : `; the run's peak is ${fmtBytes(peak.bytes)} at layer ${peak.layer} '${model.layers[peak.layer]!.name}'`;
  throw new TesseraError('RESOURCE_EXHAUSTED',
    `${what}: layer ${over.layer} '${l.name}' (${l.spec.op} → ${fmtShape(shape)}) needs ${fmtBytes(over.bytes)} of feature maps at once, ` +
    `over the memory budget of ${fmtBytes(budget)} (maxMemoryBytes)${atPeak}`,
    { layer: l.name, layerIndex: over.layer, bytes: over.bytes, budget, peakBytes: peak.bytes, peakLayer: peak.layer });
}
