import { OrtModel, compareOutputs, runCase, type BenchContext, type CaseDef, type CaseRecord, type Peer, type PeerRecord } from '@tessera/bench';
import { LocalExecutor, type Model } from '@tessera/nn';
import { PoolExecutor } from '@tessera/scheduler';
import { fmtShape, randomTensor, type Shape, type Tensor } from '@tessera/tensor';
import { intList, parse, positionals, positiveInt, shape4, usageError } from '../args.js';
import { Status, type Io } from '../io.js';
import { graphOutputs, loadModelFile, type LoadedModel } from '../model-file.js';

export const BENCH_USAGE = `usage: tessera bench MODEL.onnx|MODEL.tsm [--threads 1,2] [--input-shape N,C,H,W] [--runs R] [--warmup W] [--json]

Times the model on Tessera (local: the calling thread; threads ×N: PoolExecutor, auto)
and on onnxruntime-node (CPU, N intra-op threads; ONNX models only) in one run, with
tessera-bench's harness. Outputs are checked before any timing: threads must give
local's bits on every output, ORT's first output must be within 1e-4 × max|output| of
local's; a peer that disagrees is flagged. Then the peers are timed interleaved
(A, B, C, A, B, C, ...). The input is uniform random in [0, 1) (seed 1).

  --threads LIST          thread counts for PoolExecutor and ORT (default 1,2)
  --input-shape N,C,H,W   input shape (default the model's)
  --runs R                timed runs per peer (default 10)
  --warmup W              untimed runs per peer after the checked one (default 2)
  --json                  the harness' case record as JSON on stdout
  -h, --help              this text

exit status: 0 ok; 1 the model cannot be read, a peer failed or disagrees; 2 bad usage`;

export async function benchCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values: v, positionals: pos } = parse(argv, {
    threads: { type: 'string' }, 'input-shape': { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' }, json: { type: 'boolean' },
  });
  if (v.help) { io.out(BENCH_USAGE); return 0; }
  const [path] = positionals(pos, ['MODEL']);
  const threads = [...new Set(intList('--threads', v.threads ?? '1,2'))];
  const shapeArg = v['input-shape'] === undefined ? undefined : shape4('--input-shape', v['input-shape']);
  const runs = v.runs === undefined ? 10 : positiveInt('--runs', v.runs);
  const warmup = v.warmup === undefined ? 2 : Number(v.warmup);
  if (!/^\d+$/.test(v.warmup ?? '0') || !Number.isSafeInteger(warmup)) throw usageError(`--warmup must be an integer ≥ 0, got '${v.warmup}'`);
  const status = new Status(io.isTTY && !v.json);
  try {
    status.stage(`loading ${path}`);
    const loaded = await loadModelFile(path, { ...(shapeArg ? { inputShape: shapeArg } : {}), hint: '--input-shape N,C,H,W' });
    const shape: Shape = shapeArg ?? loaded.model.inputShape;
    const x = randomTensor(shape, 1, 0, 1);
    const ctx: BenchContext = { quick: false, threads, runs, warmup, workers: 1, log: (m) => io.err(m) };
    status.stage(`checking outputs, then ${runs} interleaved runs per peer`);
    const rec = await runCase(benchCase(loaded, x, threads), ctx, { note: (line) => { status.done(); io.err(line); } }, 'tessera bench');
    status.done();
    if (v.json) io.out(JSON.stringify({ command: 'bench', model: path, inputShape: shape, ...rec }, null, 2));
    else printCase(rec, loaded, shape, io);
    const bad = rec.error !== null || rec.peers.some((p) => p.status === 'error' || p.status === 'mismatch');
    return bad ? 1 : 0;
  } finally {
    status.done();
  }
}

/** The model on local, on a pool per thread count and on ORT per thread count: one case of the harness. */
function benchCase(loaded: LoadedModel, x: Tensor, threads: readonly number[]): CaseDef {
  const model = loaded.model;
  const onnx = loaded.onnx;
  return {
    id: model.name, title: `${model.name} ${fmtShape(x.shape)}`, group: 'model',
    params: { model: loaded.path, input: fmtShape(x.shape) }, flops: model.flops(x.shape), flopsNote: 'Model.flops (multiply-add = 2)',
    ...(onnx ? { baseline: `ort-node-t${threads[0]}` } : {}),
    async build() {
      const local = new LocalExecutor();
      // The reference: local's output, computed once; the pool must match it bit for bit.
      const outs = await runAll(local, model, x);
      const ref = flatten(outs);
      // ORT is checked on the graph's first output, in the graph's shape and layout.
      const first = model.outputs[0]!.name;
      const ortRef = graphOutputs(loaded, { [first]: outs[0]! })[first]!.toFloat32Array();
      const peers: Peer[] = [tesseraPeer('tessera-local', 'local (calling thread)', 1, local, model, x, ref, true)];
      for (const t of threads) peers.push(tesseraPeer(`tessera-threads-t${t}`, `threads ×${t}`, t, new PoolExecutor({ threads: t }), model, x, ref, false));
      for (const t of threads) peers.push(ortPeer(t, loaded, x));
      return { peers, reference: () => ortRef };
    },
  };
}

function tesseraPeer(id: string, label: string, threads: number, ex: LocalExecutor | PoolExecutor, model: Model, x: Tensor, ref: Float32Array, isReference: boolean): Peer {
  let last: Tensor[] | undefined;
  return {
    id, runtime: 'tessera', label, threads, isReference,
    async run() { last = await runAll(ex, model, x); },
    // Every executor gives local's bits (the region contract): anything else is a disagreement, however small.
    verify() {
      const got = flatten(last!);
      const c = compareOutputs(got, ref);
      const same = got.length === ref.length && got.every((g, i) => Object.is(g, ref[i]));
      return { maxAbs: c.maxAbs, maxRel: c.maxRel, ok: same, note: same ? 'bit-identical to local' : 'not bit-identical to local' };
    },
    async teardown() { await ex.close(); },
  };
}

/** Every output of the model, in its output order (`run` for a one-output model: what most timings measure). */
async function runAll(ex: LocalExecutor | PoolExecutor, model: Model, x: Tensor): Promise<Tensor[]> {
  if (model.outputs.length === 1) return [await ex.run(model, x)];
  const r = await ex.runAll(model, x);
  return model.outputs.map((o) => r[o.name]!);
}

/** The outputs' values one after another, for one comparison. */
function flatten(ts: readonly Tensor[]): Float32Array {
  const out = new Float32Array(ts.reduce((n, t) => n + t.size, 0));
  let at = 0;
  for (const t of ts) { out.set(t.toFloat32Array(), at); at += t.size; }
  return out;
}

function ortPeer(threads: number, loaded: LoadedModel, x: Tensor): Peer {
  const onnx = loaded.onnx;
  const base = { id: `ort-node-t${threads}`, runtime: 'onnxruntime-node', label: `onnxruntime-node ×${threads}`, threads };
  if (!onnx) return { ...base, unsupported: 'a .tsm model has no ONNX graph for onnxruntime-node', run() {} };
  let ort: OrtModel | undefined;
  return {
    ...base,
    async setup() { ort = await OrtModel.create(onnx.bytes, threads, { name: onnx.imp.inputName, data: x.toFloat32Array(), dims: x.shape }, onnx.imp.outputName); },
    run: () => ort!.run(),
    output: () => ort!.output(),
    async teardown() { await ort?.close(); },
  };
}

function printCase(rec: CaseRecord, loaded: LoadedModel, shape: Shape, io: Io): void {
  io.out(`model ${loaded.path} (${loaded.format}), input ${fmtShape(shape)}, ${((rec.flops ?? 0) / 1e9).toFixed(3)} GFLOP; median of the timed runs`);
  if (rec.error) { io.out(`FAILED: ${rec.error}`); return; }
  const ortAt = new Map(rec.peers.filter((p) => p.runtime === 'onnxruntime-node' && p.stats).map((p) => [p.threads, p.stats!.medianMs]));
  const head = ['peer', 'threads', 'median ms', 'min ms', 'GFLOP/s', 'ORT ÷ this', 'check'];
  const rows = rec.peers.map((p) => [
    p.label, String(p.threads ?? ''), p.stats ? p.stats.medianMs.toFixed(2) : '-', p.stats ? p.stats.minMs.toFixed(2) : '-',
    p.stats?.gflops ? p.stats.gflops.toFixed(1) : '-',
    p.stats && p.runtime === 'tessera' && ortAt.has(p.threads) ? `${(ortAt.get(p.threads)! / p.stats.medianMs).toFixed(2)}×` : '-',
    check(p),
  ]);
  const widths = head.map((_, c) => Math.max(head[c]!.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((s, c) => s.padEnd(widths[c]!)).join('  ').trimEnd();
  io.out(line(head));
  io.out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) io.out(line(r));
}

function check(p: PeerRecord): string {
  if (p.status === 'unsupported' || p.status === 'skipped' || p.status === 'error') return `${p.status}: ${p.reason}`;
  if (p.status === 'mismatch') return `DISAGREES: ${p.reason}`;
  if (p.error?.note) return p.error.note;
  if (p.error) return `max abs error ${p.error.maxAbs.toExponential(1)} (tolerance ${p.error.tolerance.toExponential(1)})`;
  return '';
}
