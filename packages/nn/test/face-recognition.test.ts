import { expect } from 'chai';
import { mkdtempSync, copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TesseraError, type Tensor } from '@tessera/tensor';
import {
  LocalExecutor, faceApiModelDir, faceRecognitionNet, loadFaceApiWeights, recognitionInput, stackBatch, type Model,
} from '../src/index.js';
import { crop, decodeSample, diffTf, loadFaceApi, maxAbsDiff, modelDir, toTf, traceModel, type FaceApi, type RgbImage } from './face-helpers.js';

// Faces found by face-api's tiny face detector in demo/sample1.jpg (x, y, w, h): non-square crops.
const FACES: [number, number, number, number][] = [[776, 445, 313, 256], [1422, 215, 307, 283]];

describe('face recognition net (face-api port)', function () {
  this.timeout(120000);
  let faceapi: FaceApi;
  let model: Model;
  let faces: RgbImage[];

  before(async () => {
    faceapi = await loadFaceApi();
    await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
    model = faceRecognitionNet();
    const img = await decodeSample(1);
    faces = FACES.map(([x, y, w, h]) => crop(img, x, y, w, h));
  });

  it('loads the weights: uint8-quantized and float32 tensors, TF shapes', () => {
    const w = loadFaceApiWeights(join(faceApiModelDir(), 'face_recognition_model-weights_manifest.json'));
    expect([...w.get('conv32_down/conv/filters')!.shape]).to.deep.equal([7, 7, 3, 32]);
    expect([...w.get('fc')!.shape]).to.deep.equal([256, 128]);
    // Same values as tfjs' own decoder, for a quantized and an unquantized tensor.
    for (const name of ['conv32_down/conv/filters', 'conv64_down/conv1/conv/filters', 'fc']) {
      const theirs = faceapi.nets.faceRecognitionNet.params;
      const t = name === 'fc' ? theirs.fc : name.startsWith('conv32_down') ? theirs.conv32_down.conv.filters : theirs.conv64_down.conv1.conv.filters;
      expect(maxAbsDiff(w.get(name)!.data, t.dataSync()), name).to.equal(0);
    }
  });

  it('preprocesses a crop exactly as face-api (centred pad, resize 150, mean, /255)', () => {
    const tf = faceapi.tf;
    for (const f of faces) {
      const ours = recognitionInput(f.data, f.width, f.height);
      const theirs = tf.tidy(() => {
        const ni = tf.tensor3d(f.data, [f.height, f.width, 3], 'int32');
        const batch = tf.cast(new faceapi.NetInput([ni]).toBatchTensor(150, true), 'float32');
        return faceapi.normalize(batch, [122.782, 117.001, 104.298]).div(255);
      });
      expect(diffTf(ours, theirs)).to.be.at.most(1e-6);
      theirs.dispose();
    }
  });

  it('matches face-api block by block on a real face', () => {
    const tf = faceapi.tf;
    const p = faceapi.nets.faceRecognitionNet.params;
    const x = recognitionInput(faces[0]!.data, faces[0]!.width, faces[0]!.height);
    const trace = traceModel(model, x);
    // face-api's layers, written with tf ops on face-api's own loaded params.
    const convLayer = (t: any, q: any, stride: number, relu: boolean, padding = 'same') => {
      let o = tf.add(tf.conv2d(t, q.conv.filters, [stride, stride], padding), q.conv.bias);
      o = tf.add(tf.mul(o, q.scale.weights), q.scale.biases);
      return relu ? tf.relu(o) : o;
    };
    const residual = (t: any, q: any) => tf.relu(tf.add(convLayer(convLayer(t, q.conv1, 1, true), q.conv2, 1, false), t));
    const residualDown = (t: any, q: any) => {
      let o = convLayer(convLayer(t, q.conv1, 2, true, 'valid'), q.conv2, 1, false);
      let pooled = tf.avgPool(t, 2, 2, 'valid');
      if (pooled.shape[1] !== o.shape[1]) o = tf.pad(o, [[0, 0], [0, 1], [0, 1], [0, 0]]);
      if (pooled.shape[3] !== o.shape[3]) pooled = tf.concat([pooled, tf.zerosLike(pooled)], 3);
      return tf.relu(tf.add(pooled, o));
    };
    const report: string[] = [];
    let worst = 0;
    tf.tidy(() => {
      let t = toTf(faceapi, x);
      const check = (name: string, ours: Tensor | undefined) => {
        const d = diffTf(ours!, t);
        report.push(`${name}: ${d.toExponential(2)}`);
        worst = Math.max(worst, d);
      };
      t = tf.maxPool(convLayer(t, p.conv32_down, 2, true, 'valid'), 3, 2, 'valid');
      check('conv32_down', trace.get('conv32_down/pool'));
      for (const name of ['conv32_1', 'conv32_2', 'conv32_3', 'conv64_down', 'conv64_1', 'conv64_2', 'conv64_3', 'conv128_down',
        'conv128_1', 'conv128_2', 'conv256_down', 'conv256_1', 'conv256_2', 'conv256_down_out']) {
        t = name.endsWith('down') || name.endsWith('down_out') ? residualDown(t, p[name]) : residual(t, p[name]);
        check(name, trace.get(`${name}/relu`));
      }
      t = tf.matMul(t.mean([1, 2]), p.fc);
      const d = maxAbsDiff(trace.get('fc')!.data, t.dataSync());
      report.push(`fc: ${d.toExponential(2)}`);
      worst = Math.max(worst, d);
    });
    expect(worst, report.join('\n')).to.be.at.most(1e-4);
  });

  it('gives face-api\'s descriptors (end to end from the raw crop, batch of 2) within 1e-4', async () => {
    const tf = faceapi.tf;
    const batch = stackBatch(faces.map((f) => recognitionInput(f.data, f.width, f.height)));
    const ours = await new LocalExecutor().run(faceRecognitionNet(undefined, { batch: 2 }), batch);
    expect([...ours.shape]).to.deep.equal([2, 128]);
    const diffs: number[] = [];
    for (let i = 0; i < faces.length; i++) {
      const f = faces[i]!;
      const img = tf.tensor3d(f.data, [f.height, f.width, 3], 'int32');
      const theirs = (await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(img)) as Float32Array;
      img.dispose();
      diffs.push(maxAbsDiff(ours.data.subarray(i * 128, (i + 1) * 128), theirs));
    }
    console.log(`      descriptor max |ours − face-api|: ${diffs.map((d) => d.toExponential(2)).join(', ')}`);
    expect(Math.max(...diffs)).to.be.at.most(1e-4);
    // Not L2-normalised: norms well away from 1.
    for (let i = 0; i < 2; i++) {
      const norm = Math.hypot(...ours.data.subarray(i * 128, (i + 1) * 128));
      expect(norm).to.be.within(1.1, 2);
    }
  });

  describe('bad weights', () => {
    const src = join(faceApiModelDir(), 'tiny_face_detector_model-weights_manifest.json');
    it('a missing manifest is BAD_MODEL naming the file', () => {
      const p = join(tmpdir(), 'no-such-dir', 'x-weights_manifest.json');
      expect(() => loadFaceApiWeights(p)).to.throw(TesseraError, /no-such-dir\/x-weights_manifest\.json/)
        .with.property('code', 'BAD_MODEL');
    });
    it('a missing or truncated .bin is BAD_MODEL naming the file and tensor', () => {
      const dir = mkdtempSync(join(tmpdir(), 'faceapi-'));
      const m = join(dir, 'tiny_face_detector_model-weights_manifest.json');
      copyFileSync(src, m);
      expect(() => loadFaceApiWeights(m)).to.throw(TesseraError, /tiny_face_detector_model\.bin/).with.property('code', 'BAD_MODEL');
      const bin = readFileSync(join(faceApiModelDir(), 'tiny_face_detector_model.bin'));
      writeFileSync(join(dir, 'tiny_face_detector_model.bin'), bin.subarray(0, bin.length - 100));
      expect(() => loadFaceApiWeights(m)).to.throw(TesseraError, /tiny_face_detector_model\.bin.*too short.*'conv8\/filters'/).with.property('code', 'BAD_MODEL');
    });
    it('an unknown dtype is BAD_MODEL naming the tensor', () => {
      const dir = mkdtempSync(join(tmpdir(), 'faceapi-'));
      const manifest = JSON.parse(readFileSync(src, 'utf8'));
      manifest[0].weights[1].quantization.dtype = 'int4';
      writeFileSync(join(dir, 'm-weights_manifest.json'), JSON.stringify(manifest));
      copyFileSync(join(faceApiModelDir(), 'tiny_face_detector_model.bin'), join(dir, 'tiny_face_detector_model.bin'));
      expect(() => loadFaceApiWeights(join(dir, 'm-weights_manifest.json'))).to.throw(TesseraError, /'conv0\/bias'.*int4/).with.property('code', 'BAD_MODEL');
    });
    it('a missing weight is BAD_MODEL naming it', () => {
      const w = loadFaceApiWeights(src);
      expect(() => faceRecognitionNet(w)).to.throw(TesseraError, /conv32_down\/conv\/filters/).with.property('code', 'BAD_MODEL');
    });
  });
});
