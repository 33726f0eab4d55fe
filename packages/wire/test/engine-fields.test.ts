import { expect } from 'chai';
import { decodeTileResult, decodeTileTask, encodeTileResult, encodeTileTask, type TileResult, type TileSlice, type TileTask } from '../src/index.js';

/* The engine fields: a task's numeric mode (workers in another mode refuse it) and the engine a result was computed on. */
const REGION = { n0: 0, n1: 1, c0: 0, c1: 2, y0: 1, y1: 3, x0: 0, x1: 2 };
const SLICE: TileSlice = { source: 3, shape: [1, 2, 4, 4], region: REGION, data: new Float32Array(8).fill(0.5) };
const TASK: TileTask = {
  version: 1, runId: 'run-1', tileId: 7, stage: 2, modelId: 'face', modelVersion: 'ab'.repeat(32), inputShape: [1, 3, 8, 8],
  layers: [4, 5], regions: [REGION, REGION], inputs: [SLICE], attempt: 1,
};
const RESULT: TileResult = {
  version: 1, runId: 'run-1', tileId: 7, workerId: 'w1', attempt: 2, output: SLICE, timings: { queueMs: 1, computeMs: 2, codecMs: 0.5 },
};

describe('tile codecs: engine fields', () => {
  it('a task carries its numeric mode; absent stays absent', () => {
    for (const engineMode of ['exact', 'fma'] as const) expect(decodeTileTask(encodeTileTask({ ...TASK, engineMode })).engineMode).to.equal(engineMode);
    expect(decodeTileTask(encodeTileTask(TASK))).to.not.have.property('engineMode');
  });

  it('a mode other than exact or fma is refused, naming it', () => {
    expect(() => encodeTileTask({ ...TASK, engineMode: 'fast' as never })).to.throw(/engineMode must be 'exact' or 'fma', got "fast"/);
  });

  it('a result carries the engine that computed it', () => {
    expect(decodeTileResult(encodeTileResult({ ...RESULT, engine: 'native avx512 fma' })).engine).to.equal('native avx512 fma');
    expect(decodeTileResult(encodeTileResult(RESULT))).to.not.have.property('engine');
  });
});
