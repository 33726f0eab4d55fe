import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { Gallery } from '../src/gallery.js';
import { cli, cliCommand, json, type Run } from './cli-helpers.js';

const sample1 = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; text: string }

/** One HTTP request on a connection of its own; the answer even when the server stops reading the upload early. */
function request(port: number, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent: false, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...headers } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // A 413 comes before the upload is done and the socket closes under it: the answer is what counts.
    req.on('error', (e) => { if (!answered) reject(e); });
    req.end(body);
  });
}

/** `tessera-face serve` as a process on a free loopback port (--port 0: the port it got is printed). */
interface Served { proc: ChildProcess; port: number; stdout: () => string; stderr: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

function startServe(args: string[]): Promise<Served> {
  const proc = spawn(cliCommand[0]!, [...cliCommand.slice(1), 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${err}`)), 60_000);
    const check = (): void => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ proc, port: Number(m[1]), stdout: () => out, stderr: () => err, exited });
    };
    proc.stdout!.on('data', check);
    void exited.then((e) => { clearTimeout(timer); reject(new Error(`serve exited (${e.code ?? e.signal}) before listening: ${err}`)); });
  });
}

/** An HTTP answer's body read as a CLI run's stdout, for the schema check in json(). */
const asRun = (a: Answer): Run => ({ code: 0, stdout: a.text, stderr: '' });

/** Runs `n` jobs with at most `lanes` at once. */
async function bounded<T>(n: number, lanes: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(n);
  let next = 0;
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (next < n) { const i = next++; out[i] = await job(i); }
  }));
  return out;
}

describe('tessera-face serve (spawned, loopback)', function () {
  this.timeout(300_000);
  let dir: string, db: string, ada: string, other: string, small: string, adaBytes: Buffer, smallBytes: Buffer, s: Served;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-face-serve-'));
    db = join(dir, 'gallery.db');
    ada = join(dir, 'ada.jpg');
    other = join(dir, 'other.jpg');
    small = join(dir, 'small.jpg');
    await sharp(sample1).extract({ left: 150, top: 200, width: 700, height: 700 }).jpeg({ quality: 92 }).toFile(ada);
    await sharp(sample1).extract({ left: 1250, top: 50, width: 660, height: 660 }).jpeg({ quality: 92 }).toFile(other);
    await sharp(ada).resize(160).jpeg().toFile(small);
    adaBytes = readFileSync(ada);
    smallBytes = readFileSync(small);
    // One running + 4 waiting, uploads up to 1 MiB: small enough for the tests to reach both limits.
    s = await startServe(['--db', db, '--queue', '4', '--max-upload-mb', '1']);
  });
  after(async () => {
    if (s && s.proc.exitCode === null && s.proc.signalCode === null) { s.proc.kill('SIGKILL'); await s.exited; }
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds 127.0.0.1 and answers /healthz', async () => {
    const h = await request(s.port, 'GET', '/healthz');
    expect(h.status).to.equal(200);
    expect(JSON.parse(h.text)).to.deep.include({ status: 'ok', backend: 'local (1 thread)' });
    expect(JSON.parse(h.text).queue).to.deep.equal({ running: 0, held: 0, capacity: 5 });
  });

  it('enroll, identify, detect and people over HTTP give the JSON the CLI prints', async () => {
    const e = await request(s.port, 'POST', `/enroll?name=ada&image=${encodeURIComponent(ada)}`, adaBytes, { 'content-type': 'image/jpeg' });
    expect(e.status, e.text).to.equal(200);
    const cliDb = join(dir, 'cli.db');
    const ce = await cli(['enroll', '--db', cliDb, '--json', '--name', 'ada', ada]);
    expect(ce.code, ce.stderr).to.equal(0);
    expect(json(asRun(e))).to.deep.equal({ ...json(ce), db });

    for (const photo of [ada, other]) {
      const h = await request(s.port, 'POST', `/identify?image=${encodeURIComponent(photo)}`, readFileSync(photo));
      expect(h.status, h.text).to.equal(200);
      const c = await cli(['identify', '--db', db, '--json', photo]);
      expect(c.code, c.stderr).to.equal(0);
      expect(json(asRun(h))).to.deep.equal(json(c));
    }
    const named = JSON.parse((await request(s.port, 'POST', '/identify', smallBytes)).text);
    expect(named.images[0].image).to.equal('upload');
    const face = named.images[0].faces[0];
    expect(face.name).to.equal('ada');
    // ?tolerance= below the distance: the same face is unknown, its nearest still ada.
    const strict = JSON.parse((await request(s.port, 'POST', `/identify?tolerance=${face.distance / 2}`, smallBytes)).text);
    expect(strict.tolerance).to.equal(face.distance / 2);
    expect(strict.images[0].faces[0]).to.deep.include({ name: null, nearest: 'ada', distance: face.distance });

    const d = await request(s.port, 'POST', `/detect?image=${encodeURIComponent(other)}`, readFileSync(other));
    expect(d.status, d.text).to.equal(200);
    expect(json(asRun(d))).to.deep.equal(json(await cli(['detect', '--json', other])));

    const p = await request(s.port, 'GET', '/people');
    expect(json(asRun(p))).to.deep.equal(json(await cli(['list', '--db', db, '--json'])));
  });

  it('DELETE /people/NAME forgets a person; an unknown name is 404; a picture with no face is 422 and enrolls nobody', async () => {
    const e = await request(s.port, 'POST', '/enroll?name=temp%20person', smallBytes);
    expect(e.status, e.text).to.equal(200);
    const del = await request(s.port, 'DELETE', '/people/temp%20person');
    expect(del.status, del.text).to.equal(200);
    expect(JSON.parse(del.text)).to.deep.equal({ command: 'forget', db, name: 'temp person', removed: 1 });
    const again = await request(s.port, 'DELETE', '/people/temp%20person');
    expect(again.status).to.equal(404);
    expect(JSON.parse(again.text).error.message).to.contain("nobody named 'temp person'");
    const blank = await sharp({ create: { width: 200, height: 150, channels: 3, background: '#8899aa' } }).png().toBuffer();
    const none = await request(s.port, 'POST', '/enroll?name=wall', blank);
    expect(none.status).to.equal(422);
    expect(JSON.parse(none.text).people).to.deep.equal([{ name: 'wall', enrolled: 0, skipped: [{ path: 'upload', reason: 'no face found' }] }]);
    expect(JSON.parse((await request(s.port, 'GET', '/people')).text).people.map((x: { name: string }) => x.name)).to.deep.equal(['ada']);
  });

  it('bad requests: over the upload limit 413, not an image 400 naming why, multipart 415, unknown query key or path, wrong method', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    const over = await request(s.port, 'POST', '/identify', big);
    expect(over.status).to.equal(413);
    expect(JSON.parse(over.text).error.message).to.contain('the limit is 1048576 bytes');
    // Without a Content-Length (chunked), the limit is met while reading: the rest is dropped and the client reads its 413.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/detect', agent: false }, (res) => { res.resume(); resolve(res.statusCode!); });
      req.on('error', reject);
      const piece = Buffer.alloc(64 * 1024, 1);
      let sent = 0;
      // Every write counts (a 64 KiB piece is over the socket's high-water mark: write() is false each time).
      const pump = (): void => {
        while (sent < 40) {
          sent++;
          if (!req.write(piece)) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    }).catch((e: Error) => e.message);
    expect(chunked).to.equal(413);

    const text = await request(s.port, 'POST', '/identify', Buffer.from('hello, this is not a photo'), { 'content-type': 'text/plain' });
    expect(text.status).to.equal(400);
    expect(JSON.parse(text.text).error).to.deep.include({ code: 'BAD_IMAGE' });
    expect(JSON.parse(text.text).error.message).to.contain('upload: not a readable image');
    const empty = await request(s.port, 'POST', '/detect', Buffer.alloc(0));
    expect(empty.status).to.equal(400);
    expect(JSON.parse(empty.text).error.message).to.contain('no body');
    const multi = await request(s.port, 'POST', '/identify', adaBytes, { 'content-type': 'multipart/form-data; boundary=x' });
    expect(multi.status).to.equal(415);
    const q = await request(s.port, 'POST', '/identify?tolerence=0.5', smallBytes);
    expect(q.status).to.equal(400);
    expect(JSON.parse(q.text).error.message).to.contain("unknown query parameter 'tolerence'");
    expect((await request(s.port, 'GET', '/nothing')).status).to.equal(404);
    const m = await request(s.port, 'GET', '/identify');
    expect(m.status).to.equal(405);
    expect(m.headers.allow).to.equal('POST');
    expect((await request(s.port, 'POST', '/enroll', smallBytes)).status).to.equal(400);
    // A client that hangs up mid-upload gives its queue place back.
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: s.port, method: 'POST', path: '/identify', agent: false, headers: { 'content-length': '100000' } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(1000), () => setTimeout(() => { req.destroy(); resolve(); }, 100));
    });
    let held = -1;
    for (let i = 0; i < 50 && held !== 0; i++) {
      held = JSON.parse((await request(s.port, 'GET', '/healthz')).text).queue.held;
      if (held !== 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(held).to.equal(0);
  });

  it('200 requests, 24 at a time: every one answered 200 or 503 (with Retry-After), none lost, the server still up', async () => {
    const answers = await bounded(200, 24, async (i) => {
      const r = await request(s.port, 'POST', i % 2 ? '/detect' : '/identify', smallBytes);
      return { status: r.status, retry: r.headers['retry-after'], ok: r.status === 200 ? JSON.parse(r.text).images[0].faces.length : undefined };
    });
    expect(answers).to.have.length(200);
    const by = (st: number) => answers.filter((a) => a.status === st);
    expect(by(200).length + by(503).length, JSON.stringify(answers.filter((a) => a.status !== 200 && a.status !== 503))).to.equal(200);
    expect(by(200).length).to.be.above(0);
    expect(by(503).length).to.be.above(0);
    for (const a of by(503)) expect(Number(a.retry)).to.be.at.least(1);
    for (const a of by(200)) expect(a.ok).to.equal(1);
    const h = JSON.parse((await request(s.port, 'GET', '/healthz')).text);
    expect(h.queue).to.deep.equal({ running: 0, held: 0, capacity: 5 });
  });

  it('a port already taken is UNAVAILABLE naming it, exit 1, nothing left running', async () => {
    const r = await cli(['serve', '--port', String(s.port), '--db', join(dir, 'other.db')]);
    expect(r.code).to.equal(1);
    expect(r.stderr.trim()).to.equal(`error [UNAVAILABLE]: cannot listen on 127.0.0.1:${s.port} (EADDRINUSE)`);
  });

  it('SIGTERM under load: requests taken finish with 200, the process exits 0, the gallery opens cleanly', async () => {
    const pending = Array.from({ length: 8 }, () => request(s.port, 'POST', '/identify', adaBytes).then((r) => r.status, (e: Error) => e.message));
    // Wait until the server holds requests, then stop it.
    let held = 0;
    for (let i = 0; i < 200 && held < 3; i++) {
      held = JSON.parse((await request(s.port, 'GET', '/healthz')).text).queue.held;
      if (held < 3) await new Promise((r) => setTimeout(r, 20));
    }
    expect(held).to.be.at.least(3);
    s.proc.kill('SIGTERM');
    const statuses = await Promise.all(pending);
    const exit = await s.exited;
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(statuses.every((x) => x === 200 || x === 503), JSON.stringify(statuses)).to.equal(true);
    expect(statuses.filter((x) => x === 200).length).to.be.at.least(held);
    expect(s.stderr()).to.match(/SIGTERM: stopping/).and.to.match(/stopped/);
    // Nothing listens any more, and the gallery is whole.
    const refused = await request(s.port, 'GET', '/healthz').then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
    expect(refused).to.equal('ECONNREFUSED');
    const g = Gallery.open(db);
    try {
      expect(g.list().map((p) => [p.name, p.descriptors])).to.deep.equal([['ada', 1]]);
    } finally {
      g.close();
    }
  });
});
