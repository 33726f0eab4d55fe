import { ModelProtoType as ModelProto } from '@tessera/onnx';

/**
 * One-node ONNX models written in memory with @tessera/onnx's ModelProto
 * (ONNX's own onnx.proto subset, official field numbers), so onnxruntime-node
 * can run a single layer with exactly the weights Tessera uses. No .onnx file
 * on disk, no Python.
 */

/** AttributeProto.AttributeType values used here. */
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;
const FLOAT = 1; // TensorProto.DataType.FLOAT

export type OnnxAttr = number | string | readonly number[] | { readonly float: number };

export interface OnnxNode {
  readonly opType: string;
  /** Graph input name first, then initializer names, as the op's inputs. */
  readonly inputs: readonly string[];
  readonly attributes?: Readonly<Record<string, OnnxAttr>>;
}

export interface OnnxGraphSpec {
  readonly name: string;
  readonly input: { readonly name: string; readonly dims: readonly number[] };
  readonly output: { readonly name: string; readonly dims: readonly number[] };
  readonly node: OnnxNode;
  /** Constant tensors (weights), float32, row-major in the layout the op expects. */
  readonly initializers?: ReadonlyArray<{ readonly name: string; readonly dims: readonly number[]; readonly data: Float32Array }>;
  /** ai.onnx opset (default 17). */
  readonly opset?: number;
}

function attribute(name: string, v: OnnxAttr): Record<string, unknown> {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`ONNX attribute ${name}: integer expected, got ${v} (use { float } for floats)`);
    return { name, type: ATTR.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: [...v] };
  return { name, type: ATTR.FLOAT, f: (v as { float: number }).float };
}

const valueInfo = (name: string, dims: readonly number[]): Record<string, unknown> => ({
  name,
  type: { tensor_type: { elem_type: FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } },
});

/** Serialises a one-node ModelProto (IR version 8). */
export function onnxModel(spec: OnnxGraphSpec): Uint8Array {
  const msg = {
    ir_version: 8,
    producer_name: 'tessera-bench',
    opset_import: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: spec.name,
      node: [{
        input: [...spec.node.inputs], output: [spec.output.name], name: `${spec.node.opType}_0`, op_type: spec.node.opType,
        attribute: Object.entries(spec.node.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      }],
      initializer: (spec.initializers ?? []).map((t) => ({
        name: t.name, dims: [...t.dims], data_type: FLOAT,
        // raw_data: little-endian float32, what every ONNX writer emits for large tensors.
        raw_data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      input: [valueInfo(spec.input.name, spec.input.dims)],
      output: [valueInfo(spec.output.name, spec.output.dims)],
    },
  };
  const err = ModelProto.verify(msg);
  if (err) throw new Error(`ONNX model '${spec.name}' is malformed: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}
