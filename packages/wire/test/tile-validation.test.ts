import { expect } from 'chai';
import {
  ProtoWriter, TILE_RESULT_FIELDS, TILE_TASK_FIELDS, WireType,
  decodeTileResult, decodeTileSlices, decodeTileTask, encodeTileResult, encodeTileSlices, encodeTileTask,
  type TileResult, type TileSlice, type TileTask,
} from '../src/index.js';
import { expectCode } from './tile-fixtures.js';
import { pb, pbEncode, pbResult, pbSlice, pbTask, type PbObject } from './tile-pb.js';

const REGION = { n0: 0, n1: 1, c0: 0, c1: 2, y0: 1, y1: 3, x0: 0, x1: 2 };
const SLICE: TileSlice = { source: 3, shape: [1, 2, 4, 4], region: REGION, data: new Float32Array(8).fill(0.5) };
const TASK: TileTask = {
  version: 1, runId: 'run-1', tileId: 7, stage: 2, modelId: 'face', modelVersion: 'ab'.repeat(32), inputShape: [1, 3, 8, 8],
  layers: [4, 5], regions: [REGION, REGION], inputs: [SLICE], attempt: 1,
};
const RESULT: TileResult = {
  version: 1, runId: 'run-1', tileId: 7, workerId: 'w1', attempt: 2, output: SLICE, timings: { queueMs: 1, computeMs: 2, codecMs: 0.5 },
};

/** The task / result with `patch` applied to its protobufjs object, encoded by protobufjs (which checks nothing of ours). */
const taskWith = (patch: PbObject): Uint8Array => pbEncode(pb.TileTask, { ...pbTask(TASK), ...patch });
const resultWith = (patch: PbObject, base: TileResult = RESULT): Uint8Array => {
  const o = pbResult(base);
  delete o.output;
  return pbEncode(pb.TileResult, { ...o, ...patch });
};
const sliceWith = (patch: PbObject): PbObject => ({ ...pbSlice(SLICE), ...patch });
const BAD = 'BAD_MESSAGE';

describe('tile codecs: validation', () => {
  it('the fixtures are valid', () => {
    expect(decodeTileTask(encodeTileTask(TASK)).tileId).to.equal(7);
    expect(decodeTileResult(encodeTileResult(RESULT)).attempt).to.equal(2);
    expect(decodeTileTask(taskWith({})).runId).to.equal('run-1');
  });

  it('TileTask: an unknown protocol version, named', () => {
    expectCode(() => decodeTileTask(taskWith({ version: 2 })), BAD, /^bad TileTask message: tile protocol version 2 is not supported/);
    expectCode(() => decodeTileTask(taskWith({ version: 0 })), BAD, /version 0 is not supported/);
    // The version is checked before the slices, whose layout another version may change.
    expectCode(() => decodeTileTask(taskWith({ version: 9, inputs: [sliceWith({ data: new Uint8Array(3) })] })), BAD, /version 9/);
  });

  it('TileTask: empty runId, modelId; modelVersion not a hex digest', () => {
    expectCode(() => decodeTileTask(taskWith({ run_id: '' })), BAD, /runId is empty/);
    expectCode(() => decodeTileTask(taskWith({ model_id: '' })), BAD, /modelId is empty/);
    for (const v of ['', 'abc', 'AB'.repeat(32), 'sha256:' + 'a'.repeat(64), 'g'.repeat(64), 'a'.repeat(129)]) {
      expectCode(() => decodeTileTask(taskWith({ model_version: v })), BAD, /modelVersion must be a lower-case hex digest/);
    }
  });

  it('TileTask: tileId beyond 2^53 and attempt 0 or beyond uint32', () => {
    expectCode(() => decodeTileTask(taskWith({ tile_id: '9007199254740993' })), BAD, /exceeds 2\^53/);
    expectCode(() => decodeTileTask(taskWith({ attempt: 0 })), BAD, /attempt must be an integer in \[1, 4294967295\], got 0/);
    const w = new ProtoWriter().tag(TILE_TASK_FIELDS.attempt, WireType.VARINT).varint(2 ** 33).finish();
    expectCode(() => decodeTileTask(Buffer.concat([taskWith({}), w])), BAD, /attempt 8589934592 does not fit in uint32/);
  });

  it('TileTask: no layers, a region per layer, empty regions, a bad input shape', () => {
    expectCode(() => decodeTileTask(taskWith({ layers: [], regions: [] })), BAD, /layers is empty/);
    expectCode(() => decodeTileTask(taskWith({ regions: [REGION] })), BAD, /regions has 1 elements, layers has 2/);
    expectCode(() => decodeTileTask(taskWith({ regions: [REGION, { ...REGION, y0: 3 }] })), BAD, /regions\[1\] .*y\[3,3\).* is empty on axis y/);
    expectCode(() => decodeTileTask(taskWith({ regions: [REGION, {}] })), BAD, /regions\[1\] .* is empty on axis n/);
    expectCode(() => decodeTileTask(taskWith({ input_shape: [] })), BAD, /inputShape is empty/);
    expectCode(() => decodeTileTask(taskWith({ input_shape: [1, 0, 8] })), BAD, /inputShape \[1, 0, 8\] has a bad dimension 1: 0/);
  });

  it('TileTask: input slices with wrong data lengths, regions outside their shapes, bad ranks and sources', () => {
    const bad = (s: PbObject) => () => decodeTileTask(taskWith({ inputs: [pbSlice(SLICE), s] }));
    expectCode(bad(sliceWith({ data: new Uint8Array(28) })), BAD, /inputs\[1\]\.data has 28 bytes, region n\[0,1\) c\[0,2\) y\[1,3\) x\[0,2\) needs 32/);
    expectCode(bad(sliceWith({ data: new Uint8Array(0) })), BAD, /inputs\[1\]\.data has 0 bytes/);
    expectCode(bad(sliceWith({ region: { ...REGION, x1: 5 } })), BAD, /inputs\[1\]\.region .* outside \[0, 4\) on axis x/);
    expectCode(bad(sliceWith({ region: undefined })), BAD, /inputs\[1\]\.region is missing/);
    expectCode(bad(sliceWith({ shape: [2, 4, 4] })), BAD, /rank 4 \(NCHW\) or 2/);
    expectCode(bad(sliceWith({ shape: [] })), BAD, /inputs\[1\]\.shape is empty/);
    expectCode(bad(sliceWith({ source: -10_001 })), BAD, /inputs\[1\]\.source must be an integer in \[-10000, 2147483647\], got -10001/);
  });

  it('TileTask: inputsRef only with no inputs', () => {
    expectCode(() => decodeTileTask(taskWith({ inputs_ref: 'obj/1' })), BAD, /inputsRef "obj\/1" is set but inputs has 1 slices/);
    const t = decodeTileTask(taskWith({ inputs_ref: 'obj/1', inputs: [] }));
    expect(t.inputsRef).to.equal('obj/1');
    expect('inputsRef' in decodeTileTask(taskWith({}))).to.equal(false);
  });

  it('TileTask: limits on message bytes, strings, slices, layers, rank and tensor bytes', () => {
    const bytes = taskWith({});
    expectCode(() => decodeTileTask(bytes, { maxTileBytes: bytes.length - 1 }), BAD, new RegExp(`${bytes.length} bytes exceed maxTileBytes`));
    expect(decodeTileTask(bytes, { maxTileBytes: bytes.length }).runId).to.equal('run-1');
    expectCode(() => decodeTileTask(taskWith({ run_id: 'r'.repeat(101) }), { maxStringBytes: 100 }), BAD, /runId of 101 bytes exceeds the limit of 100 bytes/);
    expectCode(() => decodeTileTask(taskWith({ inputs: [pbSlice(SLICE), pbSlice(SLICE)] }), { maxSlices: 1 }), BAD, /inputs has more than maxSlices 1/);
    expectCode(() => decodeTileTask(bytes, { maxLayers: 1 }), BAD, /layers has more than 1 elements/);
    expectCode(() => decodeTileTask(bytes, { maxRank: 3 }), BAD, /inputShape has more than 3 elements/);
    expectCode(() => decodeTileTask(bytes, { maxTensorBytes: 100 }), BAD, /inputShape \[1, 3, 8, 8\] exceeds maxTensorBytes 100/);
  });

  it('TileTask: a slice declaring a 2^40-byte region or data is refused before any allocation', () => {
    const ab0 = process.memoryUsage().arrayBuffers;
    const huge = { n0: 0, n1: 1024, c0: 0, c1: 1024, y0: 0, y1: 1024, x0: 0, x1: 1024 };
    expectCode(() => decodeTileTask(taskWith({ inputs: [sliceWith({ shape: [1024, 1024, 1024, 1024], region: huge })] })), BAD, /maxTensorBytes/);
    expectCode(() => decodeTileTask(taskWith({ regions: [REGION, huge] })), BAD, /regions\[1\] .* exceeds maxTensorBytes/);
    // A data field whose length prefix says 2^40 bytes.
    const lie = new ProtoWriter().tag(TILE_TASK_FIELDS.inputs, WireType.LEN).varint(2 ** 40).finish();
    expectCode(() => decodeTileTask(Buffer.concat([taskWith({}), lie])), BAD, /inputs declares 1099511627776 bytes/);
    expect(process.memoryUsage().arrayBuffers - ab0).to.be.below(1 << 20);
  });

  it('TileTask: wrong wire types and truncation', () => {
    const w = new ProtoWriter().tag(TILE_TASK_FIELDS.run_id, WireType.VARINT).varint(1).finish();
    expectCode(() => decodeTileTask(Buffer.concat([taskWith({}), w])), BAD, /runId has wire type 0, expected 2/);
    const bytes = taskWith({});
    expectCode(() => decodeTileTask(bytes.subarray(0, bytes.length - 3)), BAD, /declares|truncated/);
    expectCode(() => decodeTileTask(new Uint8Array(0)), BAD, /version 0 is not supported/);
    expectCode(() => decodeTileTask('abc' as unknown as Uint8Array), 'BAD_ARGUMENT', /needs a Uint8Array/);
  });

  it('TileResult: exactly one of output, outputRef and error', () => {
    expectCode(() => decodeTileResult(resultWith({})), BAD, /exactly one of output, outputRef and error, it has 0/);
    expectCode(() => decodeTileResult(resultWith({ output_ref: '' })), BAD, /outputRef is empty/);
    const twice = Buffer.concat([encodeTileResult(RESULT), new ProtoWriter().stringField(TILE_RESULT_FIELDS.output_ref, 'x').finish()]);
    expectCode(() => decodeTileResult(twice), BAD, /more than one of output, outputRef and error/);
    expect(decodeTileResult(resultWith({ output_ref: 'obj/2' })).outputRef).to.equal('obj/2');
    expect(decodeTileResult(resultWith({ error: { code: 'KERNEL_FAILED', message: '' } })).error).to.deep.equal({ code: 'KERNEL_FAILED', message: '' });
  });

  it('TileResult: version, runId, workerId, attempt, error codes and timings', () => {
    const ok = { output_ref: 'obj/2' };
    expectCode(() => decodeTileResult(resultWith({ ...ok, version: 3 })), BAD, /tile protocol version 3 is not supported/);
    expectCode(() => decodeTileResult(resultWith({ ...ok, run_id: '' })), BAD, /runId is empty/);
    expectCode(() => decodeTileResult(resultWith({ ...ok, worker_id: '' })), BAD, /workerId is empty/);
    expectCode(() => decodeTileResult(resultWith({ ...ok, attempt: 0 })), BAD, /attempt must be an integer in \[1/);
    for (const code of ['', 'kernel_failed', 'BAD CODE', 'X'.repeat(65)]) {
      expectCode(() => decodeTileResult(resultWith({ error: { code, message: 'm' } })), BAD, /error\.code must be an error code/);
    }
    for (const [v, shown] of [[NaN, 'NaN'], [-1, '-1'], [Infinity, 'Infinity']] as const) {
      expectCode(() => decodeTileResult(resultWith({ ...ok, timings: { queue_ms: 0, compute_ms: v, codec_ms: 0 } })), BAD,
        new RegExp(`timings\\.computeMs must be a finite number ≥ 0, got ${shown}`));
    }
    const noTimings = resultWith({ ...ok, timings: undefined });
    expect(decodeTileResult(noTimings).timings).to.deep.equal({ queueMs: 0, computeMs: 0, codecMs: 0 });
  });

  it('TileResult: the output slice is checked like an input slice', () => {
    const withOutput = (s: PbObject) => resultWith({ output: s });
    expectCode(() => decodeTileResult(withOutput(sliceWith({ data: new Uint8Array(36) }))), BAD, /output\.data has 36 bytes/);
    expectCode(() => decodeTileResult(withOutput(sliceWith({ shape: [1, 2, 2, 4] }))), BAD, /output\.region .* outside \[0, 2\) on axis y/);
  });

  it('TileSlices: each slice checked, maxSlices applied', () => {
    const obj = { slices: [pbSlice(SLICE), sliceWith({ data: new Uint8Array(4) })] };
    expectCode(() => decodeTileSlices(pbEncode(pb.TileSlices, obj)), BAD, /^bad TileSlices message: slices\[1\]\.data has 4 bytes/);
    const three = encodeTileSlices([SLICE, SLICE, SLICE]);
    expectCode(() => decodeTileSlices(three, { maxSlices: 2 }), BAD, /slices has more than maxSlices 2/);
    expect(decodeTileSlices(three, { maxSlices: 3 })).to.have.length(3);
  });

  it('encoders refuse what decoders would refuse, with BAD_ARGUMENT naming the field', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => encodeTileTask({ ...TASK, tileId: 1.5 }), /tileId must be an integer in \[0, 9007199254740991\], got 1.5/],
      [() => encodeTileTask({ ...TASK, tileId: 2 ** 53 }), /tileId must be an integer/],
      [() => encodeTileTask({ ...TASK, tileId: NaN }), /tileId .* got NaN/],
      [() => encodeTileTask({ ...TASK, version: 2 }), /version 2 is not supported/],
      [() => encodeTileTask({ ...TASK, modelVersion: 'v1' }), /modelVersion must be a lower-case hex digest .* got "v1"/],
      [() => encodeTileTask({ ...TASK, regions: [REGION] }), /regions has 1 elements, layers has 2/],
      [() => encodeTileTask({ ...TASK, inputsRef: 'x' }), /inputsRef "x" is set but inputs has 1/],
      [() => encodeTileTask({ ...TASK, inputs: [{ ...SLICE, data: new Float32Array(7) }] }), /inputs\[0\]\.data has 28 bytes/],
      [() => encodeTileTask({ ...TASK, inputs: [{ ...SLICE, data: [1, 2] as unknown as Float32Array }] }), /inputs\[0\]\.data must be a Float32Array/],
      [() => encodeTileTask({ ...TASK, regions: [REGION, { ...REGION, x0: -1 }] }), /regions\[1\]\.x0 must be an integer in \[0, 4294967295\], got -1/],
      [() => encodeTileTask({ ...TASK, layers: undefined as unknown as number[] }), /layers must be an array/],
      [() => encodeTileTask(null as unknown as TileTask), /task must be a TileTask object/],
      [() => encodeTileResult({ ...RESULT, outputRef: 'x' }), /exactly one of output, outputRef and error, it has 2/],
      [() => encodeTileResult({ ...RESULT, timings: { queueMs: -1, computeMs: 0, codecMs: 0 } }), /timings\.queueMs/],
      [() => encodeTileResult({ ...RESULT, workerId: '' }), /workerId is empty/],
      [() => encodeTileSlices([{ ...SLICE, region: { ...REGION, n1: 2 } }]), /slices\[0\]\.region .* outside \[0, 1\) on axis n/],
    ];
    for (const [f, text] of cases) expectCode(f, 'BAD_ARGUMENT', /^cannot encode Tile(Task|Result|Slices): /, text);
  });
});
