import { ModelProtoType } from '../src/index.js';

/*
 * Writes small ONNX models in memory with protobufjs and the package's own
 * onnx.proto, as apps/bench does for its one-node peers, but for graphs of
 * any number of nodes and with every initializer encoding the importer reads.
 */

export type Attr = number | string | readonly number[] | { readonly f: number } | { readonly floats: readonly number[] } | { readonly t: Init };

export interface TNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs?: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, Attr>>;
}

export interface Init {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | readonly number[];
  /** float (default for Float32Array) or int64 (default for number[]); float16/bfloat16 round the values to those types (nearest even). */
  readonly type?: 'float' | 'int64' | 'int32' | 'float16' | 'bfloat16';
  /** raw_data (default) or the typed field. */
  readonly encoding?: 'raw' | 'typed';
  readonly external?: boolean;
}

export interface TInput { readonly name: string; readonly dims: ReadonlyArray<number | string> }

export interface TGraph {
  readonly name?: string;
  /** The graph input, or several in order. */
  readonly input: TInput | readonly TInput[];
  /** The graph output, or several in order. */
  readonly output: string | readonly string[];
  readonly nodes: readonly TNode[];
  readonly inits?: readonly Init[];
  readonly opset?: number;
}

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;
const DTYPE = { float: 1, int32: 6, int64: 7, float16: 10, bfloat16: 16 } as const;

/** The binary16 bits of v rounded to nearest even (via float32; the values tests use are float32). */
export function halfBits(v: number): number {
  const f = new Float32Array([v]), u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000, e = (u >>> 23) & 0xff, m = u & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const he = e - 127 + 15;
  if (he >= 31) return sign | 0x7c00;
  if (he <= 0) {
    if (he < -10) return sign;
    const mm = m | 0x800000, shift = 14 - he;
    let h = mm >>> shift;
    const rest = mm & ((1 << shift) - 1), half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (he << 10) | (m >>> 13);
  const rest = m & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** The bfloat16 bits of v rounded to nearest even (NaN kept a NaN). */
export function bfloat16Bits(v: number): number {
  const u = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  if (Number.isNaN(v)) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

function tensorProto(t: Init): Record<string, unknown> {
  const type = t.type ?? (t.data instanceof Float32Array ? 'float' : 'int64');
  const base: Record<string, unknown> = { name: t.name, dims: [...t.dims], data_type: DTYPE[type] };
  if (t.external) return { ...base, data_location: 1, external_data: [{ key: 'location', value: 'weights.bin' }] };
  const values = Array.from(t.data);
  if (type === 'float16' || type === 'bfloat16') {
    const bits = values.map(type === 'float16' ? halfBits : bfloat16Bits);
    if ((t.encoding ?? 'raw') === 'typed') return { ...base, int32_data: bits };
    const raw = new Uint8Array(bits.length * 2);
    bits.forEach((b, i) => new DataView(raw.buffer).setUint16(i * 2, b, true));
    return { ...base, raw_data: raw };
  }
  if ((t.encoding ?? 'raw') === 'typed') {
    return { ...base, [type === 'float' ? 'float_data' : type === 'int32' ? 'int32_data' : 'int64_data']: values };
  }
  const size = type === 'int64' ? 8 : 4;
  const raw = new Uint8Array(values.length * size);
  const dv = new DataView(raw.buffer);
  values.forEach((v, i) => {
    if (type === 'float') dv.setFloat32(i * 4, v, true);
    else if (type === 'int32') dv.setInt32(i * 4, v, true);
    else dv.setBigInt64(i * 8, BigInt(v), true);
  });
  return { ...base, raw_data: raw };
}

function attribute(name: string, v: Attr): Record<string, unknown> {
  if (typeof v === 'number') return { name, type: ATTR.INT, i: v };
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: [...v] };
  if ('f' in v) return { name, type: ATTR.FLOAT, f: v.f };
  if ('floats' in v) return { name, type: ATTR.FLOATS, floats: [...v.floats] };
  return { name, type: ATTR.TENSOR, t: tensorProto((v as { t: Init }).t) };
}

/** ModelProto bytes for `g` (IR version 8). */
export function onnxBytes(g: TGraph): Uint8Array {
  const msg = {
    ir_version: 8,
    producer_name: 'tessera-onnx-test',
    opset_import: [{ domain: '', version: g.opset ?? 17 }],
    graph: {
      name: g.name ?? 'test',
      node: g.nodes.map((n, i) => ({
        input: [...n.inputs], output: [...(n.outputs ?? [`${n.name ?? `${n.op}_${i}`}_out`])], name: n.name ?? `${n.op}_${i}`, op_type: n.op,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (g.inits ?? []).map(tensorProto),
      input: (Array.isArray(g.input) ? g.input as readonly TInput[] : [g.input as TInput]).map((i) => ({
        name: i.name,
        type: { tensor_type: { elem_type: 1, shape: { dim: i.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
      })),
      output: (typeof g.output === 'string' ? [g.output] : g.output).map((name) => ({ name, type: { tensor_type: { elem_type: 1 } } })),
    },
  };
  const err = ModelProtoType.verify(msg);
  if (err) throw new Error(`test ONNX model is malformed: ${err}`);
  return ModelProtoType.encode(ModelProtoType.fromObject(msg)).finish();
}

/** Output name of node `i` when the test did not name it (what onnxBytes writes). */
export function out(n: TNode, i: number): string {
  return `${n.name ?? `${n.op}_${i}`}_out`;
}
