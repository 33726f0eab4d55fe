import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { checkSvg } from './svg-check.js';

/**
 * Runs the whole harness on tiny sizes (--quick) into a temp folder and
 * checks what it writes: run.json against the documented schema, report.md,
 * well-formed SVG charts. No timing assertions: numbers here are noise.
 */
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'tessera-bench.js');
const schema = JSON.parse(readFileSync(join(here, '..', 'schema', 'run.schema.json'), 'utf8')) as object;

function bench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 170_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('tessera-bench --quick', function () {
  let out: string;
  before(() => { out = mkdtempSync(join(tmpdir(), 'tessera-bench-')); });
  after(() => { rmSync(out, { recursive: true, force: true }); });

  it('runs every suite and writes a valid run.json, report.md and SVG charts', function () {
    const r = bench(['--quick', '--out', out]);
    expect(r.status, r.stderr).to.equal(0);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
      schemaVersion: number; suites: { name: string; error: string | null; cases: { id: string; error: string | null; peers: { peer: string; status: string }[] }[] }[]; charts: { file: string }[];
    };
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(run), JSON.stringify(validate.errors, null, 2)).to.equal(true);
    expect(run.schemaVersion).to.equal(1);

    // Every suite runs (the project's set-up installs nats-server; gpu.js peers without GL say 'unsupported'),
    // every case is built, and every peer either ran and agreed with the reference or says why it could not.
    for (const name of ['kernels', 'scaling', 'face', 'gpu', 'cluster', 'onnx']) {
      const s = run.suites.find((x) => x.name === name);
      expect(s, `suite ${name}`).to.not.equal(undefined);
      expect(s!.error, `suite ${name}`).to.equal(null);
      expect(s!.cases.length, `suite ${name}`).to.be.greaterThan(0);
      for (const c of s!.cases) {
        expect(c.error, `${name}/${c.id}`).to.equal(null);
        for (const p of c.peers) expect(['ok', 'unsupported', 'skipped'], `${name}/${c.id} ${p.peer}: ${p.status}`).to.include(p.status);
        expect(c.peers.some((p) => p.status === 'ok'), `${name}/${c.id}: some peer ran`).to.equal(true);
      }
    }
    // Peers without an op say so instead of vanishing.
    const l2 = run.suites.find((x) => x.name === 'kernels')!.cases.find((c) => c.id === 'l2pool-2x2')!;
    expect(l2.peers.find((p) => p.peer === 'tfjs-cpu')!.status).to.equal('unsupported');

    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).to.match(/^# Tessera benchmarks/);
    expect(report).to.include('## Machine');
    expect(run.charts.length).to.be.greaterThan(0);
    for (const c of run.charts) {
      expect(existsSync(join(out, c.file)), c.file).to.equal(true);
      checkSvg(readFileSync(join(out, c.file), 'utf8'), c.file);
      expect(report).to.include(`](${c.file})`);
    }
  });

  it('rejects bad command-line values, naming them', function () {
    const bad = bench(['--threads', '1,x', '--out', out]);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.include("--threads must be an integer ≥ 1, got 'x'");
    const unknown = bench(['nosuch', '--out', out]);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.include("unknown suite 'nosuch'");
  });
});
