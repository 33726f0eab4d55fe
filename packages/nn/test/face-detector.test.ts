import { expect } from 'chai';
import { Tensor } from '@tessera/tensor';
import { LocalExecutor, boxIou, decodeDetections, detectorInput, tinyFaceDetectorNet, type FaceBox, type Model } from '../src/index.js';
import { decodeSample, diffTf, loadFaceApi, modelDir, toTf, traceModel, type FaceApi, type RgbImage } from './face-helpers.js';

const rect = (b: { x: number; y: number; width: number; height: number }) => ({ left: b.x, top: b.y, right: b.x + b.width, bottom: b.y + b.height });

describe('tiny face detector (face-api port)', function () {
  this.timeout(120000);
  let faceapi: FaceApi;
  let model: Model;
  const images = new Map<number, RgbImage>();

  before(async () => {
    faceapi = await loadFaceApi();
    await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir);
    model = tinyFaceDetectorNet();
    for (const i of [1, 5]) images.set(i, await decodeSample(i));
  });

  it('preprocesses and runs like face-api, layer by layer and at the raw output', () => {
    const tf = faceapi.tf;
    const img = images.get(1)!;
    const x = detectorInput(img.data, img.width, img.height, 416);
    const report: string[] = [];
    let worst = 0;
    const check = (name: string, ours: Tensor, theirs: unknown) => {
      const d = diffTf(ours, theirs as never);
      report.push(`${name}: ${d.toExponential(2)}`);
      worst = Math.max(worst, d);
    };
    tf.tidy(() => {
      // face-api's own preprocessing of the whole image (bottom/right pad, resize, mean, /255)
      const raw = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      const input = faceapi.normalize(tf.cast(new faceapi.NetInput([raw]).toBatchTensor(416, false), 'float32'), [117.001, 114.697, 97.404]).div(255);
      const dIn = diffTf(x, input);
      expect(dIn, 'input').to.be.at.most(1e-6);
      // Each block with tf ops on face-api's loaded params, against our layer outputs.
      const trace = traceModel(model, x);
      const p = faceapi.nets.tinyFaceDetector.params;
      const leaky = (t: any) => { const m = tf.mul(t, tf.scalar(0.10000000149011612)); return tf.add(tf.relu(tf.sub(t, m)), m); };
      let t = toTf(faceapi, x);
      t = tf.maxPool(leaky(tf.add(tf.conv2d(t, p.conv0.filters, [1, 1], 'valid'), p.conv0.bias)), [2, 2], [2, 2], 'same');
      check('conv0', trace.get('conv0/pool')!, t);
      for (let i = 1; i <= 5; i++) {
        const q = p[`conv${i}`];
        t = tf.pad(t, [[0, 0], [1, 1], [1, 1], [0, 0]]);
        t = leaky(tf.add(tf.separableConv2d(t, q.depthwise_filter, q.pointwise_filter, [1, 1], 'valid'), q.bias));
        t = tf.maxPool(t, [2, 2], i < 5 ? [2, 2] : [1, 1], 'same');
        check(`conv${i}`, trace.get(`conv${i}/pool`)!, t);
      }
      check('conv8', trace.get('conv8')!, tf.add(tf.conv2d(t, p.conv8.filters, [1, 1], 'valid'), p.conv8.bias));
      // and face-api's forward itself
      check('forward', trace.get('conv8')!, faceapi.nets.tinyFaceDetector.forwardInput(new faceapi.NetInput([raw]), 416));
    });
    console.log(`      detector max |ours − face-api| per block: ${report.join(', ')}`);
    expect(worst, report.join('\n')).to.be.at.most(1e-3);
  });

  for (const i of [1, 5]) {
    it(`finds the same faces as face-api in sample${i}.jpg (IoU ≥ 0.99)`, async () => {
      const tf = faceapi.tf;
      const img = images.get(i)!;
      const out = await new LocalExecutor().run(model, detectorInput(img.data, img.width, img.height, 416));
      const ours = decodeDetections(out, { inputSize: 416, imageWidth: img.width, imageHeight: img.height });
      const raw = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
      const dets = await faceapi.nets.tinyFaceDetector.locateFaces(raw, { inputSize: 416, scoreThreshold: 0.5 });
      raw.dispose();
      const theirs: FaceBox[] = dets.map((d: any) => ({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height, score: d.score }));
      expect(ours.length).to.equal(theirs.length);
      expect(ours.length).to.be.greaterThan(0);
      let minIou = 1, maxScore = 0;
      ours.forEach((b, k) => {
        const t = theirs[k]!;
        minIou = Math.min(minIou, boxIou(rect(b), rect(t)));
        maxScore = Math.max(maxScore, Math.abs(b.score - t.score));
        expect(b.x).to.be.within(-img.width, 2 * img.width);
      });
      console.log(`      sample${i}: ${ours.length} faces, min IoU ${minIou.toFixed(6)}, max |Δscore| ${maxScore.toExponential(2)}`);
      expect(minIou).to.be.at.least(0.99);
      expect(maxScore).to.be.at.most(1e-4);
    });
  }

  it('decodes a hand-made output: one confident cell, NMS drops its weaker twin, padding undone', () => {
    const s = 13;
    const data = new Float32Array(25 * s * s).fill(-10);
    const set = (c: number, row: number, col: number, v: number) => { data[(c * s + row) * s + col] = v; };
    // anchors 1 and 3 at cell (row 6, col 4), offsets 0 (σ = 0.5), exp(0) = 1; anchor 1 scores higher
    for (const [a, score] of [[1, 3], [3, 1]] as const) {
      for (let k = 0; k < 4; k++) set(a * 5 + k, 6, 4, 0);
      set(a * 5 + 4, 6, 4, score);
    }
    // a 832×416 image: the bottom half of the square input is padding, so y is stretched ×2
    const boxes = decodeDetections(new Tensor(data, [1, 25, s, s]), { inputSize: 416, imageWidth: 832, imageHeight: 416 });
    expect(boxes.length).to.equal(1);
    const b = boxes[0]!;
    expect(b.score).to.be.closeTo(1 / (1 + Math.exp(-3)), 1e-12);
    const w = (6.041143 / s) * 832, h = (7.080126 / s) * 2 * 416;
    expect(b.x).to.be.closeTo((4.5 / s) * 832 - w / 2, 1e-9);
    expect(b.y).to.be.closeTo((6.5 / s) * 2 * 416 - h / 2, 1e-9);
    expect(b.width).to.be.closeTo(w, 1e-9);
    expect(b.height).to.be.closeTo(h, 1e-9);
    // a lower threshold and a looser NMS keep the second box too
    expect(decodeDetections(new Tensor(data, [1, 25, s, s]), { imageWidth: 832, imageHeight: 416, iouThreshold: 0.99 }).length).to.equal(2);
  });
});
