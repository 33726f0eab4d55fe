import { expect } from 'chai';
import { rng } from '@tessera/tensor';
import {
  decodeTileResult, decodeTileSlices, decodeTileTask, encodeTileResult, encodeTileSlices, encodeTileTask,
  type WireLimits,
} from '../src/index.js';
import { mutate, plantHugeLength, randomBytes, survives } from './fuzz-helpers.js';
import { bitwise, randomResult, randomSlice, randomTask } from './tile-fixtures.js';
import { pb, pbEncode, pbResult, pbTask, type PbObject } from './tile-pb.js';

/** Small limits so that any check done after an allocation instead of before would show. */
const LIMITS: Partial<WireLimits> = { maxTensorBytes: 1 << 20, maxTileBytes: 1 << 20, maxStringBytes: 256, maxSlices: 16 };
const CASES = 4000;

interface Target {
  name: string;
  decode: (b: Uint8Array) => unknown;
  /** Encodes a decoded value again: whatever decodes must encode (the checks agree). */
  encode: (v: never) => Uint8Array;
  seeds: (r: () => number) => Uint8Array[];
  /** A valid message as protobufjs plain data, with random field values planted (structure-aware fuzzing). */
  structured: (r: () => number) => PbObject;
}

/** Random protobuf-typed values for a field: edges of each integer type, odd strings, odd doubles. */
function wild(r: () => number): unknown {
  const pool: unknown[] = [0, 1, -1, 2, 3, 0xffffffff, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, '', 'x', 'A'.repeat(300), 'ab'.repeat(32), 'KERNEL_FAILED',
    NaN, -0, Infinity, -1e300, [], [0], [1, 1, 1, 1], [2 ** 20, 2 ** 20], [1, 2, 3], {}, { n1: 1, c1: 1, y1: 1, x1: 1 }];
  return pool[Math.floor(r() * pool.length)];
}

/** `o` with one random (possibly nested) field replaced by a wild value or dropped. */
function plant(o: PbObject, r: () => number, depth = 0): PbObject {
  const keys = Object.keys(o);
  if (keys.length === 0) return o;
  const k = keys[Math.floor(r() * keys.length)]!;
  const v = o[k];
  const out = { ...o };
  if (depth < 3 && Array.isArray(v) && v.length && typeof v[0] === 'object' && !(v[0] instanceof Uint8Array) && r() < 0.6) {
    const i = Math.floor(r() * v.length);
    out[k] = v.map((x, j) => (j === i ? plant(x as PbObject, r, depth + 1) : x));
  } else if (depth < 3 && v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && r() < 0.6) {
    out[k] = plant(v as PbObject, r, depth + 1);
  } else if (r() < 0.15) {
    delete out[k];
  } else {
    out[k] = wild(r);
  }
  return out;
}

/** protobufjs' bytes for `o`, or undefined where a planted value does not fit the field's type. */
function tryEncode(type: Parameters<typeof pbEncode>[0], o: PbObject): Uint8Array | undefined {
  try {
    return pbEncode(type, o);
  } catch {
    return undefined;
  }
}

const fits = (decode: (b: Uint8Array) => unknown) => (b: Uint8Array): boolean => survives(() => decode(b), 'seed', 'BAD_MESSAGE');

const TARGETS: Target[] = [
  {
    name: 'decodeTileTask',
    decode: (b) => decodeTileTask(b, LIMITS),
    encode: encodeTileTask,
    seeds: (r) => Array.from({ length: 60 }, () => encodeTileTask(randomTask(r))).filter(fits((b) => decodeTileTask(b, LIMITS))).slice(0, 12),
    structured: (r) => pbTask(randomTask(r)),
  },
  {
    name: 'decodeTileResult',
    decode: (b) => decodeTileResult(b, LIMITS),
    encode: encodeTileResult,
    seeds: (r) => Array.from({ length: 12 }, () => encodeTileResult(randomResult(r))),
    structured: (r) => pbResult(randomResult(r)),
  },
  {
    name: 'decodeTileSlices',
    decode: (b) => decodeTileSlices(b, LIMITS),
    encode: encodeTileSlices,
    seeds: (r) => Array.from({ length: 12 }, (_, i) => encodeTileSlices(Array.from({ length: i % 4 }, () => randomSlice(r)))),
    structured: (r) => ({ slices: [randomSlice(r), randomSlice(r)].map((s) => ({ source: s.source, shape: [...s.shape], region: { ...s.region }, data: new Uint8Array(s.data.buffer) })) }),
  },
];

const PB_TYPE = { decodeTileTask: pb.TileTask, decodeTileResult: pb.TileResult, decodeTileSlices: pb.TileSlices } as const;

describe('fuzzing the tile decoders', () => {
  for (const [ti, t] of TARGETS.entries()) {
    it(`${t.name}: ${CASES} random, truncated, bit-flipped, mutated, huge-length and structurally odd messages give a value or BAD_MESSAGE`, () => {
      const r = rng(7000 + ti);
      const seeds = t.seeds(r);
      expect(seeds.length, 'valid seeds').to.be.at.least(8);
      for (const s of seeds) expect(survives(() => t.decode(s), `${t.name} seed`)).to.equal(true);
      const ab0 = process.memoryUsage().arrayBuffers;
      const start = performance.now();
      let ok = 0, slowest = 0;
      const check = (bytes: Uint8Array, what: string) => {
        const t0 = performance.now();
        let value: unknown;
        if (survives(() => { value = t.decode(bytes); }, what, 'BAD_MESSAGE')) {
          ok++;
          // What decodes encodes again, to bytes that decode to the same value.
          expect(bitwise(t.decode(t.encode(value as never))), what).to.deep.equal(bitwise(value));
        }
        slowest = Math.max(slowest, performance.now() - t0);
      };
      for (let i = 0; i < CASES; i++) {
        const seed = seeds[i % seeds.length]!;
        const kind = i % 6;
        if (kind === 0) check(randomBytes(r, 160), `${t.name} random ${i}`);
        else if (kind === 1) check(seed.subarray(0, Math.floor(r() * seed.length)), `${t.name} truncated ${i}`);
        else if (kind === 2) {
          const b = seed.slice();
          for (let k = 1 + Math.floor(r() * 3); k > 0; k--) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
          check(b, `${t.name} bit-flipped ${i}`);
        } else if (kind === 3) check(mutate(seed, r), `${t.name} mutated ${i}`);
        else if (kind === 4) check(plantHugeLength(seed, r), `${t.name} huge length ${i}`);
        else {
          const bytes = tryEncode(PB_TYPE[t.name as keyof typeof PB_TYPE], plant(plant(t.structured(r), r), r));
          if (bytes) check(bytes, `${t.name} structured ${i}`);
        }
      }
      expect(ok, 'some mutations still decode').to.be.above(0);
      expect(ok, 'most mutations are caught').to.be.below(CASES);
      // No clock bounds (they fail on a slower or busier machine): a decoder that hangs or loops
      // is caught by the test timeout, one that over-allocates by the memory bound below.
      console.log(`      slowest decode ${slowest.toFixed(1)} ms, whole loop ${(performance.now() - start).toFixed(0)} ms`);
      expect(process.memoryUsage().arrayBuffers - ab0).to.be.below(64 << 20);
    });
  }

  it('every prefix of a valid message decodes or is BAD_MESSAGE', () => {
    const r = rng(7100);
    const messages: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
      ['task', encodeTileTask({ ...randomTask(r), regions: [{ n0: 0, n1: 1, c0: 0, c1: 1, y0: 0, y1: 1, x0: 0, x1: 1 }], layers: [1] }), (b) => decodeTileTask(b, LIMITS)],
      ['result', encodeTileResult(randomResult(r)), (b) => decodeTileResult(b, LIMITS)],
      ['slices', encodeTileSlices([randomSlice(r), randomSlice(r)]), (b) => decodeTileSlices(b, LIMITS)],
    ];
    for (const [name, bytes, decode] of messages) {
      for (let n = 0; n < bytes.length; n++) survives(() => decode(bytes.subarray(0, n)), `${name} prefix ${n}`, 'BAD_MESSAGE');
    }
  });
});
