// Thread scaling of Tessera on one many-core machine, in one run: PoolExecutor against the 1-thread LocalExecutor.
//
//   node --import=tsx --conditions=@tessera/source tools/device/scaling-16.ts [--threads 1,2,4,8,16] [--out DIR] [--quick]
//   (or bundled by tools/device/pack.sh: .device/node .device/dist/bench/scaling-16.mjs ...)
//
// The models and inputs are those of apps/bench's scaling suite (VGG-style blocks 112², the seed's dilated stack 128²,
// face-api's recognition ResNet 150²), each on one input and on a batch of 16. Per model, batch and engine the 1-thread
// LocalExecutor is timed once; per thread count the pool's strategies (layer-wise, fused, auto) are timed interleaved,
// after warm-up (auto's first runs on a tiled input time its paths: those are warm-up here). Every output is compared
// with the LocalExecutor's bit for bit before it is timed. With the native kernel engine (packages/native) loadable,
// the same is run at --native-threads on it, and one 3×3 conv 64→64 56² is timed per engine on the main thread.
// Each engine's scaling runs in a child process with TESSERA_ENGINE set to it (see runEngineChild); this one merges.
// Cases start only while --budget-s has not run out (the rest are listed as skipped), and the JSON and Markdown
// results are rewritten after every case, so a run cut short still leaves what it measured.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  conv2d, engineLabel, engineTensor, loadNative, randomTensor, releaseEngineTensor, resolveEngine, selectEngine,
  type EngineInfo, type EngineKind, type EngineOptions, type Tensor,
} from '@tessera/tensor';
import { LocalExecutor, faceApiModelDir, faceRecognitionNet, loadFaceApiWeights, seedDilatedStack, vggBlockStack, type Model } from '@tessera/nn';
import { PoolExecutor, type Strategy } from '@tessera/scheduler';

const STRATEGIES: readonly Strategy[] = ['layer-wise', 'fused', 'auto'];

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2,4,8,16' },
    'native-threads': { type: 'string', default: '16' },
    engine: { type: 'string' },
    batch: { type: 'string', default: '1,16' },
    models: { type: 'string' },
    reps: { type: 'string', default: '7' },
    'batch-reps': { type: 'string', default: '5' },
    'budget-s': { type: 'string', default: '330' },
    weights: { type: 'string' },
    out: { type: 'string' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (args.help) {
  console.log('scaling-16 [--threads 1,2,4,8,16] [--native-threads 16] [--engine wasm|native] [--batch 1,16] [--models vgg,dilated,face-recognition] [--reps 7] [--batch-reps 5] [--budget-s 330] [--weights FACE_API_MODEL_DIR] [--out DIR] [--quick]');
  process.exit(0);
}

function intList(name: string, s: string): number[] {
  const xs = s.split(',').filter((p) => p !== '').map(Number);
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) throw new Error(`--${name} must be a comma-separated list of integers ≥ 1, got '${s}'`);
  return xs;
}
function count(name: string, s: string): number {
  const x = Number(s);
  if (!Number.isInteger(x) || x < 1) throw new Error(`--${name} must be an integer ≥ 1, got '${s}'`);
  return x;
}
function positive(name: string, s: string): number {
  const x = Number(s);
  if (!Number.isFinite(x) || x <= 0) throw new Error(`--${name} must be a positive number, got '${s}'`);
  return x;
}

const quick = args.quick;
const threadList = intList('threads', args.threads);
const nativeThreads = intList('native-threads', args['native-threads']);
const batches = quick ? [1, 2] : intList('batch', args.batch);
const reps = quick ? 3 : count('reps', args.reps);
/** Timed runs of a batch (each one is many single runs long). */
const batchReps = quick ? 3 : count('batch-reps', args['batch-reps']);
const budgetMs = positive('budget-s', args['budget-s']) * 1000;
/** Model keys to run (default: every model of the suite, or of --quick). */
const modelKeys = args.models?.split(',').filter((k) => k !== '');
const outDir = resolve(args.out ?? process.env.OUT ?? 'scaling-16-out');
const started = performance.now();
const elapsedS = (): string => ((performance.now() - started) / 1000).toFixed(1);

interface Net { key: string; title: string; make(): Model }
function nets(): Net[] {
  const all = allNets();
  if (!modelKeys) return all;
  const unknown = modelKeys.filter((k) => !all.some((n) => n.key === k));
  if (unknown.length) throw new Error(`--models: unknown model ${unknown.join(', ')} (known: ${all.map((n) => n.key).join(', ')})`);
  return all.filter((n) => modelKeys.includes(n.key));
}
function allNets(): Net[] {
  if (quick) {
    return [
      { key: 'vgg', title: 'VGG-style blocks 32² [8,16]', make: () => vggBlockStack({ size: 32, widths: [8, 16] }) },
      { key: 'dilated', title: 'seed dilated stack 32², 8 ch', make: () => seedDilatedStack({ size: 32, channels: 8 }) },
    ];
  }
  const dir = args.weights ?? faceApiModelDir();
  return [
    { key: 'vgg', title: 'VGG-style blocks 112² [32,64,128]', make: () => vggBlockStack({ size: 112, widths: [32, 64, 128] }) },
    { key: 'dilated', title: 'seed dilated stack 128², 64 ch, dilations 1,2,4,8', make: () => seedDilatedStack({ size: 128, channels: 64 }) },
    {
      key: 'face-recognition', title: 'face recognition ResNet 150² (face-api weights)',
      make: () => faceRecognitionNet(loadFaceApiWeights(join(dir, 'face_recognition_model-weights_manifest.json'))),
    },
  ];
}

// ---- the machine -------------------------------------------------------------------------------------------------

function cpuInfo(): { model: string; logicalCpus: number; flags: Record<string, boolean>; totalMemGiB: number } {
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    flags = line ? line.split(':')[1]!.trim().split(/\s+/) : [];
  } catch { /* not Linux: no flags recorded */ }
  const has = (f: string): boolean => flags.includes(f);
  return {
    model: cpus()[0]?.model ?? 'unknown',
    logicalCpus: availableParallelism(),
    flags: { avx2: has('avx2'), fma: has('fma'), avx512f: has('avx512f'), avx512bw: has('avx512bw'), avx512vl: has('avx512vl'), avx512_vnni: has('avx512_vnni') },
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
  };
}

// ---- timing ------------------------------------------------------------------------------------------------------

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timeMs(f: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

// ---- results -----------------------------------------------------------------------------------------------------

interface KernelRecord { engine: string; ms: number; gflops: number; runs: number }
interface CaseRecord {
  engine: string; model: string; title: string; batch: number; threads: number; peer: 'local' | Strategy;
  medianMs: number; minMs: number; runs: number;
  /** local median ÷ this median, both on this engine (1 for local itself). */
  speedup: number;
  /** local median on the wasm engine ÷ this median (the figure across engines). */
  speedupVsWasmLocal?: number;
  gflops: number;
  /** Output equal, bit for bit, to the LocalExecutor's on the same engine (and, for native exact, to wasm's). */
  bitIdentical: boolean;
  stageOverheadUs?: number;
}

const results = {
  tool: 'tools/device/scaling-16.ts',
  date: new Date().toISOString(),
  command: process.argv.slice(1).join(' '),
  node: process.version,
  cpu: cpuInfo(),
  engines: {} as Record<string, unknown>,
  settings: { threads: threadList, nativeThreads, batches, models: modelKeys ?? 'all', reps, batchReps, budgetS: budgetMs / 1000, quick },
  kernel: [] as KernelRecord[],
  cases: [] as CaseRecord[],
  skipped: [] as string[],
  errors: [] as string[],
  wallS: 0,
};

function fmtMs(x: number): string { return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2); }

function markdown(): string {
  const c = results.cpu;
  const lines = [
    '# Tessera thread scaling on one machine',
    '',
    `- date: ${results.date}`,
    `- CPU: ${c.model}, ${c.logicalCpus} logical CPUs, ${c.totalMemGiB} GiB; avx2 ${c.flags.avx2}, fma ${c.flags.fma}, avx512f ${c.flags.avx512f}`,
    `- Node ${results.node}; engines: ${Object.entries(results.engines).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ')}`,
    `- command: \`${results.command}\``,
    `- median of ${reps} timed runs (${batchReps} for a batch) after warm-up; speedup = LocalExecutor (1 thread, same engine) median ÷ this median; every output equal to LocalExecutor's bit for bit unless marked`,
    '',
  ];
  if (results.kernel.length) {
    lines.push('## 3×3 conv 64→64 56², one thread (main thread, input and output in engine memory)', '', '| engine | ms | GFLOP/s |', '|---|---:|---:|');
    for (const k of results.kernel) lines.push(`| ${k.engine} | ${fmtMs(k.ms)} | ${k.gflops.toFixed(1)} |`);
    lines.push('');
  }
  lines.push('## PoolExecutor against LocalExecutor', '', '| model | input/batch | threads | executor | ms | speedup vs local | GFLOP/s | engine | bits |', '|---|---:|---:|---|---:|---:|---:|---|---|');
  for (const r of results.cases) {
    const vsWasm = r.speedupVsWasmLocal !== undefined && !r.engine.startsWith('wasm') ? ` (${r.speedupVsWasmLocal.toFixed(2)}× wasm local)` : '';
    lines.push(`| ${r.title} | ${r.batch} | ${r.threads} | ${r.peer === 'local' ? 'LocalExecutor' : `pool ${r.peer}`} | ${fmtMs(r.medianMs)} | ${r.speedup.toFixed(2)}×${vsWasm} | ${r.gflops.toFixed(1)} | ${r.engine} | ${r.bitIdentical ? 'same' : 'DIFFER'} |`);
  }
  if (results.skipped.length) lines.push('', '## Skipped', '', ...results.skipped.map((s) => `- ${s}`));
  if (results.errors.length) lines.push('', '## Errors', '', ...results.errors.map((s) => `- ${s}`));
  lines.push('', `Wall time: ${results.wallS.toFixed(0)} s.`, '');
  return lines.join('\n');
}

function save(): void {
  results.wallS = (performance.now() - started) / 1000;
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'scaling-16.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, 'scaling-16.md'), markdown());
}

const overBudget = (): boolean => performance.now() - started > budgetMs;

// ---- one 3×3 conv per engine ---------------------------------------------------------------------------------------

async function kernelRate(opts: EngineOptions): Promise<void> {
  const info = selectEngine(opts);
  const [C, H] = [64, 56];
  const x = engineTensor([1, C, H, H]), out = engineTensor([1, C, H, H]);
  try {
    x.data.set(randomTensor([1, C, H, H], 1).data);
    const w = randomTensor([C, C, 3, 3], 2, -0.1, 0.1), b = randomTensor([C], 3);
    const spec = { kernel: 3, padding: 'same' as const };
    const flops = 2 * C * C * 9 * H * H;
    for (let i = 0; i < 5; i++) conv2d(x, w, b, spec, out);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) times.push(await timeMs(() => conv2d(x, w, b, spec, out)));
    const ms = median(times);
    results.kernel.push({ engine: engineLabel(info), ms, gflops: flops / ms / 1e6, runs: times.length });
    console.log(`[${elapsedS()} s] conv 3×3 64→64 56² on ${engineLabel(info)}: ${fmtMs(ms)} ms, ${(flops / ms / 1e6).toFixed(1)} GFLOP/s`);
  } finally {
    releaseEngineTensor(x);
    releaseEngineTensor(out);
  }
}

// ---- scaling -------------------------------------------------------------------------------------------------------

/** LocalExecutor outputs on wasm, by model and batch: native exact must give the same bits. */
const wasmRefs = new Map<string, Float32Array>();

async function scaleOne(engine: EngineInfo, opts: EngineOptions, net: Net, model: Model, batch: number, threads: readonly number[], pools: Map<number, PoolExecutor>): Promise<void> {
  const label = engineLabel(engine);
  const x = randomTensor([batch, ...model.inputShape.slice(1)], 1);
  const flops = model.flops([batch, ...model.inputShape.slice(1)]);
  const title = net.title;
  const n = batch > 1 ? batchReps : reps;
  const local = new LocalExecutor({ engine: opts });
  let ref: Float32Array;
  let localMs: number;
  try {
    ref = (await local.run(model, x)).toFloat32Array();
    const warm = batch > 1 ? 1 : 2;
    for (let i = 0; i < warm; i++) await local.run(model, x);
    const times: number[] = [];
    for (let i = 0; i < n; i++) times.push(await timeMs(() => local.run(model, x)));
    localMs = median(times);
    const key = `${net.key}:${batch}`;
    if (engine.kind === 'wasm') wasmRefs.set(key, ref);
    else if (!wasmRefs.has(key)) {
      const w = new LocalExecutor({ engine: { kind: 'wasm' } });
      try { wasmRefs.set(key, (await w.run(model, x)).toFloat32Array()); } finally { await w.close(); }
    }
    const wasm = wasmRefs.get(key);
    const matchesWasm = engine.mode !== 'exact' || !wasm || sameBits(ref, wasm);
    results.cases.push({
      engine: label, model: net.key, title, batch, threads: 1, peer: 'local', medianMs: localMs, minMs: Math.min(...times), runs: times.length,
      speedup: 1, gflops: flops / localMs / 1e6, bitIdentical: matchesWasm,
    });
    console.log(`[${elapsedS()} s] ${label} ${net.key} batch ${batch}: local ${fmtMs(localMs)} ms${matchesWasm ? '' : ' (bits differ from wasm)'}`);
    save();
  } finally {
    await local.close();
  }
  for (const t of threads) {
    if (overBudget()) { results.skipped.push(`${label} ${net.key} batch ${batch} at ${t} threads: time budget spent`); continue; }
    let pool = pools.get(t);
    if (!pool) { pool = new PoolExecutor({ threads: t, engine: opts }); pools.set(t, pool); }
    const p = pool;
    const overheadUs = await p.stageOverheadUs();
    const bits = new Map<Strategy, boolean>();
    for (const st of STRATEGIES) {
      // auto times each of its paths on a model and shape's first runs (3 rounds of 4): let it settle before timing.
      const warm = st === 'auto' && batch < t ? 14 : batch > 1 ? 1 : 2;
      const y = await p.run(model, x, { strategy: st });
      bits.set(st, sameBits(y.toFloat32Array(), ref));
      for (let i = 0; i < warm; i++) await p.run(model, x, { strategy: st });
    }
    const times = new Map<Strategy, number[]>(STRATEGIES.map((s) => [s, []]));
    for (let r = 0; r < n; r++) {
      for (const st of STRATEGIES) times.get(st)!.push(await timeMs(() => p.run(model, x, { strategy: st })));
    }
    for (const st of STRATEGIES) {
      const ts = times.get(st)!, m = median(ts);
      results.cases.push({
        engine: label, model: net.key, title, batch, threads: t, peer: st, medianMs: m, minMs: Math.min(...ts), runs: ts.length,
        speedup: localMs / m, gflops: flops / m / 1e6,
        bitIdentical: bits.get(st)!, stageOverheadUs: overheadUs,
      });
    }
    console.log(`[${elapsedS()} s] ${label} ${net.key} batch ${batch} ${t} thr: ${STRATEGIES.map((s) => `${s} ${fmtMs(median(times.get(s)!))} ms (${(localMs / median(times.get(s)!)).toFixed(2)}×)${bits.get(s) ? '' : ' BITS DIFFER'}`).join(', ')}`);
    save();
  }
}

/** The engines the pool is scaled on, each with its thread counts. */
interface EngineRun { opts: EngineOptions; info: EngineInfo; threads: readonly number[]; pools: Map<number, PoolExecutor> }

/**
 * Per model and batch, every engine in turn (wasm first: native exact is checked against its bits), so that a
 * run cut short by the budget has lost the same models on every engine.
 */
async function scaling(engines: readonly EngineRun[]): Promise<void> {
  const models = new Map<string, Model>();
  try {
    for (const net of nets()) {
      for (const batch of batches) {
        for (const e of engines) {
          const label = engineLabel(e.info);
          if (overBudget()) { results.skipped.push(`${label} ${net.key} batch ${batch}: time budget spent`); continue; }
          let model = models.get(net.key);
          if (!model) { model = net.make(); models.set(net.key, model); }
          try {
            await scaleOne(e.info, e.opts, net, model, batch, e.threads, e.pools);
          } catch (err) {
            results.errors.push(`${label} ${net.key} batch ${batch}: ${(err as Error).stack ?? String(err)}`);
            console.error(`${label} ${net.key} batch ${batch} failed:`, err);
            save();
          }
        }
      }
    }
  } finally {
    for (const e of engines) for (const p of e.pools.values()) await p.close();
  }
}

/*
 * Each engine's scaling runs in a process of its own with TESSERA_ENGINE set to it: a pool's data-parallel share
 * runs on the worker's default engine (TESSERA_ENGINE, else native when the addon loads) whatever engine the pool
 * was given, and the thread keeps that engine for its later tiled tasks — in one process with the addon loadable,
 * a "wasm" pool would time native kernels.
 */
function runEngineChild(kind: EngineKind, threads: readonly number[]): void {
  const dir = mkdtempSync(join(tmpdir(), `scaling-16-${kind}-`));
  try {
    const budgetLeftS = Math.max(1, (budgetMs - (performance.now() - started)) / 1000);
    const own = new Set(['--out', '--engine', '--budget-s', '--threads', '--native-threads']);
    const forwarded: string[] = [];
    const argv = process.argv.slice(2);
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!, name = a.split('=')[0]!;
      if (own.has(name)) { if (!a.includes('=')) i++; continue; }
      forwarded.push(a);
    }
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...forwarded,
      '--engine', kind, '--threads', threads.join(','), '--budget-s', budgetLeftS.toFixed(0), '--out', dir],
    { env: { ...process.env, TESSERA_ENGINE: kind }, stdio: 'inherit' });
    let sub: typeof results;
    try {
      sub = JSON.parse(readFileSync(join(dir, 'scaling-16.json'), 'utf8')) as typeof results;
    } catch (e) {
      results.errors.push(`${kind} process (exit ${String(child.status)}${child.error ? `, ${child.error.message}` : ''}) left no results: ${(e as Error).message}`);
      return;
    }
    results.cases.push(...sub.cases);
    results.skipped.push(...sub.skipped);
    results.errors.push(...sub.errors);
    if (child.status !== 0) results.errors.push(`${kind} process exited with ${String(child.status ?? child.signal)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Speedups of each engine's rows over the wasm LocalExecutor of the same model and batch (the figure across engines). */
function fillVsWasm(): void {
  for (const r of results.cases) {
    const w = results.cases.find((c) => c.engine.startsWith('wasm') && c.peer === 'local' && c.model === r.model && c.batch === r.batch);
    if (w) r.speedupVsWasmLocal = w.medianMs / r.medianMs;
  }
}

async function main(): Promise<void> {
  const native = loadNative();
  if (args.engine !== undefined) {
    // One engine's scaling, in a process whose default engine is that one (runEngineChild).
    const kind = args.engine as EngineKind;
    if ((kind !== 'wasm' && kind !== 'native') || process.env.TESSERA_ENGINE !== kind) throw new Error(`--engine ${kind} runs with TESSERA_ENGINE=${kind} (as the parent process starts it)`);
    await scaling([{ opts: { kind, mode: 'exact' }, info: resolveEngine({ kind, mode: 'exact' }), threads: threadList, pools: new Map() }]);
    save();
    return;
  }
  console.log(`CPU: ${results.cpu.model}, ${results.cpu.logicalCpus} logical CPUs; avx512f ${results.cpu.flags.avx512f}; Node ${process.version}; out ${outDir}`);
  results.engines.wasm = engineLabel(resolveEngine({ kind: 'wasm' }));
  results.engines.native = native.addon ? { path: native.path, ...native.addon.info() } : `not used: ${native.reason}`;
  console.log(`native engine: ${JSON.stringify(results.engines.native)}`);
  save();

  const kernelEngines: EngineOptions[] = [{ kind: 'wasm' }, ...(native.addon ? [{ kind: 'native', mode: 'exact' }, { kind: 'native', mode: 'fma' }] as EngineOptions[] : [])];
  for (const e of kernelEngines) {
    try { await kernelRate(e); } catch (err) { results.errors.push(`kernel on ${JSON.stringify(e)}: ${(err as Error).message}`); }
  }
  save();

  runEngineChild('wasm', threadList);
  save();
  if (native.addon) runEngineChild('native', nativeThreads);
  fillVsWasm();
  save();
  console.log(`[${elapsedS()} s] done: ${results.cases.length} rows, ${results.skipped.length} skipped, ${results.errors.length} errors; ${join(outDir, 'scaling-16.md')}`);
}

main().catch((e: unknown) => {
  results.errors.push(`fatal: ${(e as Error).stack ?? String(e)}`);
  save();
  console.error(e);
  process.exitCode = 1;
});
