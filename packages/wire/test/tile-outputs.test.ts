import { expect } from 'chai';
import { rng } from '@tessera/tensor';
import { TILE_PROTOCOL_VERSION, decodeTileResult, decodeTileTask, encodeTileResult, encodeTileTask, type TileResult, type TileSlice, type TileTask } from '../src/index.js';
import { expectBitEqual, expectCode, randomSlice } from './tile-fixtures.js';

/** Tasks and results of a model with several outputs: a whole-input task returns the outputs it computes on its way. */
describe('tile messages with extra outputs', () => {
  const r = rng(15);
  const region = { n0: 0, n1: 1, c0: 0, c1: 2, y0: 0, y1: 3, x0: 0, x1: 3 };
  const task: TileTask = {
    version: TILE_PROTOCOL_VERSION, runId: 'run-1', tileId: 7, stage: 0, modelId: 'm', modelVersion: 'ab12cd34',
    inputShape: [1, 2, 3, 3], layers: [0, 1, 2, 3], regions: [region, region, region, region], inputs: [], attempt: 1, extraOutputs: [0, 2],
  };
  const slices: TileSlice[] = [randomSlice(r), randomSlice(r)];
  const result: TileResult = {
    version: TILE_PROTOCOL_VERSION, runId: 'run-1', tileId: 7, workerId: 'w', attempt: 1, output: randomSlice(r), extraOutputs: slices,
    timings: { queueMs: 0, computeMs: 1, codecMs: 0 },
  };

  it('round-trip bit for bit; without extra outputs the bytes are what they were', () => {
    expectBitEqual(decodeTileTask(encodeTileTask(task)), task);
    expectBitEqual(decodeTileResult(encodeTileResult(result)), result);
    const { extraOutputs: _t, ...plainTask } = task;
    const { extraOutputs: _r, ...plainResult } = result;
    expect(encodeTileTask({ ...task, extraOutputs: [] })).to.deep.equal(encodeTileTask(plainTask));
    expect(decodeTileTask(encodeTileTask(plainTask))).not.to.have.property('extraOutputs');
    expect(decodeTileResult(encodeTileResult(plainResult))).not.to.have.property('extraOutputs');
  });

  it('refuse extra outputs that are not earlier layers of the task, in order, or that come without an output', () => {
    const bad = (extraOutputs: number[], re: RegExp): void => {
      expectCode(() => encodeTileTask({ ...task, extraOutputs }), 'BAD_ARGUMENT', re);
    };
    bad([3], /extraOutputs\[0\] 3 is not a layer of the task before its last/);
    bad([9], /extraOutputs\[0\] 9 is not a layer/);
    bad([2, 0], /extraOutputs\[1\] 0 is not a layer/);
    bad([1, 1], /extraOutputs\[1\] 1 is not a layer/);
    const { output: _o, ...noOutput } = result;
    expectCode(() => encodeTileResult({ ...noOutput, outputRef: 'tiles/x' }), 'BAD_ARGUMENT', /extraOutputs \(2 slices\) come only with output, not with outputRef/);
    expectCode(() => encodeTileResult({ ...noOutput, error: { code: 'KERNEL_FAILED', message: 'x' } }), 'BAD_ARGUMENT', /come only with output, not with error/);
  });

  it('carry the shapes of a model\'s inputs after the first, checked', () => {
    const more = { ...task, moreInputShapes: [[1, 1, 3, 3], [1, 5]] };
    expectBitEqual(decodeTileTask(encodeTileTask(more)), more);
    expectCode(() => encodeTileTask({ ...task, moreInputShapes: [[1, 0, 3, 3]] }), 'BAD_ARGUMENT', /moreInputShapes\[0\]/);
  });
});
