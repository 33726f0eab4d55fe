import { expect } from 'chai';
import { isTesseraError, randInt, type Region, type Shape } from '@tessera/tensor';
import {
  TILE_PROTOCOL_VERSION, type TileResult, type TileSlice, type TileTask,
} from '../src/index.js';

/** Seeded random tile messages for round-trip, conformance and fuzz tests. */

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-45, -3.4e38, 1];

export function hex(r: () => number, digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

export function uuid(r: () => number): string {
  return `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
}

export function randomShape(r: () => number, maxDim = 7): Shape {
  return r() < 0.2 ? [randInt(r, 1, 3), randInt(r, 1, 40)] : [randInt(r, 1, 2), randInt(r, 1, maxDim), randInt(r, 1, maxDim), randInt(r, 1, maxDim)];
}

/** A random non-empty region inside `shape` (rank 4 or 2). */
export function randomRegionIn(r: () => number, shape: Shape): Region {
  const dims = shape.length === 4 ? shape : [shape[0]!, shape[1]!, 1, 1];
  const span = (d: number): [number, number] => {
    const a = randInt(r, 0, d - 1);
    return [a, randInt(r, a + 1, d)];
  };
  const [n0, n1] = span(dims[0]!), [c0, c1] = span(dims[1]!), [y0, y1] = span(dims[2]!), [x0, x1] = span(dims[3]!);
  return { n0, n1, c0, c1, y0, y1, x0, x1 };
}

export function randomData(r: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r() < 0.1 ? SPECIAL[randInt(r, 0, SPECIAL.length - 1)]! : r() * 2 - 1;
  return a;
}

export function randomSlice(r: () => number): TileSlice {
  const shape = randomShape(r);
  const region = randomRegionIn(r, shape);
  const n = (region.n1 - region.n0) * (region.c1 - region.c0) * (region.y1 - region.y0) * (region.x1 - region.x0);
  return { source: randInt(r, -1, 50), shape, region, data: randomData(r, n) };
}

/** Edge values sometimes: tile id 0 and 2^53 − 1, attempt 2^32 − 1, stage 0, big layer indexes. */
export function randomTask(r: () => number): TileTask {
  const k = randInt(r, 1, 4);
  const layers = Array.from({ length: k }, () => (r() < 0.1 ? 0xffffffff : randInt(r, 0, 300)));
  const regions = layers.map(() => randomRegionIn(r, randomShape(r, 300)));
  const byRef = r() < 0.25;
  // Sometimes model outputs inside the task: layers before the last, by position, in order.
  const extraOutputs = k > 1 && r() < 0.3 ? layers.slice(0, -1).filter(() => r() < 0.6) : [];
  return {
    version: TILE_PROTOCOL_VERSION,
    runId: uuid(r),
    tileId: [0, Number.MAX_SAFE_INTEGER, randInt(r, 1, 1e6)][randInt(r, 0, 2)]!,
    stage: r() < 0.2 ? 0 : randInt(r, 1, 200),
    modelId: r() < 0.2 ? 'ünïcødé-模型' : `model-${randInt(r, 0, 99)}`,
    modelVersion: hex(r, r() < 0.5 ? 64 : 8),
    inputShape: randomShape(r, 64),
    layers,
    regions,
    inputs: byRef ? [] : Array.from({ length: randInt(r, 0, 3) }, () => randomSlice(r)),
    ...(byRef ? { inputsRef: `tiles/${uuid(r)}/inputs` } : {}),
    attempt: r() < 0.1 ? 0xffffffff : randInt(r, 1, 5),
    ...(extraOutputs.length ? { extraOutputs } : {}),
    ...(r() < 0.2 ? { moreInputShapes: Array.from({ length: randInt(r, 1, 3) }, () => randomShape(r, 64)) } : {}),
  };
}

export function randomResult(r: () => number): TileResult {
  const kind = randInt(r, 0, 2);
  return {
    version: TILE_PROTOCOL_VERSION,
    runId: uuid(r),
    tileId: [0, Number.MAX_SAFE_INTEGER, randInt(r, 1, 1e6)][randInt(r, 0, 2)]!,
    workerId: `worker-${hex(r, 6)}`,
    attempt: randInt(r, 1, 5),
    ...(kind === 0 ? { output: randomSlice(r) } : {}),
    ...(kind === 0 && r() < 0.3 ? { extraOutputs: Array.from({ length: randInt(r, 1, 3) }, () => randomSlice(r)) } : {}),
    ...(kind === 1 ? { outputRef: `tiles/${uuid(r)}/out` } : {}),
    ...(kind === 2 ? { error: { code: r() < 0.5 ? 'KERNEL_FAILED' : 'BAD_MODEL', message: r() < 0.2 ? '' : `layer ${randInt(r, 0, 9)}: ✗ failed` } } : {}),
    timings: { queueMs: r() < 0.3 ? 0 : r() * 100, computeMs: r() * 1e4, codecMs: r() < 0.1 ? Number.MAX_VALUE : r() },
  };
}

/** `v` with every Float32Array replaced by the hex of its bytes, so deep equality is bit equality (NaN payloads, −0). */
export function bitwise(v: unknown): unknown {
  if (v instanceof Float32Array) return `f32:${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (Array.isArray(v)) return v.map(bitwise);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bitwise(x)]));
  return v;
}

export function expectBitEqual(actual: unknown, expected: unknown, what = ''): void {
  expect(bitwise(actual), what).to.deep.equal(bitwise(expected));
}

/** Expects `f` to throw TesseraError `code` whose message matches every pattern. */
export function expectCode(f: () => unknown, code: string, ...text: RegExp[]): void {
  try {
    f();
  } catch (e) {
    expect(isTesseraError(e), String(e)).to.equal(true);
    expect((e as { code: string }).code, (e as Error).message).to.equal(code);
    for (const t of text) expect((e as Error).message).to.match(t);
    return;
  }
  expect.fail(`expected a TesseraError ${code}`);
}
