import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomTensor } from '@tessera/tensor';
import { LocalExecutor, faceLandmark68Net, faceRecognitionNet, tinyFaceDetectorNet, type Model } from '@tessera/nn';
import { loadModel, saveModel } from '../src/index.js';

describe('.tsm files of the face nets', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'tessera-face-tsm-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const nets: [string, () => Model][] = [
    ['recognition', () => faceRecognitionNet()],
    ['detector', () => tinyFaceDetectorNet(undefined, 128)],
    ['landmarks', () => faceLandmark68Net()],
  ];
  for (const [name, build] of nets) {
    it(`${name}: save → load gives bit-identical outputs`, async () => {
      const m = build();
      const path = join(dir, `${name}.tsm`);
      await saveModel(m, path);
      const back = await loadModel(path);
      expect(statSync(path).size).to.be.greaterThan(m.paramCount() * 4);
      expect(back.id).to.equal(m.id);
      const x = randomTensor(m.inputShape, 3, 0, 1);
      const ex = new LocalExecutor();
      const a = (await ex.run(m, x)).toFloat32Array(), b = (await ex.run(back, x)).toFloat32Array();
      expect(b.length).to.equal(a.length);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) expect.fail(`${name}: element ${i} differs: ${a[i]} vs ${b[i]}`);
    });
  }
});
