import {
  Tensor, getOp, randomTensor, runOp, weightShapes,
  engineTensor, releaseEngineTensor, engineLabel, resolveEngine, selectEngine,
  type Conv2dSpec, type EngineInfo, type EngineOptions, type DenseSpec, type Geometry, type OpSpec, type Pool2dSpec, type Shape, type Weights,
} from '@tessera/tensor';
import { ModelBuilder, type Model } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { barChart, type BarSeries } from '../charts/bar-chart.js';
import { colourOf } from '../charts/palette.js';
import { gf, mdTable, ratio } from '../harness/format.js';
import type { BenchContext, BuiltCase, CaseDef, CaseRecord, ChartFile, Peer, ReportSection, Suite, SuiteRecord } from '../harness/types.js';
import { naiveConv2d, naiveDense, naivePool, type NaivePoolKind } from '../peers/naive.js';
import { depthwiseToHwc1, nchwToNhwc, nhwcToNchw, oihwToHwio } from '../peers/layout.js';
import { onnxModel, type OnnxGraphSpec } from '../peers/onnx-model.js';
import { OrtModel } from '../peers/ort.js';
import { useBackend, wasmSimd, type Tf, type TfBackend } from '../peers/tfjs.js';
import type * as TfCore from '@tensorflow/tfjs-core';

/**
 * One layer at a time, batch 1, fp32: Tessera's reference loops, its fast
 * kernel on the main thread, its PoolExecutor at 1..N threads, against
 * TensorFlow.js (cpu, wasm SIMD), onnxruntime-node at 1..N intra-op threads
 * and naive JS loops. Every runtime gets the same input and weights.
 *
 * The engine column: Tessera's fast kernel runs once per engine this machine
 * has — the default (native exact when the addon loads, else wasm), wasm,
 * and native fma — and the PoolExecutor in exact (default) and fma modes,
 * in the same run as onnxruntime-node.
 */

/** The engines timed: the default first (its rows keep the plain ids), then the others this machine runs. */
function enginesHere(): { id: string; opts: EngineOptions; info: EngineInfo }[] {
  const def = resolveEngine();
  const out = [{ id: '', opts: {} as EngineOptions, info: def }];
  if (def.kind === 'native') {
    out.push({ id: 'wasm', opts: { kind: 'wasm' }, info: resolveEngine({ kind: 'wasm' }) });
    out.push({ id: 'fma', opts: { kind: 'native', mode: 'fma' }, info: resolveEngine({ kind: 'native', mode: 'fma' }) });
  }
  return out;
}

type Kind = 'conv' | 'dwconv' | 'pool' | 'dense';

interface Layer {
  id: string;
  title: string;
  kind: Kind;
  input: Shape;
  spec: OpSpec;
  /** Chart label under the bar group. */
  short: string;
  /** Output channels (conv) or units (dense). */
  outC?: number;
}

function conv(id: string, cin: number, cout: number, size: number, dilation: number): Layer {
  const spec: Conv2dSpec = { op: 'conv2d', kernel: 3, padding: 'same', dilation };
  return { id, kind: 'conv', input: [1, cin, size, size], spec, outC: cout, title: `${id.replace(/^conv-/, '')}: conv 3×3 ${cin}→${cout} ${size}²${dilation > 1 ? ` dil ${dilation}` : ''}`, short: `${cin}→${cout} ${size}²${dilation > 1 ? ` d${dilation}` : ''}` };
}

function layers(quick: boolean): Layer[] {
  const s = quick ? { l1: 16, l2: 16, l3: 8, l4: 8, c2: 8, c3: 16, c4: 16, dw: 8, dws: 16, pc: 8, ps: 16, k: 64, f: 32 }
    : { l1: 112, l2: 56, l3: 28, l4: 14, c2: 64, c3: 128, c4: 256, dw: 128, dws: 56, pc: 64, ps: 112, k: 4096, f: 1024 };
  const out: Layer[] = [
    { ...conv('conv-L1', 3, quick ? 8 : 32, s.l1, 1), short: `L1 ${quick ? 8 : 32}ch ${s.l1}²` },
    { ...conv('conv-L2', s.c2, s.c2, s.l2, 1), short: `L2 ${s.c2}ch ${s.l2}²` },
    { ...conv('conv-L3-d2', s.c3, s.c3, s.l3, 2), short: `L3 ${s.c3}ch ${s.l3}² d2` },
    { ...conv('conv-L4', s.c4, s.c4, s.l4, 1), short: `L4 ${s.c4}ch ${s.l4}²` },
    { ...conv('conv-L1-d2', 3, quick ? 8 : 32, s.l1, 2), short: `L1 d2` },
    { ...conv('conv-L2-d2', s.c2, s.c2, s.l2, 2), short: `L2 d2` },
    { ...conv('conv-L4-d2', s.c4, s.c4, s.l4, 2), short: `L4 d2` },
    {
      id: 'dwconv-3x3', kind: 'dwconv', input: [1, s.dw, s.dws, s.dws], spec: { op: 'conv2d', kernel: 3, padding: 'same', groups: s.dw },
      title: `depthwise 3×3 ${s.dw}ch ${s.dws}²`, short: `dw ${s.dw}ch ${s.dws}²`,
    },
  ];
  for (const op of ['maxPool', 'avgPool', 'l2Pool'] as const) {
    out.push({
      id: `${op.replace('Pool', '').toLowerCase()}pool-2x2`, kind: 'pool', input: [1, s.pc, s.ps, s.ps], spec: { op, kernel: 2, stride: 2, padding: 'valid' },
      title: `${op.replace('Pool', '')} pool 2×2/2 ${s.pc}ch ${s.ps}²`, short: `${op.replace('Pool', '')} pool`,
    });
  }
  out.push({ id: 'dense', kind: 'dense', input: [1, s.k, 1, 1], spec: { op: 'dense' } as DenseSpec, outC: s.f, title: `dense ${s.k}→${s.f}`, short: `dense ${s.k}→${s.f}` });
  return out;
}

/** Weight shapes: conv [O, I/g, 3, 3] + bias [O], dense [K, F] + bias [F]. */
function weightShapesOf(l: Layer): Record<string, Shape> {
  if (l.kind === 'pool') return {};
  if (l.kind === 'dense') return { weight: [l.input[1]!, l.outC!], bias: [l.outC!] };
  const cin = l.input[1]!, groups = (l.spec as Conv2dSpec).groups ?? 1, cout = l.outC ?? cin;
  return { weight: [cout, cin / groups, 3, 3], bias: [cout] };
}

/** The same weights for every runtime, uniform in ±1/sqrt(fan-in) so outputs stay O(1). */
function weightsFor(l: Layer): Weights {
  const ws = weightShapesOf(l);
  if (!ws.weight) return {};
  const fan = ws.weight.slice(l.kind === 'dense' ? 0 : 1, l.kind === 'dense' ? 1 : 4).reduce((a, b) => a * b, 1);
  return { weight: randomTensor(ws.weight, 2, -1 / Math.sqrt(fan), 1 / Math.sqrt(fan)), bias: randomTensor(ws.bias!, 3, -0.1, 0.1) };
}

const POOL_ONNX: Record<string, string> = { maxPool: 'MaxPool', avgPool: 'AveragePool', l2Pool: 'LpPool' };

/** The same layer as a one-node ONNX graph (NCHW, explicit pads from Tessera's geometry). */
function onnxFor(l: Layer, w: Weights, outShape: Shape, g: Geometry | null): OnnxGraphSpec {
  const init = (name: string, t: Tensor | undefined) => (t ? [{ name, dims: [...t.shape], data: t.toFloat32Array() }] : []);
  if (l.kind === 'dense') {
    const k = l.input[1]!;
    return {
      name: l.id, input: { name: 'x', dims: [1, k] }, output: { name: 'y', dims: [...outShape] },
      node: { opType: 'Gemm', inputs: ['x', 'W', 'B'] }, initializers: [...init('W', w.weight), ...init('B', w.bias)],
    };
  }
  const pads = [g!.pt, g!.pl, g!.pb, g!.pr];
  const common = { kernel_shape: [g!.kh, g!.kw], strides: [g!.sh, g!.sw], pads };
  if (l.kind === 'pool') {
    const op = POOL_ONNX[l.spec.op]!;
    const extra: Record<string, number> = op === 'AveragePool' ? { count_include_pad: 0 } : op === 'LpPool' ? { p: 2 } : {};
    return { name: l.id, input: { name: 'x', dims: [...l.input] }, output: { name: 'y', dims: [...outShape] }, node: { opType: op, inputs: ['x'], attributes: { ...common, ...extra } } };
  }
  return {
    name: l.id, input: { name: 'x', dims: [...l.input] }, output: { name: 'y', dims: [...outShape] },
    node: { opType: 'Conv', inputs: ['x', 'W', 'B'], attributes: { ...common, dilations: [g!.dh, g!.dw], group: (l.spec as Conv2dSpec).groups ?? 1 } },
    initializers: [...init('W', w.weight), ...init('B', w.bias)],
  };
}

interface TfOp { run(): TfCore.Tensor; dispose(): void }

/** The layer as a tfjs call on NHWC tensors created on `tf`'s current backend; null when tfjs has no such op. */
function tfOpFor(tf: Tf, l: Layer, x: Tensor, w: Weights): TfOp | null {
  const tensors: TfCore.Tensor[] = [];
  const keep = <T extends TfCore.Tensor>(t: T): T => { tensors.push(t); return t; };
  const dispose = (): void => { for (const t of tensors) t.dispose(); };
  const [, c, h, wd] = l.input as [number, number, number, number];
  if (l.kind === 'dense') {
    const a = keep(tf.tensor2d(x.toFloat32Array(), [1, c]));
    const b = keep(tf.tensor2d(w.weight!.toFloat32Array(), [w.weight!.shape[0]!, w.weight!.shape[1]!]));
    const bias = keep(tf.tensor1d(w.bias!.toFloat32Array()));
    return { run: () => tf.fused.matMul({ a, b, bias }), dispose };
  }
  const xt = keep(tf.tensor4d(nchwToNhwc(x.toFloat32Array(), l.input), [1, h, wd, c]));
  if (l.kind === 'pool') {
    const p = l.spec as Pool2dSpec;
    const k = p.kernel as number, s = (p.stride ?? k) as number;
    if (p.op === 'maxPool') return { run: () => tf.maxPool(xt, k, s, 'valid'), dispose };
    if (p.op === 'avgPool') return { run: () => tf.avgPool(xt, k, s, 'valid'), dispose };
    dispose();
    return null;
  }
  const spec = l.spec as Conv2dSpec, d = (spec.dilation ?? 1) as number;
  const ws = w.weight!.shape;
  const bias = keep(tf.tensor1d(w.bias!.toFloat32Array()));
  if (l.kind === 'dwconv') {
    const filter = keep(tf.tensor4d(depthwiseToHwc1(w.weight!.toFloat32Array(), ws), [3, 3, c, 1]));
    return { run: () => tf.fused.depthwiseConv2d({ x: xt, filter, strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: d, bias }), dispose };
  }
  const filter = keep(tf.tensor4d(oihwToHwio(w.weight!.toFloat32Array(), ws), [3, 3, ws[1]!, ws[0]!]));
  return { run: () => tf.fused.conv2d({ x: xt, filter, strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: d, bias }), dispose };
}

function tfPeer(backend: TfBackend, l: Layer, x: Tensor, w: Weights, outShape: Shape, simd: boolean): Peer {
  const runtime = `tfjs-${backend}`;
  const label = backend === 'cpu' ? 'tfjs cpu' : `tfjs wasm (${simd ? 'SIMD' : 'no SIMD'})`;
  if (l.spec.op === 'l2Pool') return { id: runtime, runtime, label, unsupported: 'tfjs has no L2 (power-2) pool op', run: () => undefined };
  let op: TfOp | null = null;
  let last: Float32Array | undefined;
  return {
    id: runtime, runtime, label, threads: 1,
    async setup() {
      const tf = await useBackend(backend);
      op = tfOpFor(tf, l, x, w);
      if (!op) throw new Error(`tfjs has no ${l.spec.op}`);
    },
    async before() { await useBackend(backend); },
    run() {
      const y = op!.run();
      last = y.dataSync() as Float32Array; // forces the computation; for cpu/wasm a copy out of the backend
      y.dispose();
    },
    output: () => (outShape.length === 4 ? nhwcToNchw(last!, outShape) : last!),
    teardown() { op?.dispose(); },
  };
}

function naivePeer(l: Layer, x: Tensor, w: Weights, outShape: Shape, g: Geometry | null): Peer {
  const xs = x.toFloat32Array(), out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
  const wt = w.weight?.toFloat32Array() ?? new Float32Array(0), bias = w.bias?.toFloat32Array() ?? null;
  const [, c, h, wd] = l.input as [number, number, number, number];
  let run: () => void;
  if (l.kind === 'dense') run = () => naiveDense(xs, wt, bias, c, outShape[1]!, out);
  else if (l.kind === 'pool') {
    const kind = { maxPool: 'max', avgPool: 'avg', l2Pool: 'l2' }[l.spec.op as 'maxPool'] as NaivePoolKind;
    run = () => naivePool(xs, kind, c, h, wd, g!.kh, g!.sh, g!.outH, g!.outW, out);
  } else {
    const p = { cin: c, cout: outShape[1]!, h, w: wd, k: 3, dilation: g!.dh, groups: (l.spec as Conv2dSpec).groups ?? 1, pt: g!.pt, pl: g!.pl, oh: g!.outH, ow: g!.outW, stride: g!.sh };
    run = () => naiveConv2d(xs, wt, bias, p, out);
  }
  return { id: 'naive-js', runtime: 'naive-js', label: 'naive JS loops', threads: 1, run, output: () => out };
}

/** Untimed runs that let the pool's auto try its paths and settle before timing. */
const AUTO_SETTLE_RUNS = 16;

const pools = new Map<string, PoolExecutor>();
function poolOf(threads: number, engine: EngineOptions = {}): PoolExecutor {
  const key = `${threads}:${engine.kind ?? ''}:${engine.mode ?? ''}`;
  let p = pools.get(key);
  if (!p) { p = new PoolExecutor({ threads, engine }); pools.set(key, p); }
  return p;
}

function buildCase(l: Layer, ctx: BenchContext, simd: boolean): BuiltCase {
  const def = getOp(l.spec.op);
  const x = randomTensor(l.input, 1);
  const w = weightsFor(l);
  const outShape = def.outputShape(l.spec, [l.input], weightShapes(w));
  const g = def.window(l.spec, [l.input]);
  const refOut = Tensor.zeros(outShape), fastOut = Tensor.zeros(outShape);
  const b = new ModelBuilder(l.id, l.input);
  const model: Model = b.build(b.layer(l.spec, [b.input], w, l.id));
  const onnx = onnxModel(onnxFor(l, w, outShape, g));

  const engines = enginesHere();
  const defEngine = engines[0]!;
  const peers: Peer[] = [
    {
      id: 'tessera-reference', runtime: 'tessera-reference', label: 'Tessera reference', threads: 1, isReference: true, maxRuns: 1,
      run: () => { runOp(l.spec, [x], w, refOut, undefined, 'reference'); },
    },
  ];
  for (const e of engines) {
    // Input and output in the kernel engine's memory, as LocalExecutor keeps every intermediate feature map.
    let ex: Tensor | undefined, eo: Tensor | undefined;
    peers.push({
      id: e.id ? `tessera-fast-${e.id}` : 'tessera-fast', runtime: 'tessera-fast', label: `Tessera fast (${engineLabel(e.info)}), main thread`, threads: 1,
      setup: () => { selectEngine(e.opts); ex = engineTensor(x.shape); ex.data.set(x.toFloat32Array()); eo = engineTensor(outShape); },
      before: () => { selectEngine(e.opts); },
      run: () => { runOp(l.spec, [ex!], w, eo!, undefined, 'fast'); }, output: () => eo!.toFloat32Array().slice(),
      teardown: () => { if (ex) releaseEngineTensor(ex); if (eo) releaseEngineTensor(eo); ex = eo = undefined; },
    });
  }
  peers.push({
    // The same kernel on ordinary tensors: the input window copied into engine memory and the output back, per call.
    id: 'tessera-fast-copy', runtime: 'tessera-fast', label: `Tessera fast (${engineLabel(defEngine.info)}), ordinary memory`, threads: 1,
    before: () => { selectEngine(defEngine.opts); },
    run: () => { runOp(l.spec, [x], w, fastOut, undefined, 'fast'); }, output: () => fastOut.toFloat32Array(),
  });
  // The pool in the default engine (exact) and, where the addon runs, in fma mode.
  for (const e of engines.filter((e) => e.id !== 'wasm')) {
    for (const t of ctx.threads) {
      // Input and output where the fast row keeps them (engine memory, the output reused across runs):
      // what is left is the executor's own cost per run.
      let px: Tensor | undefined, po: Tensor | undefined;
      peers.push({
        id: e.id ? `tessera-threads-${e.id}-t${t}` : `tessera-threads-t${t}`, runtime: 'tessera-threads', label: `Tessera PoolExecutor (${engineLabel(e.info)}) ${t} thr`, threads: t,
        setup: async () => {
          selectEngine(e.opts);
          px = engineTensor(x.shape); px.data.set(x.toFloat32Array()); po = engineTensor(outShape);
          // auto's first runs of a model and shape time each of its paths (up to 5 paths × 3 rounds): what is timed is the path it keeps.
          for (let i = 0; i < (ctx.quick ? 1 : AUTO_SETTLE_RUNS); i++) await poolOf(t, e.opts).run(model, px, { out: po });
        },
        before: () => { selectEngine(e.opts); },
        run: async () => { await poolOf(t, e.opts).run(model, px!, { out: po }); },
        output: () => po!.toFloat32Array().slice(),
        teardown: () => { if (px) releaseEngineTensor(px); if (po) releaseEngineTensor(po); px = po = undefined; },
      });
    }
  }
  peers.push(tfPeer('cpu', l, x, w, outShape, simd), tfPeer('wasm', l, x, w, outShape, simd));
  for (const t of ctx.threads) {
    let m: OrtModel | undefined;
    peers.push({
      id: `ort-node-t${t}`, runtime: 'ort-node', label: `ORT node ${t} thr`, threads: t,
      setup: async () => { m = await OrtModel.create(onnx, t, { name: 'x', data: x.toFloat32Array(), dims: l.kind === 'dense' ? [1, l.input[1]!] : l.input }, 'y'); },
      run: () => m!.run(),
      output: () => m!.output(),
      teardown: () => m?.close(),
    });
  }
  peers.push(naivePeer(l, x, w, outShape, g));
  return {
    peers,
    reference: () => runOp(l.spec, [x], w, refOut, undefined, 'reference').toFloat32Array(),
  };
}

/** Speed ratios the issue tracks: > 1 means Tessera is faster. */
function metrics(c: CaseRecord): Record<string, number> {
  const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id && p.stats)?.stats!.medianMs;
  const out: Record<string, number> = {};
  const fast = med('tessera-fast');
  const put = (k: string, other: number | undefined, mine: number | undefined): void => { if (other !== undefined && mine !== undefined) out[k] = other / mine; };
  put('fastVsTfjsCpu', med('tfjs-cpu'), fast);
  put('fastVsTfjsWasm', med('tfjs-wasm'), fast);
  // The executor's own cost: the 1-thread PoolExecutor against the bare kernel (issue target ≥ 0.9×).
  put('pool1VsFast', fast, med('tessera-threads-t1'));
  // The engine column: the default engine's fast kernel against wasm, and fma against exact.
  put('fastVsWasm', med('tessera-fast-wasm'), fast);
  put('fmaVsFast', fast, med('tessera-fast-fma'));
  for (const p of c.peers) {
    const m = /^tessera-threads-t(\d+)$/.exec(p.peer);
    if (m) put(`threads${m[1]}VsOrt${m[1]}`, med(`ort-node-t${m[1]}`), p.stats?.medianMs);
    const f = /^tessera-threads-fma-t(\d+)$/.exec(p.peer);
    if (f) put(`fmaThreads${f[1]}VsOrt${f[1]}`, med(`ort-node-t${f[1]}`), p.stats?.medianMs);
  }
  return out;
}

function summarize(s: SuiteRecord): ReportSection[] {
  const threads = [...new Set(s.cases.flatMap((c) => c.peers.filter((p) => p.runtime === 'tessera-threads').map((p) => p.threads!)))].sort((a, b) => a - b);
  const g = (c: CaseRecord, id: string): string => (c.peers.find((p) => p.peer === id)?.status === 'unsupported' ? 'n/s' : gf(c.peers.find((p) => p.peer === id)?.stats?.gflops));
  const engine = String(s.cases.find((c) => c.params.engine)?.params.engine ?? 'wasm exact');
  const hasFma = s.cases.some((c) => c.peers.some((p) => p.peer === 'tessera-fast-fma'));
  const head = ['layer', `Tessera fast GFLOP/s (${engine})`, 'tfjs cpu', 'tfjs wasm', 'ORT 1 thr', 'fast vs tfjs cpu', 'fast vs tfjs wasm', 'pool 1 thr vs fast', ...threads.map((t) => `Tessera ${t} thr vs ORT ${t} thr`)];
  const rows = s.cases.filter((c) => !c.error).map((c) => [
    c.title, g(c, 'tessera-fast'), g(c, 'tfjs-cpu'), g(c, 'tfjs-wasm'), g(c, 'ort-node-t1'),
    ratio(c.metrics?.fastVsTfjsCpu), ratio(c.metrics?.fastVsTfjsWasm), ratio(c.metrics?.pool1VsFast), ...threads.map((t) => ratio(c.metrics?.[`threads${t}VsOrt${t}`])),
  ]);
  const sections: ReportSection[] = [{
    title: 'Ratios (speed of Tessera ÷ speed of the peer; > 1× means Tessera is faster)',
    markdown: `${mdTable(head, rows)}\n\n"fast" is Tessera's fast kernel on the main thread (1 thread), on the default engine (${engine}); "pool 1 thr vs fast" is what the PoolExecutor's per-run work costs on top of it. "Tessera N thr" is the PoolExecutor with N worker threads; ORT runs with intraOpNumThreads = N. n/s: the peer has no such op.`,
  }];
  if (hasFma) {
    const eh = ['layer', 'wasm GFLOP/s', `${engine} GFLOP/s`, 'native fma GFLOP/s', `${engine} vs wasm`, 'fma vs exact', ...threads.flatMap((t) => [`exact ${t} thr vs ORT ${t} thr`, `fma ${t} thr vs ORT ${t} thr`])];
    const er = s.cases.filter((c) => !c.error).map((c) => [
      c.title, g(c, 'tessera-fast-wasm'), g(c, 'tessera-fast'), g(c, 'tessera-fast-fma'), ratio(c.metrics?.fastVsWasm), ratio(c.metrics?.fmaVsFast),
      ...threads.flatMap((t) => [ratio(c.metrics?.[`threads${t}VsOrt${t}`]), ratio(c.metrics?.[`fmaThreads${t}VsOrt${t}`])]),
    ]);
    sections.push({
      title: 'Engines (wasm SIMD128, native exact, native fma) against onnxruntime-node',
      markdown: `${mdTable(eh, er)}\n\nexact: the same bits as wasm (multiply, then add, in the engine's fixed order); fma: fused multiply-add, the same bits across tilings and threads of one machine. Issue targets: 3×3 convs fma ≥ 1.2× and exact ≥ 0.85× ORT at 1 and 2 threads; depthwise, pools, dense ≥ 1×.`,
    });
  }
  return sections;
}

function charts(s: SuiteRecord): ChartFile[] {
  const cases = s.cases.filter((c) => !c.error);
  if (!cases.length) return [];
  const first = cases[0]!;
  const count = (rt: string): number => first.peers.filter((p) => p.runtime === rt).length;
  const series: BarSeries[] = [];
  const seenIdx = new Map<string, number>();
  for (const p of first.peers) {
    const k = seenIdx.get(p.runtime) ?? 0;
    seenIdx.set(p.runtime, k + 1);
    series.push({ key: p.peer, label: p.label, colour: colourOf(p.runtime, k, count(p.runtime)) });
  }
  const chart = (file: string, title: string, subset: CaseRecord[], sub: string): ChartFile => {
    const values: Record<string, Record<string, number | string | undefined>> = {};
    for (const c of subset) {
      values[c.id] = Object.fromEntries(c.peers.map((p) => [p.peer, p.status === 'unsupported' ? 'not supported' : p.status === 'error' ? 'error' : p.stats?.gflops ?? undefined]));
    }
    const cats = subset.map((c) => ({ key: c.id, label: c.id.replace(/^conv-/, ''), sublabel: `${((c.flops ?? 0) / 1e6).toFixed(c.flops! < 1e7 ? 2 : 0)} MFLOP` }));
    return { file, title, svg: barChart({ title, subtitle: sub, yLabel: 'GFLOP/s (higher is better)', yScale: 'log', categories: cats, series, values, footnote: 'Median of interleaved runs; batch 1, fp32. Layer parameters in report.md.' }) };
  };
  const convs = cases.filter((c) => c.group === 'conv' || c.group === 'dwconv');
  const rest = cases.filter((c) => !(c.group === 'conv' || c.group === 'dwconv'));
  const out: ChartFile[] = [];
  if (convs.length) out.push(chart('kernels-conv-gflops.svg', 'Convolution layers: GFLOP/s per runtime', convs, 'conv 3×3 SAME (+ bias), dilation 1 or 2, and depthwise 3×3; Tessera vs TensorFlow.js, ONNX Runtime and plain JS'));
  if (rest.length) out.push(chart('kernels-pool-dense-gflops.svg', 'Pooling and dense: GFLOP/s per runtime', rest, 'pools 2×2 stride 2 VALID (a window op counts one FLOP per tap); dense = matmul + bias'));
  return out;
}

export const kernels: Suite = {
  name: 'kernels',
  title: 'Kernels: one layer vs TensorFlow.js, ONNX Runtime and plain JS',
  description: 'Conv layers L1–L4 (3→32 112², 64→64 56², 128→128 28² dilation 2, 256→256 14²), the same with dilation 2, depthwise 3×3, max/avg/L2 pool and dense, batch 1, fp32, with bias. Runtimes: Tessera reference loops, Tessera fast kernel on the main thread, Tessera PoolExecutor at each thread count (a one-layer model), @tensorflow/tfjs cpu, @tensorflow/tfjs-backend-wasm (SIMD, XNNPACK; no threads in Node), onnxruntime-node CPU with intraOpNumThreads = N and thread spinning off, so its idle threads do not steal the cores of the peer timed next (one-node ONNX models written in memory with protobufjs), naive JS loops. FLOPs are Tessera\'s op cost model (a multiply-add counts 2; a max pool counts one per window tap, avg one per tap plus one per output, L2 two per tap plus one per output).',
  timed: 'Tessera fast: the kernel filling a preallocated NCHW output, input and output in the kernel engine\'s memory (where LocalExecutor keeps feature maps); "ordinary memory": the same on plain tensors (input copied in, output copied out per call). Tessera reference: the float64 loops. Tessera threads: PoolExecutor.run(model, x, { out }) with x and out in engine memory as for "fast" (at 1 thread it runs on the calling thread with no copy; at N threads the input is copied into shared memory and the result into out; plans are cached). tfjs: the op on NHWC tensors created beforehand + dataSync() of the result; NCHW↔NHWC conversion is not timed. ORT: InferenceSession.run on a prebuilt session (includes its input/output copies across N-API). Naive: the loops into a preallocated array.',
  plan: async (ctx) => {
    // Whether tfjs-wasm runs its SIMD build here goes into its label (the peer as it really ran).
    const simd = await wasmSimd().catch(() => false);
    const engine = engineLabel(resolveEngine());
    return layers(ctx.quick).map((l): CaseDef => ({
      id: l.id, title: l.title, group: l.kind,
      params: { op: l.spec.op, input: l.input.join('×'), engine, ...(l.kind === 'conv' || l.kind === 'dwconv' ? { dilation: ((l.spec as Conv2dSpec).dilation ?? 1) as number, groups: (l.spec as Conv2dSpec).groups ?? 1 } : {}) },
      flops: (() => { const d = getOp(l.spec.op); return d.flops(l.spec, [l.input], d.outputShape(l.spec, [l.input], weightShapesOf(l))); })(),
      flopsNote: 'Tessera op cost model',
      baseline: 'tessera-fast',
      build: async (c) => buildCase(l, c, simd),
    }));
  },
  metrics,
  summarize,
  charts,
  async teardown() {
    for (const p of pools.values()) await p.close();
    pools.clear();
  },
};
