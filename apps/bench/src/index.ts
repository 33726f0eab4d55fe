/*
 * What other apps may use of the harness (the `tessera bench` command): one
 * case run with its outputs checked before the interleaved timing, and the
 * onnxruntime-node peer. The suites and the report stay internal.
 */
export { runCase, caseSummary } from './harness/runner.js';
export { compareOutputs, defaultTolerance, type Comparison } from './harness/compare.js';
export { stats, median } from './harness/stats.js';
export { OrtModel, loadOrt } from './peers/ort.js';
export type {
  BenchContext, BuiltCase, CaseDef, CaseRecord, Peer, PeerRecord, PeerStatus, Stats, TimedResult, Verdict,
} from './harness/types.js';
