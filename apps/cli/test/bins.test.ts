import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Bin { name: string; pkg: string; file: string }

/** Every `bin` of every workspace (the root package.json's workspace folders). */
function workspaceBins(): Bin[] {
  const bins: Bin[] = [];
  for (const folder of ['apps', 'packages']) {
    for (const d of readdirSync(join(root, folder))) {
      let pkg: { name: string; bin?: Record<string, string> };
      try { pkg = JSON.parse(readFileSync(join(root, folder, d, 'package.json'), 'utf8')); } catch { continue; }
      for (const [name, target] of Object.entries(pkg.bin ?? {})) bins.push({ name, pkg: pkg.name, file: join(root, folder, d, target) });
    }
  }
  return bins;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: 120_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('the repository\'s bins under npx', () => {
  const bins = workspaceBins();

  it('are the five commands, each a committed, executable launcher outside dist/ (npm links a bin at install only if its file exists)', () => {
    expect(bins.map((b) => b.name).sort()).to.deep.equal(['tessera', 'tessera-bench', 'tessera-demo', 'tessera-face', 'tessera-worker']);
    for (const b of bins) {
      const rel = relative(root, b.file);
      expect(rel.split('/'), b.name).not.to.include('dist');
      // Tracked by git with mode 100755: a fresh clone has the file before anything is built.
      const entry = execFileSync('git', ['ls-files', '-s', '--', rel], { cwd: root, encoding: 'utf8' }).trim();
      expect(entry, `${b.name}: ${rel} is not committed`).to.match(/^100755 /);
      expect(readFileSync(b.file, 'utf8').startsWith('#!/usr/bin/env node\n'), `${b.name} shebang`).to.equal(true);
      // npm ci linked node_modules/.bin/<name> to it.
      expect(realpathSync(join(root, 'node_modules', '.bin', b.name)), b.name).to.equal(realpathSync(b.file));
    }
  });

  it('each answers --help through `npx --no-install` from the repository root', async () => {
    const runs = await Promise.all(bins.map((b) => run('npx', ['--no-install', b.name, '--help'], root)));
    runs.forEach((r, i) => {
      expect(r.code, `${bins[i]!.name}: ${r.stderr}`).to.equal(0);
      // Each help text starts by naming its command.
      expect(r.stdout.trimStart().split('\n')[0], bins[i]!.name).to.match(new RegExp(`^(usage: )?${bins[i]!.name} `));
    });
  });

  it('a launcher whose package is not built says how to build it and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-bin-'));
    try {
      for (const b of bins.filter((x) => x.name !== 'tessera-bench')) {
        // The launcher alone, in a package folder with no dist/.
        mkdirSync(join(dir, b.name, 'bin'), { recursive: true });
        const copy = join(dir, b.name, 'bin', `${b.name}.js`);
        copyFileSync(b.file, copy);
        const r = await run(process.execPath, [copy, '--help'], dir);
        expect(r.code, b.name).to.equal(1);
        expect(r.stderr, b.name).to.include(`${b.name}: ${join(dir, b.name, 'dist')}`).and.include('is not built yet; run `npx nx run-many -t build`')
          .and.include(`npm run build -w ${b.pkg}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
