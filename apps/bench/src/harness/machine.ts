import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { arch, availableParallelism, cpus, platform, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import type { MachineRecord } from './types.js';

/** Peers whose versions go into every run record (those present in node_modules). */
const PEER_PACKAGES = [
  '@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm',
  'onnxruntime-node', '@vladmandic/face-api', 'protobufjs', 'piscina', 'gpu.js', 'gl', '@nats-io/transport-node', 'sharp',
];

function versionOf(dir: string): string | null {
  const p = join(dir, 'package.json');
  if (!existsSync(p)) return null;
  try { return String((JSON.parse(readFileSync(p, 'utf8')) as { version?: unknown }).version ?? '?'); } catch { return null; }
}

function git(args: string[]): string | null {
  try { return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; }
}

/** What the numbers were measured on: hardware, runtime, package versions, source revision. */
export function machine(): MachineRecord {
  const packages: Record<string, string> = {};
  const tessera = join(repoRoot, 'node_modules', '@tessera');
  if (existsSync(tessera)) for (const name of readdirSync(tessera).sort()) { const v = versionOf(join(tessera, name)); if (v) packages[`@tessera/${name}`] = v; }
  for (const name of PEER_PACKAGES) { const v = versionOf(join(repoRoot, 'node_modules', name)); if (v) packages[name] = v; }
  const c = cpus();
  const status = git(['status', '--porcelain']);
  return {
    cpu: { model: c[0]?.model.trim() ?? 'unknown', cores: c.length, availableParallelism: availableParallelism(), speedMHz: c[0]?.speed || null },
    memoryBytes: totalmem(),
    node: process.version,
    v8: process.versions.v8,
    os: { platform: platform(), release: release(), arch: arch(), type: type() },
    packages,
    git: { commit: git(['rev-parse', 'HEAD']), dirty: status === null ? null : status.length > 0 },
  };
}
