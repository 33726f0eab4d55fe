import { expect } from 'chai';
import { LocalExecutor, faceLandmark68Net, landmarkPoints, landmarksInput, stackBatch, type Model } from '../src/index.js';
import { crop, decodeSample, diffTf, loadFaceApi, maxAbsDiff, modelDir, toTf, traceModel, type FaceApi, type RgbImage } from './face-helpers.js';

// Faces found by face-api's tiny face detector in demo/sample1.jpg (x, y, w, h): wide and tall crops.
const FACES: [number, number, number, number][] = [[776, 445, 313, 256], [1422, 215, 307, 283], [337, 397, 251, 305]];

describe('68-point face landmark net (face-api port)', function () {
  this.timeout(120000);
  let faceapi: FaceApi;
  let model: Model;
  let faces: RgbImage[];

  before(async () => {
    faceapi = await loadFaceApi();
    await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
    model = faceLandmark68Net();
    const img = await decodeSample(1);
    faces = FACES.map(([x, y, w, h]) => crop(img, x, y, w, h));
  });

  it('matches face-api dense block by dense block', () => {
    const tf = faceapi.tf;
    const f = faces[0]!;
    const x = landmarksInput(f.data, f.width, f.height);
    const trace = traceModel(model, x);
    const p = faceapi.nets.faceLandmark68Net.faceFeatureExtractor.params;
    const fc = faceapi.nets.faceLandmark68Net.params.fc;
    const sep = (t: any, q: any, s: number) => tf.add(tf.separableConv2d(t, q.depthwise_filter, q.pointwise_filter, [s, s], 'same'), q.bias);
    const block = (t: any, q: any, first: boolean) => {
      const o1 = tf.relu(first ? tf.add(tf.conv2d(t, q.conv0.filters, [2, 2], 'same'), q.conv0.bias) : sep(t, q.conv0, 2));
      const o2 = sep(o1, q.conv1, 1);
      const o3 = sep(tf.relu(tf.add(o1, o2)), q.conv2, 1);
      const o4 = sep(tf.relu(tf.add(o1, tf.add(o2, o3))), q.conv3, 1);
      return tf.relu(tf.add(o1, tf.add(o2, tf.add(o3, o4))));
    };
    const report: string[] = [];
    let worst = 0;
    tf.tidy(() => {
      const raw = tf.tensor3d(f.data, [f.height, f.width, 3], 'int32');
      const input = faceapi.normalize(tf.cast(new faceapi.NetInput([raw]).toBatchTensor(112, true), 'float32'), [122.782, 117.001, 104.298]).div(255);
      expect(diffTf(x, input), 'input').to.be.at.most(1e-6);
      let t = toTf(faceapi, x);
      for (let i = 0; i < 4; i++) {
        t = block(t, p[`dense${i}`], i === 0);
        const d = diffTf(trace.get(`dense${i}/out`)!, t);
        report.push(`dense${i}: ${d.toExponential(2)}`);
        worst = Math.max(worst, d);
      }
      t = tf.avgPool(t, [7, 7], [2, 2], 'valid');
      const out = tf.add(tf.matMul(t.as2D(1, -1), fc.weights), fc.bias);
      const d = maxAbsDiff(trace.get('fc')!.data, out.dataSync());
      report.push(`fc: ${d.toExponential(2)}`);
      worst = Math.max(worst, d);
    });
    console.log(`      landmarks max |ours − face-api| per block: ${report.join(', ')}`);
    expect(worst, report.join('\n')).to.be.at.most(1e-4);
  });

  it('puts the 68 points within 0.5 px of face-api\'s on real faces (batch of 3)', async () => {
    const tf = faceapi.tf;
    const out = await new LocalExecutor().run(faceLandmark68Net(undefined, { batch: faces.length }), stackBatch(faces.map((f) => landmarksInput(f.data, f.width, f.height))));
    let worst = 0;
    for (let i = 0; i < faces.length; i++) {
      const f = faces[i]!;
      const ours = landmarkPoints(out, f.width, f.height, i);
      const raw = tf.tensor3d(f.data, [f.height, f.width, 3], 'int32');
      const theirs = await faceapi.nets.faceLandmark68Net.detectLandmarks(raw);
      raw.dispose();
      const pts = theirs.positions as { x: number; y: number }[];
      expect(pts.length).to.equal(68);
      pts.forEach((q, k) => { worst = Math.max(worst, Math.abs(q.x - ours[k]!.x), Math.abs(q.y - ours[k]!.y)); });
      // the points lie on the face, inside the crop (give or take)
      for (const q of ours) {
        expect(q.x).to.be.within(-0.2 * f.width, 1.2 * f.width);
        expect(q.y).to.be.within(-0.2 * f.height, 1.2 * f.height);
      }
    }
    console.log(`      landmarks max |ours − face-api|: ${worst.toExponential(2)} px`);
    expect(worst).to.be.at.most(0.5);
  });
});
