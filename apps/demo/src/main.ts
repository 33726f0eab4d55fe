#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { Tensor, fmtShape, isTesseraError } from '@tessera/tensor';
import { availableParallelism } from 'node:os';
import { LocalExecutor, receptiveField, seedDilatedStack, type Executor, type Model } from '@tessera/nn';
import { PoolExecutor, explain } from '@tessera/scheduler';

/** A synthetic photo: smooth colour gradients with a few bright discs, so activations are non-trivial. */
function generateImage(size: number): Tensor {
  const img = Tensor.zeros([1, 3, size, size]);
  const d = img.data, plane = size * size;
  const discs = [[0.3, 0.3, 0.12], [0.7, 0.4, 0.2], [0.45, 0.75, 0.08]] as const;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size, v = y / size;
      let disc = 0;
      for (const [cx, cy, r] of discs) if ((u - cx) ** 2 + (v - cy) ** 2 < r * r) disc = 1;
      d[y * size + x] = u + 0.5 * disc;
      d[plane + y * size + x] = v + 0.3 * Math.sin(12 * u);
      d[2 * plane + y * size + x] = 0.5 * (1 - u * v) + 0.5 * disc;
    }
  }
  return img;
}

interface Timed { best: number; out: Tensor }

async function timeRuns(ex: Executor, model: Model, image: Tensor, runs: number): Promise<Timed> {
  let best = Infinity;
  let out: Tensor | undefined;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    out = await ex.run(model, image);
    best = Math.min(best, performance.now() - t0);
  }
  return { best, out: out! };
}

const USAGE = `usage: tessera-demo [--size S] [--channels C] [--runs R] [--threads T] [--explain]
  The seed CNN (conv → ReLU → max-pool → dilations 1, 2, 4, 8) on a generated S×S image, on one thread and on T worker threads.
  --size S       image side (default 256)
  --channels C   feature maps per layer (default 32)
  --runs R       timed runs, the best kept (default 3)
  --threads T    worker threads (default: all cores)
  --explain      print the tile plan
  -h, --help     this text`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      size: { type: 'string', default: '256' },
      channels: { type: 'string', default: '32' },
      runs: { type: 'string', default: '3' },
      threads: { type: 'string', default: String(availableParallelism()) },
      explain: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const size = Number(values.size), channels = Number(values.channels), runs = Number(values.runs), threads = Number(values.threads);
  for (const [k, v] of Object.entries({ size, channels, runs, threads })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer, got ${String(values[k as keyof typeof values])}`);
  }

  const model = seedDilatedStack({ size, channels });
  const image = generateImage(size);
  console.log(model.summary());
  const local = await timeRuns(new LocalExecutor(), model, image, runs);
  const pool = new PoolExecutor({ threads });
  let pooled: Timed;
  try {
    pooled = await timeRuns(pool, model, image, runs);
    if (values.explain) console.log(`\n${explain(await pool.plan(model, image.shape))}`);
  } finally {
    await pool.close();
  }
  const pooledOut = pooled.out.toFloat32Array();
  const same = local.out.toFloat32Array().every((v, i) => v === pooledOut[i]);
  const out = local.out;
  const rf = receptiveField(model);
  const o = out.toFloat32Array();
  let sum = 0, max = -Infinity, nonzero = 0;
  for (const v of o) { sum += v; if (v > max) max = v; if (v !== 0) nonzero++; }
  const gflop = model.flops() / 1e9;
  const rate = (ms: number): string => `${(gflop / (ms / 1e3)).toFixed(2)} GFLOP/s`;
  console.log('');
  console.log(`input            ${fmtShape(image.shape)} (generated image)`);
  console.log(`output           ${fmtShape(out.shape)}  mean ${(sum / o.length).toFixed(5)}  max ${max.toFixed(4)}  active ${(100 * nonzero / o.length).toFixed(1)}%`);
  console.log(`receptive field  ${rf.size[0]}×${rf.size[1]} input pixels (jump ${rf.jump[0]}, offset ${rf.offset[0]})`);
  console.log(`1 thread         best ${local.best.toFixed(1)} ms of ${runs} run(s) (${rate(local.best)}, ${gflop.toFixed(3)} GFLOP per run)`);
  console.log(`${String(threads).padEnd(2)} threads       best ${pooled.best.toFixed(1)} ms (${rate(pooled.best)}), speedup ${(local.best / pooled.best).toFixed(2)}×, ` +
    `output ${same ? 'bit-identical to 1 thread' : 'DIFFERS from 1 thread'}`);
  if (!same) process.exitCode = 2;
}

main().catch((e: unknown) => {
  console.error(isTesseraError(e) ? `error [${e.code}]: ${e.message}` : `error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
