import { expect } from 'chai';
import { rng } from '@tessera/tensor';
import {
  decodeTileResult, decodeTileSlices, decodeTileTask, encodeTileResult, encodeTileSlices, encodeTileTask,
  type TileResult, type TileSlice, type TileTask,
} from '../src/index.js';
import { expectBitEqual, randomResult, randomSlice, randomTask } from './tile-fixtures.js';
import { pb, pbDecoded, pbEncode, pbNormalized, pbResult, pbSlice, pbTask } from './tile-pb.js';

describe('tile codecs: round trips', () => {
  it('TileTask: 300 random tasks decode to what was encoded, bit for bit', () => {
    const r = rng(11);
    for (let i = 0; i < 300; i++) {
      const t = randomTask(r);
      expectBitEqual(decodeTileTask(encodeTileTask(t)), t, `task ${i}`);
    }
  });

  it('TileResult: 300 random results (output, outputRef or error) decode to what was encoded', () => {
    const r = rng(12);
    for (let i = 0; i < 300; i++) {
      const t = randomResult(r);
      expectBitEqual(decodeTileResult(encodeTileResult(t)), t, `result ${i}`);
    }
  });

  it('TileSlices: empty, one and many slices, rank 2 and 4, source -1', () => {
    const r = rng(13);
    expect(decodeTileSlices(encodeTileSlices([]))).to.deep.equal([]);
    for (let i = 0; i < 100; i++) {
      const s = Array.from({ length: i % 6 }, () => randomSlice(r));
      expectBitEqual(decodeTileSlices(encodeTileSlices(s)), s, `slices ${i}`);
    }
    const inputSlice: TileSlice = { source: -1, shape: [1, 1, 1, 1], region: { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 1, x0: 0, x1: 1 }, data: new Float32Array([-0]) };
    expectBitEqual(decodeTileSlices(encodeTileSlices([inputSlice])), [inputSlice]);
  });

  it('copies data at an offset that is not a multiple of 4; views it on request when aligned', () => {
    const r = rng(14);
    const slices = [randomSlice(r), randomSlice(r)];
    const bytes = encodeTileSlices(slices);
    const sharedAt = slices.map(() => 0);
    for (const shift of [0, 1, 2, 3]) {
      const buf = new Uint8Array(bytes.length + shift);
      buf.set(bytes, shift);
      const view = buf.subarray(shift);
      const copied = decodeTileSlices(view);
      expectBitEqual(copied, slices, `shift ${shift}`);
      for (const s of copied) expect(s.data.buffer).to.not.equal(buf.buffer);
      const viewed = decodeTileSlices(view, {}, { copy: 'when-needed' });
      expectBitEqual(viewed, slices, `shift ${shift}, when-needed`);
      viewed.forEach((s, k) => { if (s.data.buffer === buf.buffer) sharedAt[k]!++; });
    }
    // Of four consecutive shifts exactly one puts each slice's data on a 4-byte boundary.
    expect(sharedAt).to.deep.equal([1, 1]);
  });

  it('encoding a result cuts a very long error message instead of failing', () => {
    const r = rng(15);
    const res: TileResult = { ...randomResult(r), output: undefined, outputRef: undefined, error: { code: 'KERNEL_FAILED', message: 'x'.repeat(100_000) } };
    const { output: _o, outputRef: _r, ...clean } = res;
    const back = decodeTileResult(encodeTileResult(clean));
    expect(back.error!.message.length).to.be.below(5000);
    expect(back.error!.message.startsWith('xxxx')).to.equal(true);
  });
});

describe('tile codecs: conformance with protobufjs (the reference implementation of the format)', () => {
  it('TileTask: ours → protobufjs decodes the same fields; protobufjs → ours decodes the same task', () => {
    const r = rng(21);
    for (let i = 0; i < 100; i++) {
      const t = randomTask(r);
      expect(pbDecoded(pb.TileTask, encodeTileTask(t)), `task ${i}`).to.deep.equal(pbNormalized(pb.TileTask, pbTask(t)));
      const theirs = pbEncode(pb.TileTask, pbTask(t));
      expectBitEqual(decodeTileTask(theirs), t, `task ${i} from protobufjs`);
    }
  });

  it('TileResult: each outcome of the oneof both ways', () => {
    const r = rng(22);
    for (let i = 0; i < 100; i++) {
      const t = randomResult(r);
      const theirs = pb.TileResult.decode(encodeTileResult(t)) as unknown as { outcome: string };
      expect(theirs.outcome).to.equal(t.output ? 'output' : t.outputRef !== undefined ? 'output_ref' : 'error');
      expect(pbDecoded(pb.TileResult, encodeTileResult(t)), `result ${i}`).to.deep.equal(pbNormalized(pb.TileResult, pbResult(t)));
      const bytes = pbEncode(pb.TileResult, pbResult(t));
      expectBitEqual(decodeTileResult(bytes), t, `result ${i} from protobufjs`);
    }
  });

  it('TileSlices both ways', () => {
    const r = rng(23);
    for (let i = 0; i < 50; i++) {
      const s = Array.from({ length: 1 + (i % 4) }, () => randomSlice(r));
      const obj = { slices: s.map(pbSlice) };
      expect(pbDecoded(pb.TileSlices, encodeTileSlices(s))).to.deep.equal(pbNormalized(pb.TileSlices, obj));
      expectBitEqual(decodeTileSlices(pbEncode(pb.TileSlices, obj)), s);
    }
  });
});
