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
 * JetStream), against the LocalExecutor in the same process. Records
 * latency, descriptors per second and bytes on the wire per run.
 */

interface Cluster { server: LocalNatsServer; executor: ClusterExecutor; workers: SpawnedWorker[] }
let clusterP: Promise<Cluster> | undefined;
/** Bytes on the wire per timed run of each case (tasks out + results in, from ClusterStats). */
const wire = new Map<string, { out: number; in: number; runs: number; tiles: number }>();

async function startCluster(tiles: number): Promise<Cluster> {
  const server = await startNatsServer();
  const executor = new ClusterExecutor({ servers: server.url, user: server.user, pass: server.pass, tiles, noWorkerTimeoutMs: 60_000 });
  await executor.connect(); // creates the work queue the workers pull from
  return { server, executor, workers: [] };
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
  const out: Record<string, number> = {};
  for (const p of c.peers) if (p.stats) out[`perSecond:${p.peer}`] = 1e3 / p.stats.medianMs;
  const local = c.peers.find((p) => p.peer === 'local')?.stats?.medianMs, cl = c.peers.find((p) => p.peer === 'cluster')?.stats?.medianMs;
  if (local !== undefined && cl !== undefined) out.speedupVsLocal = local / cl;
  const w = wire.get(c.id);
  if (w && w.runs > 0) { out.bytesOutPerRun = w.out / w.runs; out.bytesInPerRun = w.in / w.runs; out.tilesPerRun = w.tiles / w.runs; }
  return out;
}

function summarize(s: SuiteRecord): ReportSection[] {
  const rows = s.cases.filter((c) => !c.error).map((c) => {
    const med = (id: string): number | undefined => c.peers.find((p) => p.peer === id)?.stats?.medianMs;
    const mib = (v: number | undefined): string => (v === undefined ? '–' : (v / 2 ** 20).toFixed(2));
    return [String(c.params.workers), ms(med('local')), ms(med('cluster')), c.metrics?.['perSecond:cluster']?.toFixed(2) ?? '–',
      c.metrics?.speedupVsLocal?.toFixed(2) ?? '–', mib(c.metrics?.bytesOutPerRun), mib(c.metrics?.bytesInPerRun), c.metrics?.tilesPerRun?.toFixed(0) ?? '–'];
  });
  return [{
    title: 'Latency, throughput and traffic per run',
    markdown: `${mdTable(['worker processes', 'local ms', 'cluster ms', 'cluster runs/s', 'speedup vs local', 'MiB out (tasks)', 'MiB in (results)', 'tiles'], rows)}\n\nAll processes share this machine's cores, so more workers cannot beat the cores there are; the figures show the protocol's cost (serialisation, NATS round trips, halo traffic). The ClusterExecutor always plans fused tiles; a layer-wise plan (a barrier and a round trip per layer) is not offered, so fused vs layer-wise traffic is not measured.`,
  }];
}

function charts(s: SuiteRecord): ChartFile[] {
  const cases = s.cases.filter((c) => !c.error);
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
  description: 'The face recognition net (batch 1) through the ClusterExecutor: fused tiles as protobuf TileTasks on a NATS JetStream work queue, pulled by k `tessera-worker` processes (1 thread each) on this machine, results assembled by tile id; against the LocalExecutor in the coordinator\'s process. Outputs must equal the LocalExecutor\'s bit for bit. Bytes on the wire come from the executor\'s own counters (task and result payloads; the one-time model upload is not counted).',
  timed: 'ClusterExecutor.run from the coordinator: planning (cached), encoding and publishing tasks, the workers\' compute, results back and assembly. Workers are started and warm before timing.',
  plan: (ctx) => {
    const net = netFor(ctx.quick);
    let model: Model | undefined;
    const m = (): Model => (model ??= net.make());
    return workerCounts(ctx).map((k): CaseDef => ({
      id: `${net.key}-w${k}`, title: `${net.title}, ${k} worker process${k > 1 ? 'es' : ''}`, group: net.key,
      params: { model: net.key, title: net.title, workers: k }, flops: m().flops(), flopsNote: 'Model.flops()', baseline: 'local',
      build: async () => {
        const c = await (clusterP ??= startCluster(Math.max(4, 2 * ctx.workers)));
        while (c.workers.length < k) {
          const w = spawnWorker({ url: c.server.url, user: c.server.user, pass: c.server.pass, threads: 1, name: `bench-w${c.workers.length + 1}`, logLevel: 'info' });
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
  },
  metrics,
  summarize,
  charts,
  async teardown() {
    if (!clusterP) return;
    const c = await clusterP.catch(() => undefined);
    clusterP = undefined;
    if (c) await stopCluster(c);
  },
};
