import { Tensor } from '../tensor.js';
import { applyOp, type OpSpec } from '../ops/registry.js';
import { setWarmUp } from './wasm.js';

/*
 * V8 runs a wasm function's first calls on its baseline compiler (Liftoff)
 * and tiers it up to optimised code in the background once it has run enough;
 * a call already running is never upgraded, and on Liftoff the conv kernel is
 * ~5× slower. Warming runs every engine kernel on tiny inputs until V8 has had
 * reason to tier them all up, so no real run starts on the baseline code.
 * The compiled code lives in the Module, which worker threads share.
 */
const PROBLEMS: readonly { spec: OpSpec; input: number[]; weights: Record<string, number[]> }[] = [
  { spec: { op: 'conv2d', kernel: 3, padding: 'same', activation: 'relu' }, input: [1, 8, 9, 9], weights: { weight: [8, 8, 3, 3], bias: [8] } },
  { spec: { op: 'conv2d', kernel: 3, padding: 'same', groups: 8 }, input: [1, 8, 9, 9], weights: { weight: [8, 1, 3, 3] } },
  { spec: { op: 'dense' }, input: [2, 64], weights: { weight: [64, 16], bias: [16] } },
  { spec: { op: 'maxPool', kernel: 2 }, input: [1, 8, 8, 8], weights: {} },
  { spec: { op: 'avgPool', kernel: 3, stride: 1, padding: 'same' }, input: [1, 8, 8, 8], weights: {} },
  { spec: { op: 'l2Pool', kernel: 2 }, input: [1, 8, 8, 8], weights: {} },
  { spec: { op: 'globalAvgPool' }, input: [1, 8, 4, 4], weights: {} },
  { spec: { op: 'globalMaxPool' }, input: [1, 8, 4, 4], weights: {} },
];

/** Rounds of every problem: enough for V8's tier-up budget, ~10 ms in all. */
const ROUNDS = 60;

let warmed = false;

/** Runs every engine kernel on tiny inputs (once per thread, when the engine starts; later calls return at once). */
export function warmUpEngine(): void {
  if (warmed) return;
  warmed = true;
  const ready = PROBLEMS.map((p) => ({
    spec: p.spec,
    input: Tensor.filled(p.input, 0.5),
    weights: Object.fromEntries(Object.entries(p.weights).map(([k, s]) => [k, Tensor.filled(s, 0.25)])),
  }));
  for (let i = 0; i < ROUNDS; i++) for (const p of ready) applyOp(p.spec, [p.input], p.weights);
}

setWarmUp(warmUpEngine);
