import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalExecutor, ModelBuilder } from '@tessera/nn';
import { loadOnnx } from '@tessera/onnx';
import { FAST_TOLERANCE, Tensor, randomTensor } from '@tessera/tensor';
import { saveModel } from '@tessera/wire';
import { ClusterExecutor, spawnWorker, startNatsServer, type LocalNatsServer, type SpawnedWorker } from '@tessera/cluster';
import { imageInput } from '../src/input.js';
import { decodeNpy, encodeNpy } from '../src/npy.js';
import { JPEG, PNG, classifierOnnx, cli, makeFixture, type Fixture } from './fixtures.js';

const npyAt = (path: string): { shape: readonly number[]; data: Float32Array } => decodeNpy(readFileSync(path), path);
const sameBits = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('tessera run', () => {
  let f: Fixture;
  before(async () => { f = await makeFixture(); });
  after(() => f.dispose());

  /** What the CLI should compute for a picture: the same preprocessing and LocalExecutor, in this process. */
  async function expected(model: string, picture: string, o: { size?: [number, number]; mean?: number[]; std?: number[] } = {}): Promise<Tensor> {
    const m = await loadOnnx(model, o.size ? { inputShape: [1, 3, ...o.size] } : {});
    const [, c, h, w] = m.inputShape;
    const x = await imageInput(picture, { channels: c!, height: o.size?.[0] ?? h!, width: o.size?.[1] ?? w!, ...(o.mean ? { mean: o.mean } : {}), ...(o.std ? { std: o.std } : {}) });
    return new LocalExecutor().run(m, x);
  }

  it('a JPEG through an ONNX classifier: --out holds LocalExecutor\'s output, top-k is the softmax of the logits, stages timed', async () => {
    const out = join(f.dir, 'jpeg.npy');
    const r = await cli(['run', f.onnx, '--input', JPEG, '--out', out, '--json', '--top', '3']);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.input.shape).to.deep.equal([1, 3, 24, 24]);
    expect(j.outputs).to.have.length(1);
    expect(j.outputs[0]).to.deep.include({ name: 'y', shape: [1, 10], out });
    const want = (await expected(f.onnx, JPEG)).toFloat32Array();
    const got = npyAt(out);
    expect(got.shape).to.deep.equal([1, 10]);
    expect(sameBits(got.data, want)).to.equal(true);
    // Top-3: the largest logits, best first, scored by softmax.
    const top = j.outputs[0].top;
    expect(top.kind).to.equal('softmax of logits');
    const order = Array.from(want.keys()).sort((a, b) => want[b]! - want[a]!);
    expect(top.samples[0].map((c: { index: number }) => c.index)).to.deep.equal(order.slice(0, 3));
    const max = Math.max(...want), z = want.reduce((s, v) => s + Math.exp(v - max), 0);
    expect(top.samples[0][0].score).to.be.closeTo(Math.exp(want[order[0]!]! - max) / z, 1e-9);
    for (const stage of ['load', 'preprocess', 'backendStart', 'run', 'write']) expect(j.timesMs[stage], stage).to.be.a('number').and.at.least(0);
  });

  it('the text form names the model, backend, shapes and says the scores are a softmax of logits', async () => {
    const r = await cli(['run', f.onnx, '--input', PNG]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/backend local/).and.match(/output {2}'y' \[1, 10\]/).and.match(/top-5 \(softmax of the output, read as logits\)/);
    expect(r.stdout.match(/^ {2}class /gm)).to.have.length(5);
    expect(r.stdout).to.match(/time {4}load [\d.]+ ms, preprocess [\d.]+ ms, backendStart [\d.]+ ms, run [\d.]+ ms/);
  });

  it('a model ending in Softmax: the scores are its output as is', async () => {
    const r = await cli(['run', f.softmax, '--input', PNG, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.outputs[0].top.kind).to.equal('probabilities');
    const want = (await expected(f.softmax, PNG)).toFloat32Array();
    expect(j.outputs[0].top.samples[0][0].score).to.equal(Math.max(...want));
  });

  it('--backend threads --threads 2 and --backend gpu give local\'s output (threads bit for bit, gpu within FAST_TOLERANCE)', async () => {
    const local = join(f.dir, 'local.npy'), threads = join(f.dir, 'threads.npy'), gpu = join(f.dir, 'gpu.npy');
    const [a, b, c] = await Promise.all([
      cli(['run', f.tsm, '--input', JPEG, '--out', local]),
      cli(['run', f.tsm, '--input', JPEG, '--out', threads, '--backend', 'threads', '--threads', '2', '--json']),
      cli(['run', f.tsm, '--input', JPEG, '--out', gpu, '--backend', 'gpu', '--gpu-mode', 'cpu', '--json']),
    ]);
    for (const r of [a, b, c]) expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(b.stdout).backend).to.equal('threads ×2');
    expect(JSON.parse(c.stdout).backend).to.equal('gpu (cpu)');
    const l = npyAt(local), t = npyAt(threads), g = npyAt(gpu);
    expect(l.shape).to.deep.equal([1, 6, 16, 16]);
    expect(sameBits(t.data, l.data)).to.equal(true);
    const scale = Math.max(...l.data.map(Math.abs));
    expect(Math.max(...g.data.map((v, i) => Math.abs(v - l.data[i]!)))).to.be.at.most(FAST_TOLERANCE * scale);
    // A feature map is not a classifier output: no top-k.
    expect(JSON.parse(b.stdout).outputs[0].top).to.equal(undefined);
  });

  it('--size resizes the picture and resolves an ONNX model\'s dynamic height and width', async () => {
    const out = join(f.dir, 'sized.npy');
    const r = await cli(['run', f.dynamic, '--input', JPEG, '--size', '40,36', '--out', out, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).input.shape).to.deep.equal([1, 3, 40, 36]);
    expect(sameBits(npyAt(out).data, (await expected(f.dynamic, JPEG, { size: [40, 36] })).toFloat32Array())).to.equal(true);
    // Without --size the dynamic model cannot be sized from a picture: a usage error naming the file and the flag.
    const bad = await cli(['run', f.dynamic, '--input', JPEG]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include(`${f.dynamic}: input 'x' has a dynamic height; give --size H,W`);
    // Only the batch dynamic: a picture is one sample of the declared size.
    const batch = join(f.dir, 'batch.onnx');
    writeFileSync(batch, classifierOnnx(['batch', 3, 24, 24]));
    const one = await cli(['run', batch, '--input', JPEG, '--json']);
    expect(one.code, one.stderr).to.equal(0);
    expect(JSON.parse(one.stdout).input.shape).to.deep.equal([1, 3, 24, 24]);
  });

  it('--mean and --std normalise the picture per channel before the model sees it', async () => {
    const out = join(f.dir, 'norm.npy'), plain = join(f.dir, 'plain.npy');
    const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
    const [r, p] = await Promise.all([
      cli(['run', f.onnx, '--input', JPEG, '--mean', mean.join(','), '--std', std.join(','), '--out', out]),
      cli(['run', f.onnx, '--input', JPEG, '--out', plain]),
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(p.code, p.stderr).to.equal(0);
    const want = (await expected(f.onnx, JPEG, { mean, std })).toFloat32Array();
    expect(sameBits(npyAt(out).data, want)).to.equal(true);
    expect(sameBits(npyAt(plain).data, want)).to.equal(false);
  });

  it('a .npy tensor is the input as is and fixes the dynamic dimensions', async () => {
    const x = randomTensor([1, 3, 20, 28], 11, 0, 1);
    const inPath = join(f.dir, 'x.npy'), out = join(f.dir, 'x-out.npy');
    writeFileSync(inPath, encodeNpy(x.shape, x.toFloat32Array()));
    const r = await cli(['run', f.dynamic, '--input', inPath, '--out', out, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout).input).to.deep.include({ kind: 'npy', shape: [1, 3, 20, 28] });
    const want = await new LocalExecutor().run(await loadOnnx(f.dynamic, { inputShape: [1, 3, 20, 28] }), x);
    expect(sameBits(npyAt(out).data, want.toFloat32Array())).to.equal(true);
  });

  it('a model with several outputs: each printed and written (FILE.<name>.npy), equal to LocalExecutor.runAll', async () => {
    const b = new ModelBuilder('two-heads', [1, 3, 16, 16], { seed: 3 });
    const features = b.relu(b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same', name: 'c' }), 'features');
    const scores = b.softmax(b.dense(b.globalAvgPool(features, 'gap'), 5, undefined, 'fc'), 'scores');
    const model = b.build({ features, scores });
    const path = join(f.dir, 'two-heads.tsm'), out = join(f.dir, 'heads.npy');
    await saveModel(model, path);
    const r = await cli(['run', path, '--input', PNG, '--out', out, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape])).to.deep.equal([['features', [1, 4, 16, 16]], ['scores', [1, 5]]]);
    expect(j.outputs[0].top).to.equal(undefined);
    expect(j.outputs[1].top.kind).to.equal('probabilities');
    const want = await new LocalExecutor().runAll(model, await imageInput(PNG, { channels: 3, height: 16, width: 16 }));
    for (const name of ['features', 'scores']) expect(sameBits(npyAt(join(f.dir, `heads.${name}.npy`)).data, want[name]!.toFloat32Array()), name).to.equal(true);
    const text = await cli(['run', path, '--input', PNG]);
    expect(text.stdout).to.match(/output {2}'features' \[1, 4, 16, 16\]/).and.match(/output {2}'scores' \[1, 5\]\ntop-5 \(the output is already a probability distribution\)/);
  });

  it('an ONNX model with two graph outputs, one transposed to NHWC at the end: each written in the graph\'s shape and layout, as onnxruntime-node gives it', async () => {
    const x = randomTensor([1, 3, 12, 10], 31, 0, 1);
    const inPath = join(f.dir, 'two-in.npy'), out = join(f.dir, 'two.npy');
    writeFileSync(inPath, encodeNpy(x.shape, x.toFloat32Array()));
    const r = await cli(['run', f.twoOutputs, '--input', inPath, '--out', out, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout);
    expect(j.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape])).to.deep.equal([['nhwc', [1, 12, 10, 5]], ['logits', [1, 4]]]);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync(f.twoOutputs), { intraOpNumThreads: 1, executionProviders: ['cpu'], logSeverityLevel: 3 });
    try {
      const res = await session.run({ x: new ort.Tensor('float32', x.toFloat32Array(), [...x.shape]) });
      for (const name of ['nhwc', 'logits']) {
        const got = npyAt(join(f.dir, `two.${name}.npy`)), want = res[name]!;
        expect(got.shape, name).to.deep.equal(want.dims.map(Number));
        const ref = want.data as Float32Array, scale = Math.max(...ref.map(Math.abs));
        expect(Math.max(...got.data.map((v, i) => Math.abs(v - ref[i]!))), name).to.be.at.most(FAST_TOLERANCE * scale);
      }
    } finally {
      await session.release();
    }
  });

  it('--trace prints a line per layer with its time', async () => {
    const r = await cli(['run', f.tsm, '--input', PNG, '--trace']);
    expect(r.code, r.stderr).to.equal(0);
    for (const name of ['c0', 'pool', 'd1', 'd2', 'd4']) expect(r.stderr).to.match(new RegExp(`#\\d+ ${name}\\S* \\w+ → \\[.*\\] [\\d.]+ ms`));
  });

  it('errors: usage (exit 2) vs a failing file (exit 1, the file named)', async () => {
    const cases: [string[], number, RegExp][] = [
      [['run', f.onnx], 2, /--input IMAGE\|TENSOR\.npy is required/],
      [['run', f.onnx, '--input', JPEG, '--bogus'], 2, /Unknown option '--bogus'/],
      [['run', f.onnx, '--input', JPEG, '--threads', '2'], 2, /--threads is for --backend threads/],
      [['run', f.onnx, '--input', JPEG, '--backend', 'cluster'], 2, /--backend cluster needs --nats URL/],
      [['run', f.onnx, '--input', JPEG, '--top', '0'], 2, /--top must be a positive integer, got '0'/],
      [['run', f.onnx, '--input', JPEG, '--out', 'y.txt'], 2, /--out must name a \.npy file/],
      [['run', join(f.dir, 'missing.onnx'), '--input', JPEG], 1, /\[BAD_MODEL\].*missing\.onnx: cannot read the model file \(ENOENT\)/],
      [['run', f.onnx, '--input', join(f.dir, 'nope.png')], 1, /\[BAD_IMAGE\].*nope\.png: cannot read the file/],
      [['run', f.onnx, '--input', f.tsm.replace(/\.tsm$/, '.npy')], 1, /feature\.npy: cannot read the file/],
      [['run', f.onnx, '--input', f.onnx], 1, /\[BAD_IMAGE\].*classifier\.onnx: not a readable image/],
      [['launch'], 2, /unknown command 'launch'/],
    ];
    writeFileSync(join(f.dir, 'truncated.onnx'), readFileSync(f.onnx).subarray(0, 100));
    cases.push([['run', join(f.dir, 'truncated.onnx'), '--input', JPEG], 1, /\[BAD_MODEL\].*truncated\.onnx/]);
    writeFileSync(join(f.dir, 'bad.npy'), Buffer.from('\x93NUMPY\x01\x00'));
    cases.push([['run', f.onnx, '--input', join(f.dir, 'bad.npy')], 1, /bad\.npy: not a usable \.npy file/]);
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((r, i) => {
      const [args, code, msg] = cases[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(code);
      expect(r.stderr, args.join(' ')).to.match(msg);
      if (code === 2 && args[0] === 'run') expect(r.stderr).to.include('usage: tessera run');
    });
  });

  describe('--backend cluster', function () {
    this.timeout(120_000);
    let server: LocalNatsServer | undefined;
    const workers: SpawnedWorker[] = [];
    before(async () => {
      server = await startNatsServer();
      // The coordinator owns the queue's settings and creates it; a worker waits for it before it reports ready.
      const setup = new ClusterExecutor({ servers: server.url, user: server.user, pass: server.pass });
      try { await setup.connect(); } finally { await setup.close(); }
      workers.push(spawnWorker({ url: server.url, user: server.user, pass: server.pass, threads: 1, name: 'cli-w1', logLevel: 'info' }));
      await Promise.all(workers.map((w) => w.ready()));
    });
    after(async () => {
      try {
        await Promise.all(workers.map((w) => w.stop(5000)));
      } finally {
        await server?.stop();
      }
    });

    it('gives local\'s bits through a tessera-worker', async () => {
      const local = join(f.dir, 'c-local.npy'), remote = join(f.dir, 'c-remote.npy');
      const env = { TESSERA_NATS_USER: server!.user, TESSERA_NATS_PASS: server!.pass };
      const [a, b] = await Promise.all([
        cli(['run', f.onnx, '--input', JPEG, '--out', local]),
        cli(['run', f.onnx, '--input', JPEG, '--out', remote, '--backend', 'cluster', '--nats', server!.url, '--json'], env),
      ]);
      expect(a.code, a.stderr).to.equal(0);
      expect(b.code, b.stderr).to.equal(0);
      expect(JSON.parse(b.stdout).backend).to.equal(`cluster ${server!.url}`);
      expect(sameBits(npyAt(remote).data, npyAt(local).data)).to.equal(true);
    });
  });
});
