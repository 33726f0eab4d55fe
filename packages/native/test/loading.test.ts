import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * Loading: a missing or broken addon never crashes — the kernels run on
 * wasm, the reason is in engineInfo().fallback and printed once; forcing
 * TESSERA_ENGINE=native without it is an UNAVAILABLE error. Each case runs
 * in a fresh process (the addon is loaded once per process).
 */
const SCRIPT = `
import { Tensor, applyOp, engineInfo } from '@tessera/tensor';
try {
  const y = applyOp({ op: 'conv2d', kernel: 3, padding: 'same' }, [Tensor.filled([1, 2, 5, 5], 0.5)], { weight: Tensor.filled([3, 2, 3, 3], 0.25) });
  applyOp({ op: 'maxPool', kernel: 2 }, [Tensor.filled([1, 1, 4, 4], 1)]);
  console.log(JSON.stringify({ info: engineInfo(), centre: y.toFloat32Array()[12] }));
} catch (e) {
  console.log(JSON.stringify({ error: e.code, message: e.message }));
}`;

function run(env: Record<string, string>): { out: { info?: { kind: string; mode: string; fallback?: string }; centre?: number; error?: string; message?: string }; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@tessera/source', '--input-type=module', '-e', SCRIPT], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, TESSERA_ENGINE: '', TESSERA_NATIVE_ADDON: '', TESSERA_NATIVE_ISA: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).to.equal(0);
  return { out: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

describe('native engine: loading', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tessera-native-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('by default the addon runs the kernels (native, exact)', () => {
    const { out, stderr } = run({});
    expect(out.info).to.include({ kind: 'native', mode: 'exact' });
    expect(out.centre).to.equal(2 * 9 * 0.125);
    expect(stderr).to.not.match(/TESSERA_ENGINE_FALLBACK/);
  });

  it('a missing addon: wasm, the reason reported once', () => {
    const { out, stderr } = run({ TESSERA_NATIVE_ADDON: join(dir, 'nowhere.node') });
    expect(out.info?.kind).to.equal('wasm');
    expect(out.info?.fallback).to.match(/nowhere\.node is not built/);
    expect(out.centre).to.equal(2 * 9 * 0.125);
    expect(stderr.match(/TESSERA_ENGINE_FALLBACK/g)?.length, stderr).to.equal(1);
  });

  it('a broken addon (not a shared object): wasm, the loader\'s reason reported', () => {
    const bogus = join(dir, 'broken.node');
    writeFileSync(bogus, 'not an ELF file');
    const { out, stderr } = run({ TESSERA_NATIVE_ADDON: bogus });
    expect(out.info?.kind).to.equal('wasm');
    expect(out.info?.fallback).to.match(/broken\.node failed to load/);
    expect(stderr).to.match(/Tessera runs its kernels on WebAssembly: .*broken\.node failed to load/);
    expect(out.centre).to.equal(2 * 9 * 0.125);
  });

  it('an addon built from other kernel sources than the wasm module (stale): wasm, the fingerprints reported', () => {
    // The real addon with its kernel-source fingerprint (info().kernels, a string in its read-only data) overwritten.
    const real = fileURLToPath(new URL('../build/Release/tessera_native.node', import.meta.url));
    const id = (createRequire(import.meta.url)(real) as { info(): { kernels: string } }).info().kernels;
    const bytes = readFileSync(real);
    const at = bytes.indexOf(Buffer.from(id));
    expect(at, `fingerprint ${id} in the addon`).to.be.at.least(0);
    Buffer.from('0x00000000u').copy(bytes, at);
    const stale = join(dir, 'stale.node');
    writeFileSync(stale, bytes);
    const { out, stderr } = run({ TESSERA_NATIVE_ADDON: stale });
    expect(out.info?.kind).to.equal('wasm');
    expect(out.info?.fallback).to.contain(`stale.node was built from other kernel sources (0x00000000u) than the WebAssembly engine (${id})`);
    expect(stderr.match(/TESSERA_ENGINE_FALLBACK/g)?.length, stderr).to.equal(1);
    expect(out.centre).to.equal(2 * 9 * 0.125);
  });

  it('TESSERA_ENGINE=native without the addon: UNAVAILABLE, no silent fallback', () => {
    const { out } = run({ TESSERA_ENGINE: 'native', TESSERA_NATIVE_ADDON: join(dir, 'nowhere.node') });
    expect(out.error).to.equal('UNAVAILABLE');
    expect(out.message).to.match(/engine native \(mode exact\) was asked for, but .*nowhere\.node is not built/);
  });

  it('TESSERA_ENGINE=wasm forces wasm quietly; a misspelt value is refused', () => {
    const wasm = run({ TESSERA_ENGINE: 'wasm' });
    expect(wasm.out.info).to.deep.equal({ kind: 'wasm', mode: 'exact' });
    expect(wasm.stderr).to.not.match(/TESSERA_ENGINE_FALLBACK/);
    const bad = run({ TESSERA_ENGINE: 'wsam' });
    expect(bad.out.error).to.equal('BAD_ARGUMENT');
    expect(bad.out.message).to.match(/TESSERA_ENGINE must be one of 'wasm', 'native', got .wsam.; did you mean 'wasm'/);
  });
});
