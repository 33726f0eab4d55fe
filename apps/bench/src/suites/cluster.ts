import { randomTensor, type Tensor } from '@tessera/tensor';
import { LocalExecutor, faceRecognitionNet, seedDilatedStack, type Model } from '@tessera/nn';
import { ClusterExecutor, killAllTracked, spawnWorker, startNatsServer, type LocalNatsServer, type SpawnedWorker } from '@tessera/cluster';
import { lineChart } from '../charts/line-chart.js';
import { colourOf } from '../charts/palette.js';
import { mdTable, ms } from '../harness/format.js';
import type { BenchContext, CaseDef, CaseRecord, ChartFile, Peer, ReportSection, Suite, SuiteRecord } from '../harness/types.js';

/**
 * The face recognition net through @tessera/cluster's ClusterExecutor with
 * 1..k `tessera-worker` processes on loopback (a private nats-server with
 * JetStream), against the LocalExecutor in the same process. Two kinds of
 * case: one input at a time (latency, bytes per run), and a stream of face
 * crops with 1..k worker processes and local timed in one interleaved loop
 * (inputs per second, ratio to local, bytes on the wire per input).
 */

interface Cluster { server: LocalNatsServer; executor: ClusterExecutor; workers: SpawnedWorker[] }
let clusterP: Promise<Cluster> | undefined;
/** Bytes on the wire per timed run of each case (tasks out + results in, from ClusterStats). */
const wire = new Map<string, { out: number; in: number; runs: number; tiles: number }>();
/** Stream cases, per `<case>/<peer>`: inputs run, bytes out and in, tasks and protocol ms (ClusterStats deltas of the timed runs). */
const streamWire = new Map<string, { inputs: number; out: number; in: number; tasks: number; protocolMs: number }>();

async function startCluster(tiles: number, verify = 1): Promise<Cluster> {
  const server = await startNatsServer();
  const executor = new ClusterExecutor({ servers: server.url, user: server.roles.coordinator.user, pass: server.roles.coordinator.pass, tiles, noWorkerTimeoutMs: 60_000, verify });
  await executor.connect(); // creates the work queue the workers pull from
  return { server, executor, workers: [] };
}

/** Stops the single-run cases' cluster (they come first), so its idle workers leave the cores to the stream case. */
async function stopSingleRunCluster(): Promise<void> {
  const c = await clusterP?.catch(() => undefined);
  clusterP = undefined;
  if (c) await stopCluster(c);
}

async function stopCluster(c: Cluster): Promise<void> {
  try {
    await c.executor.close().catch(() => undefined);
    await Promise.all(c.workers.map((w) => w.stop(5000)));
    await c.server.stop();
  } finally {
    killAllTracked();
  }
}

function netFor(quick: boolean): { key: string; title: string; make(): Model } {
  return quick
    ? { key: 'dilated', title: 'seed dilated stack 32², 8 ch', make: () => seedDilatedStack({ size: 32, channels: 8 }) }
    : { key: 'face-recognition', title: 'face recognition ResNet 150² (128-D descriptor)', make: () => faceRecognitionNet() };
}

function workerCounts(ctx: BenchContext): number[] {
  const k = ctx.quick ? 1 : ctx.workers;
  return Array.from({ length: k }, (_, i) => i + 1);
}

function metrics(c: CaseRecord): Record<string, number> {
  if (c.params.kind === 'stream') return streamMetrics(c);
  if (c.params.kind === 'recovery') {
    const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
    const plain = med('cluster-w2'), killed = med('cluster-w2-kill');
    return plain !== undefined && killed !== undefined ? { recoveryMs: killed - plain } : {};
  }
  const out: Record<string, number> = {};
  for (const p of c.peers) if (p.stats) out[`perSecond:${p.peer}`] = 1e3 / p.stats.medianMs;
  const local = c.peers.find((p) => p.peer === 'local')?.stats?.medianMs, cl = c.peers.find((p) => p.peer === 'cluster')?.stats?.medianMs;
  if (local !== undefined && cl !== undefined) out.speedupVsLocal = local / cl;
  const w = wire.get(c.id);
  if (w && w.runs > 0) { out.bytesOutPerRun = w.out / w.runs; out.bytesInPerRun = w.in / w.runs; out.tilesPerRun = w.tiles / w.runs; }
  return out;
}

function streamMetrics(c: CaseRecord): Record<string, number> {
  const out: Record<string, number> = {};
  const n = Number(c.params.inputs);
  const local = c.peers.find((p) => p.peer === 'local')?.stats?.medianMs;
  for (const p of c.peers) {
    if (!p.stats) continue;
    out[`perSecond:${p.peer}`] = (n * 1e3) / p.stats.medianMs;
    if (local !== undefined && p.peer !== 'local') out[`vsLocal:${p.peer}`] = local / p.stats.medianMs;
    const w = streamWire.get(`${c.id}/${p.peer}`);
    if (p.peer === 'cluster-w2-verify2') {
      const plain = c.peers.find((q) => q.peer === 'cluster-w2')?.stats?.medianMs;
      if (plain !== undefined) out.verify2VsVerify1 = plain / p.stats.medianMs;
    }
    if (w && w.inputs > 0) {
      out[`bytesOutPerInput:${p.peer}`] = w.out / w.inputs;
      out[`bytesInPerInput:${p.peer}`] = w.in / w.inputs;
      out[`tasksPerInput:${p.peer}`] = w.tasks / w.inputs;
      out[`protocolMsPerInput:${p.peer}`] = w.protocolMs / w.inputs;
    }
  }
  return out;
}

function summarizeStreams(cases: readonly CaseRecord[]): ReportSection[] {
  return cases.filter((c) => c.params.kind === 'stream').map((c) => {
    const m = c.metrics ?? {};
    const f = (v: number | undefined, d: number): string => (v === undefined ? '–' : v.toFixed(d));
    const rows = c.peers.filter((p) => p.stats).map((p) => [
      p.label, f(m[`perSecond:${p.peer}`], 1), p.peer === 'local' ? '1.00' : f(m[`vsLocal:${p.peer}`], 2),
      f(m[`bytesOutPerInput:${p.peer}`] === undefined ? undefined : m[`bytesOutPerInput:${p.peer}`]! / 1024, 1),
      f(m[`bytesInPerInput:${p.peer}`] === undefined ? undefined : m[`bytesInPerInput:${p.peer}`]! / 1024, 2),
      f(m[`tasksPerInput:${p.peer}`], 2), f(m[`protocolMsPerInput:${p.peer}`], 2),
    ]);
    return {
      title: `Stream: ${String(c.params.title)}`,
      markdown: `${mdTable(['executor', 'inputs/s', 'vs local', 'KiB out per input', 'KiB in per input', 'tasks per input', 'protocol ms per input'], rows)}\n\n`
        + `${String(c.params.inputs)} inputs per timed run, local and every worker count timed in one interleaved loop (same machine, same moment). `
        + 'Each worker process runs 1 thread and holds 2 tasks (prefetch); every input is one whole-input task. Protocol ms: the executor\'s own count '
        + '(encode and publish until JetStream acked, result decode and placement, the worker\'s task decode). All processes — coordinator, nats-server and '
        + 'workers — share this machine\'s cores, so k workers can only beat local by up to the idle cores there are. '
        + `verify: 2 runs every input on two workers and accepts it only when both results are bit-identical: its throughput is ${f(m.verify2VsVerify1, 2)}× that of the same 2 workers without it.`,
    };
  });
}

function summarize(s: SuiteRecord): ReportSection[] {
  const streams = s.cases.filter((c) => !c.error && c.params.kind === 'stream');
  const recovery = s.cases.filter((c) => !c.error && c.params.kind === 'recovery');
  const rows = s.cases.filter((c) => !c.error && c.params.kind === undefined).map((c) => {
    const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
    const mib = (v: number | undefined): string => (v === undefined ? '–' : (v / 2 ** 20).toFixed(2));
    return [String(c.params.workers), ms(med('local')), ms(med('cluster')), c.metrics?.['perSecond:cluster']?.toFixed(2) ?? '–',
      c.metrics?.speedupVsLocal?.toFixed(2) ?? '–', mib(c.metrics?.bytesOutPerRun), mib(c.metrics?.bytesInPerRun), c.metrics?.tilesPerRun?.toFixed(0) ?? '–'];
  });
  return [{
    title: 'Latency, throughput and traffic per run',
    markdown: `${mdTable(['worker processes', 'local ms', 'cluster ms', 'cluster runs/s', 'speedup vs local', 'MiB out (tasks)', 'MiB in (results)', 'tasks'], rows)}\n\nAll processes share this machine's cores, so more workers cannot beat the cores there are; the figures show the protocol's cost (serialisation, NATS round trips). One input alone runs with split auto: one whole-input task unless a fused tile is worth several round trips of compute, so more workers cannot make one input faster here.`,
  }, ...summarizeStreams(streams), ...recovery.map(summarizeRecovery)];
}

function summarizeRecovery(c: CaseRecord): ReportSection {
  const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
  const plain = med('cluster-w2'), killed = med('cluster-w2-kill');
  return {
    title: `Recovery: ${String(c.params.title)}`,
    markdown: `${mdTable(['stream', 'median ms'], [['2 workers', ms(plain)], ['2 workers, one killed (kill -9) after the first output', ms(killed)]])}\n\n`
      + `Time lost to the kill: ${c.metrics?.recoveryMs === undefined ? '–' : `${c.metrics.recoveryMs.toFixed(0)} ms`} (the difference of the medians): `
      + 'the dead worker\'s tasks are redelivered once its ack wait (3 s) passes without progress, then computed by the survivor; '
      + 'every output still equals the LocalExecutor\'s bit for bit and none is lost or doubled. The killed worker is restarted before each timed run (untimed).',
  };
}

function charts(s: SuiteRecord): ChartFile[] {
  const cases = s.cases.filter((c) => !c.error && c.params.kind !== 'stream');
  if (cases.length < 2) return [];
  return [{
    file: 'cluster-throughput.svg', title: 'Cluster: runs per second vs worker processes',
    svg: lineChart({
      title: 'Cluster: runs per second vs worker processes', subtitle: `${String(cases[0]!.params.title)}, loopback NATS JetStream, 1 thread per worker`,
      xLabel: 'worker processes', yLabel: 'runs / s (higher is better)',
      panels: [{ title: String(cases[0]!.params.model), series: [
        { label: 'ClusterExecutor', colour: colourOf('tessera-cluster'), points: cases.map((c) => [Number(c.params.workers), c.metrics?.['perSecond:cluster'] ?? NaN] as const) },
        { label: 'LocalExecutor (same process)', colour: colourOf('tessera-local'), dashed: true, points: cases.map((c) => [Number(c.params.workers), c.metrics?.['perSecond:local'] ?? NaN] as const) },
      ] }],
    }),
  }];
}

export const cluster: Suite = {
  name: 'cluster',
  title: 'Cluster: ClusterExecutor with 1..k worker processes on loopback',
  description: 'The face recognition net through the ClusterExecutor: tasks as protobuf TileTasks on a NATS JetStream work queue, pulled by k `tessera-worker` processes (1 thread, 2 tasks in hand each) on this machine; against the LocalExecutor in the coordinator\'s process. Single-run cases: one input at a time with 1..k workers. Stream case: a stream of face crops (150×150, the recognition net) through local and through 1..k worker processes (each count its own nats-server and workers), all timed in one interleaved loop, plus 2 workers with verify: 2 (each input on two workers, compared bit for bit). Recovery case: a stream through 2 workers, and the same with one worker killed (SIGKILL) after the first output. Outputs must equal the LocalExecutor\'s bit for bit. Bytes on the wire come from the executor\'s own counters (task and result payloads; the one-time model upload is not counted).',
  timed: 'Single-run cases: ClusterExecutor.run from the coordinator — planning (cached), encoding and publishing tasks, the workers\' compute, results back and assembly. Stream case: the whole stream, first input in to last output out (ClusterExecutor.runStream; local runs the inputs one after another). Workers are started and warm before timing.',
  plan: (ctx) => {
    const net = netFor(ctx.quick);
    let model: Model | undefined;
    const m = (): Model => (model ??= net.make());
    return [...singleRunCases(ctx, net, m), streamCase(ctx, net, m), recoveryCase(ctx, net, m)];
  },
  metrics,
  summarize,
  charts,
  async teardown() {
    await stopSingleRunCluster();
  },
};

type Net = ReturnType<typeof netFor>;

function singleRunCases(ctx: BenchContext, net: Net, m: () => Model): CaseDef[] {
    return workerCounts(ctx).map((k): CaseDef => ({
      id: `${net.key}-w${k}`, title: `${net.title}, ${k} worker process${k > 1 ? 'es' : ''}`, group: net.key,
      params: { model: net.key, title: net.title, workers: k }, flops: m().flops(), flopsNote: 'Model.flops()', baseline: 'local',
      build: async () => {
        const c = await (clusterP ??= startCluster(Math.max(4, 2 * ctx.workers)));
        while (c.workers.length < k) {
          const w = spawnWorker({ url: c.server.url, user: c.server.roles.worker.user, pass: c.server.roles.worker.pass, threads: 1, name: `bench-w${c.workers.length + 1}`, logLevel: 'info' });
          c.workers.push(w);
          await w.ready(60_000);
        }
        const x = randomTensor(m().inputShape, 5);
        const local = new LocalExecutor();
        let lastLocal: Tensor | undefined, lastCluster: Tensor | undefined;
        const acc = { out: 0, in: 0, runs: 0, tiles: 0 };
        wire.set(`${net.key}-w${k}`, acc);
        const peers: Peer[] = [
          { id: 'local', runtime: 'tessera-local', label: 'LocalExecutor (coordinator process)', threads: 1, run: async () => { lastLocal = await local.run(m(), x); }, output: () => lastLocal!.toFloat32Array() },
          {
            id: 'cluster', runtime: 'tessera-cluster', label: `ClusterExecutor, ${k} worker${k > 1 ? 's' : ''}`, threads: k,
            run: async () => {
              const s0 = { ...c.executor.stats };
              lastCluster = await c.executor.run(m(), x);
              const s1 = c.executor.stats;
              acc.out += s1.bytesOut - s0.bytesOut; acc.in += s1.bytesIn - s0.bytesIn; acc.tiles += s1.results - s0.results; acc.runs++;
            },
            output: () => lastCluster!.toFloat32Array(),
          },
        ];
        return { peers, tolerance: 0, reference: async () => (await local.run(m(), x)).toFloat32Array() };
      },
    }));
}

/** Starts `k` more worker processes (1 thread each) on `c` and waits until they pull tasks. */
async function addWorkers(c: Cluster, k: number, prefix: string): Promise<void> {
  for (let i = 0; i < k; i++) {
    const w = spawnWorker({ url: c.server.url, user: c.server.roles.worker.user, pass: c.server.roles.worker.pass, threads: 1, name: `${prefix}-w${c.workers.length + 1}`, logLevel: 'info' });
    c.workers.push(w);
    await w.ready(60_000);
  }
}

/** Outputs of a stream, one after another, as one array (what the reference is compared with). */
function concat(ys: readonly Tensor[]): Float32Array {
  const out = new Float32Array(ys.reduce((a, y) => a + y.size, 0));
  let o = 0;
  for (const y of ys) {
    out.set(y.toFloat32Array(), o);
    o += y.size;
  }
  return out;
}

/**
 * A stream of face crops through the recognition net (150×150 inputs;
 * random pixels: the compute does not depend on them): LocalExecutor and
 * ClusterExecutors with 1..k worker processes, all timed in one interleaved
 * loop. Each worker count has its own nats-server and workers (1 thread each),
 * started before timing.
 */
function streamCase(ctx: BenchContext, net: Net, m: () => Model): CaseDef {
  const n = ctx.quick ? 8 : 32;
  const ks = ctx.quick ? [1] : workerCounts(ctx);
  const title = `stream of ${n} ${ctx.quick ? 'inputs' : 'face crops'} through the ${net.title}`;
  return {
    id: `${net.key}-stream${n}`, title, group: `${net.key}-stream`,
    params: { kind: 'stream', model: net.key, title, inputs: n, workers: ks[ks.length - 1]! },
    flops: m().flops() * n, flopsNote: `Model.flops() × ${n} inputs`, baseline: 'local',
    build: async () => {
      await stopSingleRunCluster();
      const xs = Array.from({ length: n }, (_, i) => randomTensor(m().inputShape, 100 + i));
      const local = new LocalExecutor();
      const clusters: Cluster[] = [];
      const dispose = async (): Promise<void> => { await Promise.all(clusters.splice(0).map(stopCluster)); };
      try {
        for (const k of ks) {
          const c = await startCluster(1);
          clusters.push(c);
          await addWorkers(c, k, `bench-s${k}`);
        }
        // verify: 2 — every input computed by two workers and compared bit for bit (issue 14's trust option).
        const v = await startCluster(1, 2);
        clusters.push(v);
        await addWorkers(v, 2, 'bench-v2');
      } catch (e) {
        await dispose();
        throw e;
      }
      let lastLocal: Tensor[] = [];
      const peers: Peer[] = [
        {
          id: 'local', runtime: 'tessera-local', label: 'LocalExecutor (coordinator process)', threads: 1,
          run: async () => {
            const ys: Tensor[] = [];
            for (const x of xs) ys.push(await local.run(m(), x));
            lastLocal = ys;
          },
          output: () => concat(lastLocal),
        },
        ...[...ks, 0].map((k, i): Peer => {
          // The last cluster: 2 workers, verify: 2.
          const c = clusters[i]!;
          const verified = k === 0;
          const id = verified ? 'cluster-w2-verify2' : `cluster-w${k}`;
          const acc = { inputs: 0, out: 0, in: 0, tasks: 0, protocolMs: 0 };
          streamWire.set(`${net.key}-stream${n}/${id}`, acc);
          let last: Tensor[] = [];
          return {
            id, runtime: 'tessera-cluster', label: verified ? 'ClusterExecutor, 2 worker processes, verify: 2' : `ClusterExecutor, ${k} worker process${k > 1 ? 'es' : ''}`, threads: verified ? 2 : k,
            run: async () => {
              const s0 = { ...c.executor.stats };
              const ys: Tensor[] = [];
              for await (const y of c.executor.runStream(m(), xs)) ys.push(y);
              last = ys;
              const s1 = c.executor.stats;
              acc.inputs += s1.runs - s0.runs; acc.out += s1.bytesOut - s0.bytesOut; acc.in += s1.bytesIn - s0.bytesIn;
              acc.tasks += s1.results - s0.results; acc.protocolMs += s1.protocolMs - s0.protocolMs;
            },
            output: () => concat(last),
          };
        }),
      ];
      return { peers, tolerance: 0, reference: async () => concat(await Promise.all(xs.map((x) => local.run(m(), x)))), dispose };
    },
  };
}

/**
 * Recovery from a killed worker: a stream through 2 worker processes, and the
 * same stream with one of them killed (SIGKILL) as soon as the first output
 * is in. The difference is what the fault costs: the ack wait that notices
 * the dead worker, and recomputing what it held.
 */
function recoveryCase(ctx: BenchContext, net: Net, m: () => Model): CaseDef {
  const n = ctx.quick ? 6 : 16;
  const title = `stream of ${n} inputs through the ${net.title}, 2 worker processes`;
  return {
    id: `${net.key}-recovery`, title, group: `${net.key}-recovery`,
    params: { kind: 'recovery', model: net.key, title, inputs: n, workers: 2 },
    flops: m().flops() * n, flopsNote: `Model.flops() × ${n} inputs`, baseline: 'cluster-w2',
    build: async () => {
      await stopSingleRunCluster();
      const xs = Array.from({ length: n }, (_, i) => randomTensor(m().inputShape, 300 + i));
      const local = new LocalExecutor();
      const c = await startCluster(1);
      const dispose = async (): Promise<void> => { await stopCluster(c); };
      try {
        await addWorkers(c, 2, 'bench-r');
      } catch (e) {
        await dispose();
        throw e;
      }
      const stream = async (kill: boolean): Promise<Tensor[]> => {
        const ys: Tensor[] = [];
        for await (const y of c.executor.runStream(m(), xs)) {
          ys.push(y);
          if (kill && ys.length === 1) c.workers.shift()!.kill('SIGKILL');
        }
        return ys;
      };
      let plain: Tensor[] = [], killed: Tensor[] = [];
      const peers: Peer[] = [
        { id: 'cluster-w2', runtime: 'tessera-cluster', label: 'ClusterExecutor, 2 worker processes', threads: 2, run: async () => { plain = await stream(false); }, output: () => concat(plain) },
        {
          id: 'cluster-w2-kill', runtime: 'tessera-cluster', label: 'ClusterExecutor, 2 worker processes, one killed mid-stream', threads: 2, maxRuns: ctx.quick ? 1 : 5,
          // Untimed: back to two live workers.
          before: async () => { if (c.workers.length < 2) await addWorkers(c, 2 - c.workers.length, 'bench-r'); },
          run: async () => { killed = await stream(true); },
          output: () => concat(killed),
        },
      ];
      return { peers, tolerance: 0, reference: async () => concat(await Promise.all(xs.map((x) => local.run(m(), x)))), dispose };
    },
  };
}
