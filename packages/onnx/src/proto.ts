import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { TesseraError } from '@tessera/tensor';

/*
 * ONNX's own onnx.proto (the subset in ../proto/onnx.proto, official field
 * numbers), parsed at run time by protobufjs: no generated code to keep in
 * step, no network, and the same file from src/ (tests) and dist/.
 */
const root = protobuf.parse(readFileSync(new URL('../proto/onnx.proto', import.meta.url), 'utf8'), { keepCase: true }).root;

/** The ModelProto message type, for decoding here and for writing models in tests. */
export const ModelProtoType: protobuf.Type = root.lookupType('onnx.ModelProto');

export interface OnnxTensor {
  name?: string;
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  raw_data?: Uint8Array;
  data_location?: number;
  external_data?: Array<{ key?: string; value?: string }>;
}

export interface OnnxAttribute {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: OnnxAttribute[];
}

export interface OnnxDim { dim_value?: number; dim_param?: string }

export interface OnnxValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: OnnxDim[] } } };
}

export interface OnnxGraph {
  name?: string;
  node?: OnnxNode[];
  initializer?: OnnxTensor[];
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
  value_info?: OnnxValueInfo[];
}

export interface OnnxModel {
  ir_version?: number;
  opset_import?: Array<{ domain?: string; version?: number }>;
  producer_name?: string;
  graph?: OnnxGraph;
}

/** Decodes ModelProto bytes; int64 fields become numbers. Any decoding failure is BAD_MODEL naming `source`. */
export function decodeModelProto(bytes: Uint8Array, source: string): OnnxModel {
  let msg: protobuf.Message;
  try {
    msg = ModelProtoType.decode(bytes);
  } catch (e) {
    throw new TesseraError('BAD_MODEL', `${source}: not a readable ONNX ModelProto (${(e as Error).message})`, { source }, { cause: e });
  }
  const model = ModelProtoType.toObject(msg, { longs: Number, enums: Number, arrays: true }) as OnnxModel;
  if (!model.graph) throw new TesseraError('BAD_MODEL', `${source}: the ONNX ModelProto has no graph`, { source });
  return model;
}
