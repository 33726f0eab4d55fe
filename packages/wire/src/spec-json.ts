import type { OpSpec } from '@tessera/tensor';
import { WireFormatError } from './proto-io.js';

/**
 * Layer specs travel as JSON (see the Layer comment in WIRE_PROTO for why):
 * the spec without `op`, which has its own field. Numbers JSON cannot hold
 * (-0, ±Infinity, NaN — e.g. a pad value of -Infinity before a max-pool) are
 * tagged as {"$number": "-Infinity"} so a round trip is exact.
 */
const TAG = '$number';
const SPECIAL: Readonly<Record<string, number>> = { '-0': -0, Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN };

export function encodeSpecParams(spec: OpSpec): string {
  const { op: _op, ...params } = spec as OpSpec & Record<string, unknown>;
  return JSON.stringify(params, (_k, v: unknown) => {
    if (typeof v !== 'number' || (Number.isFinite(v) && !Object.is(v, -0))) return v;
    return { [TAG]: Object.is(v, -0) ? '-0' : String(v) };
  });
}

/** Parses a layer's spec JSON; the op's own checks (run when the Model is rebuilt) validate the values. */
export function decodeSpec(op: string, json: string, maxSpecBytes: number): OpSpec {
  if (json.length > maxSpecBytes) throw new WireFormatError(`spec JSON has ${json.length} characters, more than maxSpecBytes ${maxSpecBytes}`);
  let params: unknown;
  try {
    params = JSON.parse(json === '' ? '{}' : json, (_k, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === TAG) {
          const s = (v as Record<string, unknown>)[TAG];
          if (typeof s === 'string' && Object.prototype.hasOwnProperty.call(SPECIAL, s)) return SPECIAL[s];
          throw new WireFormatError(`bad ${TAG} value ${JSON.stringify(s)}`);
        }
        if (keys.includes('__proto__')) throw new WireFormatError('spec JSON has a __proto__ key');
      }
      return v;
    });
  } catch (e) {
    if (e instanceof WireFormatError) throw e;
    throw new WireFormatError(`spec JSON does not parse: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new WireFormatError(`spec JSON must be an object, got ${json.slice(0, 80)}`);
  }
  if (Object.prototype.hasOwnProperty.call(params, 'op')) throw new WireFormatError('spec JSON must not repeat "op" (it has its own field)');
  return deepFreeze({ op, ...params }) as unknown as OpSpec;
}

function deepFreeze<T>(v: T, depth = 0): T {
  if (depth > 32) throw new WireFormatError('spec JSON is nested more than 32 levels deep');
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x, depth + 1);
    Object.freeze(v);
  }
  return v;
}
