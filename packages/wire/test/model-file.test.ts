import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTesseraError } from '@tessera/tensor';
import { TSM_HEADER_BYTES, decodeModelFile, encodeModelFile, loadModel, saveModel } from '../src/index.js';
import { dagModel, randomInput, run, sameBits } from './helpers.js';

async function expectBadFile(path: string, text?: RegExp, limits = {}): Promise<Error> {
  try {
    await loadModel(path, limits);
  } catch (e) {
    expect(isTesseraError(e, 'BAD_MODEL'), String(e)).to.equal(true);
    expect((e as Error).message).to.contain(path);
    if (text) expect((e as Error).message).to.match(text);
    return e as Error;
  }
  return expect.fail(`expected BAD_MODEL for ${path}`);
}

describe('model file (.tsm)', () => {
  let dir = '';
  const model = dagModel();
  let good: Uint8Array;
  let n = 0;
  const variant = async (bytes: Uint8Array): Promise<string> => {
    const p = join(dir, `variant-${n++}.tsm`);
    await writeFile(p, bytes);
    return p;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-wire-'));
    good = encodeModelFile(model);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('saves and loads a model: same id, names and bit-identical outputs', async () => {
    const path = join(dir, 'dag.tsm');
    await saveModel(model, path);
    const back = await loadModel(path);
    expect(back.id).to.equal(model.id);
    expect(back.name).to.equal(model.name);
    expect(back.layers.map((l) => l.name)).to.deep.equal(model.layers.map((l) => l.name));
    const x = randomInput(model.inputShape, 9);
    expect(sameBits(run(back, x), run(model, x))).to.equal(true);
    expect(Buffer.from(await readFile(path)).equals(Buffer.from(good))).to.equal(true);
  });

  it('overwrites atomically and leaves no temporary files behind', async () => {
    const path = join(dir, 'over.tsm');
    await saveModel(model, path);
    await saveModel(model, path);
    expect((await readdir(dir)).filter((f) => f.includes('over.tsm'))).to.deep.equal(['over.tsm']);
  });

  it('reports a failed write naming the path, and cleans up', async () => {
    const path = join(dir, 'no-such-dir', 'm.tsm');
    try {
      await saveModel(model, path);
      expect.fail('expected a TesseraError');
    } catch (e) {
      expect(isTesseraError(e), String(e)).to.equal(true);
      expect((e as Error).message).to.contain(path);
    }
  });

  it('gives BAD_MODEL naming the path for a missing file or a directory', async () => {
    await expectBadFile(join(dir, 'missing.tsm'), /cannot read/);
    await expectBadFile(dir);
  });

  it('gives BAD_MODEL for a file truncated at any point', async () => {
    const cuts = new Set<number>([0, 1, 4, 7, 8, 12, 16, 23, 24, 40, 55, 56, 57, good.length - 1]);
    for (let i = 0; i < 40; i++) cuts.add(Math.floor((good.length * i) / 40));
    for (const cut of cuts) {
      if (cut >= good.length) continue;
      await expectBadFile(await variant(good.subarray(0, cut)), /truncated|wrong magic/);
    }
  });

  it('gives BAD_MODEL for wrong magic, unknown version, flags, trailing bytes and checksum mismatch', async () => {
    const edit = (f: (b: Uint8Array, dv: DataView) => void): Uint8Array => {
      const b = good.slice();
      f(b, new DataView(b.buffer));
      return b;
    };
    await expectBadFile(await variant(edit((b) => { b[0] = 0x50; })), /wrong magic/);
    await expectBadFile(await variant(new TextEncoder().encode('{"not":"a model"}')), /wrong magic/);
    await expectBadFile(await variant(edit((_b, dv) => dv.setUint32(8, 2, true))), /unknown file-format version 2/);
    await expectBadFile(await variant(edit((_b, dv) => dv.setUint32(12, 1, true))), /flags/);
    await expectBadFile(await variant(edit((b) => { b[30]! ^= 1; })), /checksum/);
    await expectBadFile(await variant(Buffer.concat([good, Buffer.from([0])])), /unexpected bytes/);
    await expectBadFile(await variant(edit((_b, dv) => dv.setBigUint64(16, BigInt(good.length), true))), /truncated/);
  });

  it('gives BAD_MODEL for a flipped byte anywhere', async () => {
    for (let i = 0; i < good.length; i += Math.max(1, Math.floor(good.length / 60))) {
      const b = good.slice();
      b[i]! ^= 0x5a;
      await expectBadFile(await variant(b));
    }
  });

  it('rejects oversized files before reading them', async () => {
    const path = await variant(good);
    await expectBadFile(path, /oversized/, { maxModelBytes: 100 });
    const huge = good.slice(0, TSM_HEADER_BYTES);
    new DataView(huge.buffer).setBigUint64(16, 2n ** 62n, true);
    await expectBadFile(await variant(huge), /oversized.*declares a payload of 4611686018427387904/);
  });

  it('gives BAD_MODEL naming the path for a payload with a valid checksum but bad contents', async () => {
    const b = good.slice();
    const payload = b.subarray(TSM_HEADER_BYTES);
    payload[0] = 0x08; payload[1] = 0x09; // format_version = 9
    b.set(createHash('sha256').update(payload).digest(), 24);
    await expectBadFile(await variant(b), /format version 9/);
    expect(() => decodeModelFile(b, {}, 'in-memory')).to.throw(/in-memory: bad model/);
  });
});
