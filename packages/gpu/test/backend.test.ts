import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isTesseraError } from '@tessera/tensor';
import { GpuExecutor, backendOfKernel, runGpuOp } from '../src/index.js';
import { Tensor } from '@tessera/tensor';
import { GpuBackend } from '../src/gpu-backend.js';
import { KernelCache } from '../src/kernel-cache.js';
import { kernelSource } from '../src/ops/source.js';
import { requireGl } from './helpers.js';

const run = promisify(execFile);

/** Runs `code` (an ES module body) in a child node with DISPLAY unset; returns its last stdout line as JSON. */
async function withoutDisplay(code: string): Promise<Record<string, unknown>> {
  const env = { ...process.env };
  delete env.DISPLAY;
  const { stdout } = await run(process.execPath, ['--import=tsx', '--conditions=@tessera/source', '--input-type=module', '-e', code], {
    cwd: process.cwd(), env, timeout: 60000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('GPU backend selection', function () {
  this.timeout(120000);

  it("mode 'gl' without a display is UNAVAILABLE and says why (no silent fallback)", async () => {
    const r = await withoutDisplay(`
      import { GpuExecutor } from '@tessera/gpu';
      try { const ex = new GpuExecutor({ mode: 'gl' }); console.log(JSON.stringify({ backend: ex.backend })); await ex.close(); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`);
    expect(r.code, JSON.stringify(r)).to.equal('UNAVAILABLE');
    expect(r.message).to.match(/DISPLAY/);
  });

  it("mode 'auto' without a display falls back to webasm and records why", async () => {
    const r = await withoutDisplay(`
      import { GpuExecutor } from '@tessera/gpu';
      import { ModelBuilder } from '@tessera/nn';
      import { randomTensor } from '@tessera/tensor';
      const ex = new GpuExecutor({ mode: 'auto' });
      const b = new ModelBuilder('m', [1, 1, 4, 4], { seed: 1 });
      const y = await ex.run(b.build(b.relu(b.input)), randomTensor([1, 1, 4, 4], 1));
      console.log(JSON.stringify({ backend: ex.backend, fallbackReason: ex.fallbackReason, n: y.size }));
      await ex.close();`);
    expect(r.backend).to.equal('webasm');
    expect(r.fallbackReason).to.match(/gl unavailable: .*DISPLAY/);
    expect(r.n).to.equal(16);
  });

  it("mode 'auto' with a display runs GL and has no fallback reason", async function () {
    requireGl(this);
    const be = new GpuBackend({ mode: 'auto' });
    try {
      expect(be.backend).to.equal('gl');
      expect(be.kernelClass).to.equal('HeadlessGLKernel');
      expect(be.fallbackReason).to.equal(undefined);
    } finally {
      await be.close();
    }
  });

  it('runGpuOp runs one op and says which backend ran it', async () => {
    const r = await runGpuOp({ op: 'relu' }, [Tensor.from([-1, 2, -3, 4], [1, 1, 2, 2])], {}, { mode: 'webasm' });
    expect(Array.from(r.output.data)).to.deep.equal([0, 2, 0, 4]);
    expect([r.backend, r.kernelClass, r.fallbackReason]).to.deep.equal(['webasm', 'WebAssemblyKernel', undefined]);
  });

  it('rejects an unknown mode and maps kernel classes to backends', () => {
    expect(() => new GpuExecutor({ mode: 'cuda' as never })).to.throw().that.satisfies((e: unknown) => isTesseraError(e, 'BAD_ARGUMENT'));
    expect(backendOfKernel('HeadlessGLKernel')).to.equal('gl');
    expect(backendOfKernel('WebAssemblyKernel')).to.equal('webasm');
    expect(backendOfKernel('CPUKernel')).to.equal('cpu');
    expect(() => backendOfKernel('WebGPUKernel')).to.throw().that.satisfies((e: unknown) => isTesseraError(e, 'UNAVAILABLE'));
  });

  it('an injected maxTextureSize is used, never above the real limit', async () => {
    const be = new GpuBackend({ mode: 'cpu', maxTextureSize: 32 });
    expect(be.maxTextureSize).to.equal(32);
    expect(be.capacity).to.equal(1024);
    await be.close();
    const big = new GpuBackend({ mode: 'cpu', maxTextureSize: 1 << 20 });
    expect(big.maxTextureSize).to.equal(16384);
    await big.close();
    for (const bad of [0, 2.5, NaN]) {
      expect(() => new GpuExecutor({ mode: 'cpu', maxTextureSize: bad })).to.throw(/maxTextureSize/).that.satisfies((e: unknown) => isTesseraError(e, 'BAD_ARGUMENT'));
    }
  });
});

describe('a failing gpu.js kernel', () => {
  for (const mode of ['gl', 'webasm'] as const) {
    it(`on ${mode}: becomes KERNEL_FAILED naming the backend, holds nothing, and the backend still works`, async function () {
      if (mode === 'gl') requireGl(this);
      const be = new GpuBackend({ mode });
      try {
        const box = { n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 2, x0: 0, x1: 2 };
        const x = be.hostValue(new Float32Array([1, 2, 3, 4]), [1, 1, 2, 2], box);
        const bad = { source: kernelSource(1, 0, 'return noSuchFunction(in0[0][0][0]);'), weights: [] };
        expect(() => be.launch(bad, [x], [1, 1, 2, 2], box, 'bad kernel')).to.throw(new RegExp(`bad kernel: gpu.js ${mode} kernel failed: [\\s\\S]*noSuchFunction`))
          .that.satisfies((e: unknown) => isTesseraError(e, 'KERNEL_FAILED'));
        expect(be.stats.texturesLive).to.equal(0);
        expect(be.cachedKernels).to.equal(0); // the broken kernel was dropped, not cached
        const ok = { source: kernelSource(1, 0, 'return in0[this.thread.z][this.thread.y][this.thread.x] * 2.0;'), weights: [] };
        const y = be.launch(ok, [x], [1, 1, 2, 2], box, 'good kernel');
        expect(Array.from(be.read(y))).to.deep.equal([2, 4, 6, 8]);
        be.release(y);
        expect(be.stats.texturesLive).to.equal(0);
      } finally {
        await be.close();
      }
    });
  }
});

describe('KernelCache', () => {
  it('is LRU, counts hits and compiles, and destroys what it evicts', () => {
    const destroyed: string[] = [];
    const k = (name: string) => ({ name, destroy: () => destroyed.push(name) });
    const c = new KernelCache<ReturnType<typeof k>>(2);
    c.get('a', () => k('a'));
    c.get('b', () => k('b'));
    expect(c.get('a', () => k('a2')).name).to.equal('a'); // hit; b is now least recent
    c.get('c', () => k('c'));
    expect(destroyed).to.deep.equal(['b']);
    expect([c.compiled, c.hits, c.size, c.evicted]).to.deep.equal([3, 1, 2, 1]);
    c.clear();
    expect(destroyed.sort()).to.deep.equal(['a', 'b', 'c']);
    expect(c.size).to.equal(0);
  });
});

describe('the GL-requirement rule of the tests', function () {
  this.timeout(60000);

  /** Calls requireGl in a child without a display; reports whether it skipped or threw, and the message. */
  async function ruleWithoutDisplay(requireGl: boolean): Promise<Record<string, unknown>> {
    const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_REQUIRE_GL: requireGl ? '1' : '0' };
    delete env.DISPLAY;
    const code = `
      const { requireGl } = await import(${JSON.stringify(new URL('./helpers.ts', import.meta.url).href)});
      let skipped = false;
      try { requireGl({ skip() { skipped = true; } }); console.log(JSON.stringify({ skipped })); }
      catch (e) { console.log(JSON.stringify({ skipped, failed: e.message })); }`;
    const { stdout } = await run(process.execPath, ['--import=tsx', '--conditions=@tessera/source', '--input-type=module', '-e', code], { env, timeout: 60000 });
    return JSON.parse(stdout.trim().split('\n').pop()!);
  }

  it('without GL: skips, or fails under TESSERA_REQUIRE_GL=1 naming the backend that ran and why', async () => {
    const skip = await ruleWithoutDisplay(false);
    expect(skip).to.deep.equal({ skipped: true });
    const fail = await ruleWithoutDisplay(true);
    expect(fail.skipped).to.equal(false);
    expect(fail.failed).to.match(/TESSERA_REQUIRE_GL=1/).and.match(/DISPLAY/).and.match(/runs WebAssemblyKernel/);
  });
});
