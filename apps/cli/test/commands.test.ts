import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalExecutor, ModelBuilder, fuseLayers, receptiveField } from '@tessera/nn';
import { loadOnnx } from '@tessera/onnx';
import { explain as explainPlan, plan } from '@tessera/scheduler';
import { randomTensor } from '@tessera/tensor';
import { loadModel, saveModel } from '@tessera/wire';
import { PNG, cli, makeFixture, type Fixture } from './fixtures.js';

describe('tessera explain, convert, bench', () => {
  let f: Fixture;
  before(async () => { f = await makeFixture(); });
  after(() => f.dispose());

  describe('explain', () => {
    it('every layer as run with its shape, FLOPs and receptive field, then the planner\'s plan for --threads', async () => {
      const r = await cli(['explain', f.tsm, '--input-shape', '1,3,64,48', '--threads', '3']);
      expect(r.code, r.stderr).to.equal(0);
      const model = fuseLayers(f.feature);
      const shape = [1, 3, 64, 48];
      const rows = r.stdout.split('\n').filter((l) => /^\d+ {2}/.test(l));
      expect(rows).to.have.length(model.layers.length);
      model.info(shape).forEach((info, i) => {
        const rf = receptiveField(model, i, shape);
        expect(rows[i]).to.include(info.layer.name).and.include(`[${info.outputShape.join(', ')}]`)
          .and.include((info.flops / 1e6).toFixed(2)).and.include(`${rf.size[0]}×${rf.size[1]}, jump ${rf.jump[0]}`);
      });
      // The receptive field grows with the dilations 1, 2, 4 after a stride-2 pool.
      expect(rows.at(-1)).to.include('32×32, jump 2');
      expect(r.stdout).to.include(explainPlan(plan(model, shape, { workers: 3, strategy: 'auto' })));
    });

    it('--json: the same numbers, and --strategy reaches the plan', async () => {
      const [a, b] = await Promise.all([
        cli(['explain', f.onnx, '--threads', '2', '--strategy', 'layer-wise', '--json']),
        cli(['explain', f.onnx, '--threads', '2', '--strategy', 'fused', '--json']),
      ]);
      expect(a.code, a.stderr).to.equal(0);
      expect(b.code, b.stderr).to.equal(0);
      const ja = JSON.parse(a.stdout), jb = JSON.parse(b.stdout);
      const model = fuseLayers(await loadOnnx(f.onnx));
      expect(ja.model.flops).to.equal(model.flops());
      expect(ja.layers.map((l: { name: string }) => l.name)).to.deep.equal(model.layers.map((l) => l.name));
      expect(ja.layers.at(-1).receptiveField).to.equal('global');
      expect(ja.plan.strategy).to.equal('layer-wise');
      expect(jb.plan.strategy).to.equal('fused');
      expect(ja.plan.stages.every((s: { kind: string }) => s.kind === 'layer')).to.equal(true);
    });

    it('a dynamic ONNX model needs --input-shape; with it the layers are sized', async () => {
      const [bad, good] = await Promise.all([
        cli(['explain', f.dynamic]),
        cli(['explain', f.dynamic, '--input-shape', '1,3,50,30', '--json']),
      ]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.include(`${f.dynamic}: input 'x' has a dynamic height; give --input-shape N,C,H,W`);
      expect(good.code, good.stderr).to.equal(0);
      expect(JSON.parse(good.stdout).layers[0].outputShape).to.deep.equal([1, 8, 50, 30]);
      const usage = await cli(['explain', f.onnx, '--input-shape', '1,3,24']);
      expect(usage.code).to.equal(2);
      expect(usage.stderr).to.match(/--input-shape must be N,C,H,W \(4 sizes\), got '1,3,24'/).and.include('usage: tessera explain');
    });
  });

  describe('convert', () => {
    it('writes a .tsm whose weights are the ONNX model\'s bit for bit, and that runs to the same bits', async () => {
      const out = join(f.dir, 'converted.tsm');
      const r = await cli(['convert', f.onnx, out, '--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.include({ to: out, verified: true, layers: 7 });
      const onnx = await loadOnnx(f.onnx), tsm = await loadModel(out);
      expect(tsm.layers.map((l) => l.spec)).to.deep.equal(onnx.layers.map((l) => l.spec));
      onnx.layers.forEach((l, i) => {
        for (const [k, w] of Object.entries(l.weights)) {
          const back = tsm.layers[i]!.weights[k as keyof typeof l.weights]!;
          expect(back.shape, `${l.name}.${k}`).to.deep.equal(w!.shape);
          expect(Buffer.from(back.toFloat32Array().buffer).equals(Buffer.from(w!.toFloat32Array().buffer)), `${l.name}.${k}`).to.equal(true);
        }
      });
      const x = randomTensor(onnx.inputShape, 3, 0, 1);
      const local = new LocalExecutor();
      const [a, b] = [await local.run(onnx, x), await local.run(tsm, x)];
      expect(Buffer.from(a.toFloat32Array().buffer).equals(Buffer.from(b.toFloat32Array().buffer))).to.equal(true);
      // The converted file runs through the CLI like any model.
      const run = await cli(['run', out, '--input', PNG, '--json']);
      expect(run.code, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout).model).to.deep.include({ format: 'tsm', layers: 7 });
    });

    it('--input-shape fixes a dynamic model\'s shape in the file; wrong arguments are usage errors', async () => {
      const out = join(f.dir, 'dyn.tsm');
      const r = await cli(['convert', f.dynamic, out, '--input-shape', '1,3,40,40']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include('input [1, 3, 40, 40]').and.include('bit-identical weights');
      expect((await loadModel(out)).inputShape).to.deep.equal([1, 3, 40, 40]);
      const cases: [string[], RegExp][] = [
        [['convert', f.tsm, join(f.dir, 'x.tsm')], /convert reads an \.onnx model/],
        [['convert', f.onnx, join(f.dir, 'x.onnx')], /convert writes a \.tsm file/],
        [['convert', f.onnx], /missing OUT\.tsm/],
      ];
      const runs = await Promise.all(cases.map(([a]) => cli(a)));
      runs.forEach((u, i) => {
        expect(u.code, u.stderr).to.equal(2);
        expect(u.stderr).to.match(cases[i]![1]).and.include('usage: tessera convert');
      });
      expect(existsSync(join(f.dir, 'x.tsm'))).to.equal(false);
    });

    it('a model with an unsupported operator fails naming the file and the node; nothing is written', async () => {
      const bytes = readFileSync(f.onnx);
      // Rename the Gemm node's op type in the protobuf bytes (same length): an operator Tessera does not have.
      const i = bytes.indexOf(Buffer.from('Gemm'));
      const bad = Buffer.from(bytes);
      bad.write('Gxmm', i);
      const src = join(f.dir, 'unsupported.onnx'), out = join(f.dir, 'unsupported.tsm');
      writeFileSync(src, bad);
      const r = await cli(['convert', src, out]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include(src).and.include('Gxmm').and.include("'fc'");
      expect(existsSync(out)).to.equal(false);
    });
  });

  describe('bench', () => {
    it('Tessera local and threads vs onnxruntime-node: outputs checked before timing, every peer timed', async () => {
      const r = await cli(['bench', f.onnx, '--threads', '1,2', '--runs', '2', '--warmup', '0', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      const peers = Object.fromEntries(j.peers.map((p: { peer: string }) => [p.peer, p]));
      expect(Object.keys(peers)).to.deep.equal(['tessera-local', 'tessera-threads-t1', 'tessera-threads-t2', 'ort-node-t1', 'ort-node-t2']);
      for (const p of Object.values(peers) as { status: string; timesMs: number[] }[]) {
        expect(p.status).to.equal('ok');
        expect(p.timesMs).to.have.length(2);
      }
      expect(peers['tessera-threads-t2'].error.note).to.equal('bit-identical to local');
      expect(peers['tessera-threads-t2'].error.maxAbs).to.equal(0);
      expect(peers['ort-node-t2'].error.maxAbs).to.be.at.most(peers['ort-node-t2'].error.tolerance);
      expect(j.flops).to.equal((await loadOnnx(f.onnx)).flops());
    });

    it('two graph outputs, the first transposed to NHWC: threads match local on both, ORT on the first in its layout', async () => {
      const r = await cli(['bench', f.twoOutputs, '--threads', '2', '--runs', '1', '--warmup', '0', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const peers = JSON.parse(r.stdout).peers;
      expect(peers.map((p: { peer: string; status: string }) => [p.peer, p.status])).to.deep.equal([['tessera-local', 'ok'], ['tessera-threads-t2', 'ok'], ['ort-node-t2', 'ok']]);
      expect(peers[1].error.note).to.equal('bit-identical to local');
      expect(peers[2].error.maxAbs).to.be.at.most(peers[2].error.tolerance);
    });

    it('--input-shape sizes a dynamic ONNX model for every peer', async () => {
      const r = await cli(['bench', f.dynamic, '--input-shape', '1,3,30,20', '--threads', '2', '--runs', '1', '--warmup', '0', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout);
      expect(j.inputShape).to.deep.equal([1, 3, 30, 20]);
      expect(j.flops).to.equal((await loadOnnx(f.dynamic, { inputShape: [1, 3, 30, 20] })).flops());
      expect(j.peers.map((p: { status: string }) => p.status)).to.deep.equal(['ok', 'ok', 'ok']);
    });

    it('a .tsm model: ORT is recorded as unsupported; the table says so', async () => {
      const r = await cli(['bench', f.tsm, '--threads', '2', '--runs', '1', '--warmup', '0']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/threads ×2 +2 .*bit-identical to local/);
      expect(r.stdout).to.match(/onnxruntime-node ×2 .*unsupported: a \.tsm model has no ONNX graph/);
      // A model with two outputs: the pool's runAll gives local's bits for both.
      const b = new ModelBuilder('two-heads', [1, 3, 20, 20], { seed: 4 });
      const features = b.relu(b.conv2d(b.input, { outChannels: 4, kernel: 3, padding: 'same', name: 'c' }), 'features');
      const model = b.build({ features, scores: b.softmax(b.dense(b.globalAvgPool(features, 'gap'), 5, undefined, 'fc'), 'scores') });
      const heads = join(f.dir, 'heads.tsm');
      await saveModel(model, heads);
      const two = await cli(['bench', heads, '--threads', '2', '--runs', '1', '--warmup', '0', '--json']);
      expect(two.code, two.stderr).to.equal(0);
      expect(JSON.parse(two.stdout).peers[1]).to.deep.include({ peer: 'tessera-threads-t2', status: 'ok' });
      expect(JSON.parse(two.stdout).peers[1].error.note).to.equal('bit-identical to local');
      const usage = await cli(['bench', f.tsm, '--threads', '1,x']);
      expect(usage.code).to.equal(2);
      expect(usage.stderr).to.include("--threads must be a positive integer, got 'x'");
    });
  });
});
