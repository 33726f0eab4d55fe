import { Tensor, getOp, randomTensor, runOp, weightShapes, type Conv2dSpec, type OpSpec, type Shape, type Weights } from '@tessera/tensor';
import { GpuOpRunner, glUnavailableReason, type GpuMode } from '@tessera/gpu';
import { barChart, type BarSeries } from '../charts/bar-chart.js';
import { colourOf } from '../charts/palette.js';
import { gf, mdTable } from '../harness/format.js';
import type { CaseDef, CaseRecord, ChartFile, Peer, ReportSection, Suite, SuiteRecord } from '../harness/types.js';

/**
 * Single ops on gpu.js through @tessera/gpu's GpuOpRunner in each mode (gl on
 * headless-gl, webasm, cpu) against Tessera's fast CPU kernel. The backend
 * that really ran (gpu.js' kernel class) is recorded in the peer label; a mode
 * that cannot start here is recorded as unsupported with the reason.
 */

interface Op { id: string; title: string; input: Shape; spec: OpSpec; weights: Record<string, Shape> }

function ops(quick: boolean): Op[] {
  const s = quick ? 16 : 64, c = quick ? 8 : 32;
  const conv = (id: string, title: string, cin: number, cout: number, size: number, dilation: number, groups = 1): Op => ({
    id, title, input: [1, cin, size, size], spec: { op: 'conv2d', kernel: 3, padding: 'same', dilation, groups } as Conv2dSpec,
    weights: { weight: [cout, cin / groups, 3, 3], bias: [cout] },
  });
  return [
    conv('conv-3to32', `conv 3×3 3→${c} ${s * 2}²`, 3, c, s * 2, 1),
    conv('conv', `conv 3×3 ${c}→${c} ${s}²`, c, c, s, 1),
    conv('conv-d2', `conv 3×3 ${c}→${c} ${s}² dil 2`, c, c, s, 2),
    conv('dwconv', `depthwise 3×3 ${c * 2}ch ${s}²`, c * 2, c * 2, s, 1, c * 2),
    { id: 'maxpool', title: `max pool 2×2/2 ${c}ch ${s * 2}²`, input: [1, c, s * 2, s * 2], spec: { op: 'maxPool', kernel: 2, stride: 2 }, weights: {} },
    { id: 'dense', title: `dense ${quick ? 64 : 1024}→${quick ? 32 : 256}`, input: [1, quick ? 64 : 1024, 1, 1], spec: { op: 'dense' }, weights: { weight: [quick ? 64 : 1024, quick ? 32 : 256], bias: [quick ? 32 : 256] } },
  ];
}

const MODES: readonly Exclude<GpuMode, 'auto'>[] = ['gl', 'webasm', 'cpu'];
/** One runner per mode for the whole suite: kernels compile once, later cases time launches. */
const runners = new Map<string, GpuOpRunner | Error>();
function runnerOf(mode: Exclude<GpuMode, 'auto'>): GpuOpRunner | Error {
  let r = runners.get(mode);
  if (!r) {
    try {
      const why = mode === 'gl' ? glUnavailableReason() : null;
      r = why ? new Error(why) : new GpuOpRunner({ mode });
    } catch (e) { r = e instanceof Error ? e : new Error(String(e)); }
    runners.set(mode, r);
  }
  return r;
}

function weightsOf(op: Op): Weights {
  const w: Record<string, Tensor> = {};
  for (const [k, shape] of Object.entries(op.weights)) {
    const fan = k === 'bias' ? 1 : shape.slice(op.spec.op === 'dense' ? 0 : 1, op.spec.op === 'dense' ? 1 : 4).reduce((a, b) => a * b, 1);
    w[k] = randomTensor(shape, k === 'bias' ? 3 : 2, -1 / Math.sqrt(fan), 1 / Math.sqrt(fan));
  }
  return w;
}

function flopsOf(op: Op): number {
  const d = getOp(op.spec.op);
  return d.flops(op.spec, [op.input], d.outputShape(op.spec, [op.input], op.weights));
}

function summarize(s: SuiteRecord): ReportSection[] {
  const cases = s.cases.filter((c) => !c.error);
  if (!cases.length) return [];
  const ids = cases[0]!.peers.map((p) => p.peer);
  const label = (id: string): string => cases[0]!.peers.find((p) => p.peer === id)!.label;
  const rows = cases.map((c) => [c.title, ...ids.map((id) => {
    const p = c.peers.find((q) => q.peer === id);
    return p?.status === 'unsupported' ? 'n/a' : p?.status === 'mismatch' ? `${gf(p.stats?.gflops)} ⚠` : gf(p?.stats?.gflops);
  })]);
  const why = cases[0]!.peers.filter((p) => p.status === 'unsupported').map((p) => `${p.label}: ${p.reason}`);
  return [{
    title: 'GFLOP/s per op and backend',
    markdown: `${mdTable(['op', ...ids.map(label)], rows)}${why.length ? `\n\nn/a — ${why.join('; ')}` : ''}\n\nOn this machine GL is Mesa llvmpipe (software rendering): GL here checks correctness, it is not a GPU speed figure.`,
  }];
}

function charts(s: SuiteRecord): ChartFile[] {
  const cases = s.cases.filter((c) => !c.error);
  if (!cases.length) return [];
  const series: BarSeries[] = cases[0]!.peers.map((p) => ({ key: p.peer, label: p.label, colour: p.runtime === 'tessera-fast' ? colourOf('tessera-fast') : colourOf('tessera-gpu', MODES.indexOf(p.peer.replace('gpu-', '') as 'gl'), MODES.length) }));
  const values: Record<string, Record<string, number | string | undefined>> = {};
  for (const c of cases) values[c.id] = Object.fromEntries(c.peers.map((p) => [p.peer, p.status === 'unsupported' ? 'n/a' : p.stats?.gflops ?? undefined]));
  return [{
    file: 'gpu-gflops.svg', title: 'gpu.js backends: GFLOP/s per op',
    svg: barChart({
      title: 'gpu.js backends: GFLOP/s per op', subtitle: 'GpuOpRunner (upload + kernels + read-back) per mode vs Tessera\'s fast CPU kernel', yLabel: 'GFLOP/s (higher is better)', yScale: 'log',
      categories: cases.map((c) => ({ key: c.id, label: c.id })), series, values, footnote: 'Median of interleaved runs, batch 1, fp32. GL on this machine is software (llvmpipe).',
    }),
  }];
}

export const gpu: Suite = {
  name: 'gpu',
  title: 'GPU (gpu.js): per-op GFLOP/s in gl, webasm and cpu modes',
  description: 'Each op through @tessera/gpu\'s GpuOpRunner in every gpu.js mode — gl (headless-gl; needs an X display, e.g. tools/with-xvfb.sh), webasm, cpu — against Tessera\'s fast CPU kernel on the main thread. The label names the backend gpu.js really ran (its kernel class), not the mode asked for. Outputs are checked against Tessera\'s reference kernel (GL is fp32 with its own summation order).',
  timed: 'GpuOpRunner.run: input upload, kernel launches (compiled before timing), read-back into a preallocated output. Tessera fast: the kernel into a preallocated output.',
  plan: (ctx) => ops(ctx.quick).map((op): CaseDef => ({
    id: op.id, title: op.title, group: op.spec.op, params: { op: op.spec.op, input: op.input.join('×') },
    flops: flopsOf(op), flopsNote: 'Tessera op cost model', baseline: 'tessera-fast',
    build: async () => {
      const x = randomTensor(op.input, 1);
      const w = weightsOf(op);
      const shape = getOp(op.spec.op).outputShape(op.spec, [op.input], weightShapes(w));
      const fastOut = Tensor.zeros(shape);
      const peers: Peer[] = [{
        id: 'tessera-fast', runtime: 'tessera-fast', label: 'Tessera fast CPU', threads: 1,
        run: () => { runOp(op.spec, [x], w, fastOut); }, output: () => fastOut.toFloat32Array(),
      }];
      for (const mode of MODES) {
        const r = runnerOf(mode);
        const out = Tensor.zeros(shape);
        if (r instanceof Error) {
          peers.push({ id: `gpu-${mode}`, runtime: 'tessera-gpu', label: `gpu.js ${mode}`, unsupported: r.message, run: () => undefined });
          continue;
        }
        peers.push({
          id: `gpu-${mode}`, runtime: 'tessera-gpu', label: `gpu.js ${mode} (ran ${r.backend})`,
          run: () => { r.run(op.spec, [x], w, undefined, out); }, output: () => out.toFloat32Array(),
        });
      }
      return { peers, reference: () => runOp(op.spec, [x], w, Tensor.zeros(shape), undefined, 'reference').toFloat32Array() };
    },
  })),
  summarize,
  charts,
  async teardown() {
    for (const r of runners.values()) if (!(r instanceof Error)) await r.close();
    runners.clear();
  },
};
