#!/usr/bin/env node
/**
 * conv2d on four typical layers, one thread, batch 1, fp32: Tessera's
 * reference loops vs its fast kernel vs @tensorflow/tfjs-backend-cpu.
 * Not a test: checks that the three agree, then prints the median time of
 * interleaved runs (ms) and GFLOP/s (a multiply-add counts 2).
 *
 *   npx tsx --conditions=@tessera/source src/conv-layers.ts [--runs 7] [--ref-runs 3] [--layers L2,L4] [--no-reference]
 *
 * The reference loops are 50–100× slower than the rest, so they get fewer
 * runs (--ref-runs); the three runtimes alternate run by run, so a slow
 * spell of a shared machine lands on all of them.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Tensor, conv2d, conv2dRef, randomTensor } from '@tessera/tensor';

interface Layer { name: string; cin: number; cout: number; size: number; dilation: number }

const LAYERS: readonly Layer[] = [
  { name: 'L1', cin: 3, cout: 32, size: 112, dilation: 1 },
  { name: 'L2', cin: 64, cout: 64, size: 56, dilation: 1 },
  { name: 'L3', cin: 128, cout: 128, size: 28, dilation: 2 },
  { name: 'L4', cin: 256, cout: 256, size: 14, dilation: 1 },
];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    'ref-runs': { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    layers: { type: 'string' },
    'no-reference': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs), refRuns = Number(values['ref-runs']), warmup = Number(values.warmup);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
if (!Number.isInteger(refRuns) || refRuns < 1) throw new Error(`--ref-runs must be a positive integer, got ${values['ref-runs']}`);
if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a non-negative integer, got ${values.warmup}`);
const wanted = values.layers?.split(',');
const layers = wanted ? LAYERS.filter((l) => wanted.includes(l.name)) : LAYERS;
if (layers.length === 0) throw new Error(`--layers ${values.layers} matches none of ${LAYERS.map((l) => l.name).join(', ')}`);
const withReference = !values['no-reference'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d; // a NaN shows up as NaN
  }
  return m;
}

/** NCHW [1, C, H, W] -> NHWC values, and OIHW weights -> HWIO, the layouts tf.conv2d takes. */
function toNHWC(t: Tensor): Float32Array {
  const [, c, h, w] = t.dims4();
  const src = t.toFloat32Array(), dst = new Float32Array(src.length);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) dst[(y * w + x) * c + ch] = src[(ch * h + y) * w + x]!;
  return dst;
}
function toHWIO(t: Tensor): Float32Array {
  const [o, i, kh, kw] = t.dims4();
  const src = t.toFloat32Array(), dst = new Float32Array(src.length);
  for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
    dst[((y * kw + x) * i + b) * o + a] = src[((a * i + b) * kh + y) * kw + x]!;
  }
  return dst;
}

type Runtime = 'reference' | 'fast' | 'tfjs';

async function main(): Promise<void> {
  // tfjs-core suggests installing tfjs-node on its first op in Node; we compare with the cpu backend on purpose.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => { if (!String(args[0]).includes('tfjs-node')) warn(...args); };
  await tf.setBackend('cpu');
  await tf.ready();

  console.log(`conv2d 3×3 SAME stride 1, batch 1, fp32, 1 thread; ${warmup} warm-up + median of ${runs} interleaved runs (reference: ${refRuns})`);
  console.log(`node ${process.version}, tfjs ${tf.version_core} (${tf.getBackend()})\n`);
  const rows: string[][] = [];
  for (const l of layers) {
    const x = randomTensor([1, l.cin, l.size, l.size], 1);
    const w = randomTensor([l.cout, l.cin, 3, 3], 2, -0.1, 0.1);
    const spec = { kernel: 3, padding: 'same' as const, dilation: l.dilation };
    const flops = 2 * l.cout * l.size * l.size * l.cin * 9;
    const out = Tensor.zeros([1, l.cout, l.size, l.size]);
    const refOut = Tensor.zeros([1, l.cout, l.size, l.size]);
    const tx = tf.tensor4d(toNHWC(x), [1, l.size, l.size, l.cin]);
    const tw = tf.tensor4d(toHWIO(w), [3, 3, l.cin, l.cout]);
    const tfRun = (): Float32Array => {
      const y = tf.conv2d(tx, tw, 1, 'same', 'NHWC', l.dilation);
      const v = y.dataSync() as Float32Array;
      y.dispose();
      return v;
    };

    // Agreement first: a fast wrong answer is not a result.
    conv2d(x, w, null, spec, out);
    const errTf = maxAbsDiff(toNHWC(out), tfRun());
    let errRef = NaN;
    if (withReference) {
      conv2dRef(x, w, null, spec, refOut);
      errRef = maxAbsDiff(out.toFloat32Array(), refOut.toFloat32Array());
    }

    const runtimes: Runtime[] = withReference ? ['reference', 'fast', 'tfjs'] : ['fast', 'tfjs'];
    const once: Record<Runtime, () => void> = {
      reference: () => { conv2dRef(x, w, null, spec, refOut); },
      fast: () => { conv2d(x, w, null, spec, out); },
      tfjs: () => { tfRun(); },
    };
    const times: Record<Runtime, number[]> = { reference: [], fast: [], tfjs: [] };
    for (let i = 0; i < warmup; i++) for (const rt of runtimes) if (rt !== 'reference' || i === 0) once[rt]();
    for (let i = 0; i < runs; i++) {
      for (const rt of runtimes) {
        if (rt === 'reference' && i >= refRuns) continue;
        const t0 = performance.now();
        once[rt]();
        times[rt].push(performance.now() - t0);
      }
    }
    tx.dispose();
    tw.dispose();

    const ms = (rt: Runtime) => (times[rt].length ? median(times[rt]) : NaN);
    const gf = (rt: Runtime) => flops / ms(rt) / 1e6;
    const cell = (rt: Runtime) => (times[rt].length ? [ms(rt).toFixed(1), gf(rt).toFixed(2)] : ['-', '-']);
    rows.push([
      `${l.name} ${l.cin}→${l.cout} ${l.size}²${l.dilation > 1 ? ` dil ${l.dilation}` : ''}`,
      (flops / 1e6).toFixed(0),
      ...cell('reference'), ...cell('fast'), ...cell('tfjs'),
      (ms('tfjs') / ms('fast')).toFixed(2),
      errTf.toExponential(1), withReference ? errRef.toExponential(1) : '-',
    ]);
  }
  const head = ['layer', 'MFLOP', 'ref ms', 'ref GF/s', 'fast ms', 'fast GF/s', 'tfjs ms', 'tfjs GF/s', 'fast/tfjs', '|fast−tfjs|', '|fast−ref|'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log('\nfast/tfjs = speed-up of the fast kernel over tfjs cpu (time ratio); |·| = max abs difference of the outputs.');
}

await main();
