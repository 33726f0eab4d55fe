/**
 * The wire schema. proto/tessera_wire.proto is the file other tools read; this
 * module embeds the same text (test/schema.test.ts keeps them equal) so the
 * schema ships inside dist without a copy step, and names the field numbers
 * the codecs (proto-io.ts, tensor-codec.ts, model-codec.ts) write.
 */
export const WIRE_PROTO = `
// Tessera wire formats (package @tessera/wire). Proto3, little-endian float32 data.
// src/schema.ts embeds this text verbatim (test/schema.test.ts checks they agree).
syntax = "proto3";

package tessera.wire.v1;

enum DType {
  DTYPE_UNSPECIFIED = 0;
  FLOAT32 = 1;
}

// A dense row-major tensor: data holds product(shape) elements of dtype.
message Tensor {
  DType dtype = 1;
  repeated uint32 shape = 2;
  bytes data = 3;
}

message NamedTensor {
  string name = 1;
  Tensor tensor = 2;
}

// One layer of a model DAG in topological order.
// spec_json: the op's parameters (the OpSpec without "op") as a JSON object.
// JSON rather than one message per op: the op vocabulary lives in
// @tessera/tensor and grows there; every op already validates its spec in
// outputShape, and decoding rebuilds the Model, which runs that validation,
// so typed messages would duplicate every spec type without adding safety.
// Numbers JSON cannot hold (-0, Infinity, -Infinity, NaN) are written as
// {"$number": "-Infinity"}.
message Layer {
  string name = 1;
  string op = 2;
  string spec_json = 3;
  repeated sint32 inputs = 4;  // -1 = the model input, else an earlier layer index
  repeated NamedTensor weights = 5;
}

message Model {
  uint32 format_version = 1;
  string id = 2;
  string name = 3;
  repeated uint32 input_shape = 4;
  uint32 output = 5;  // index of the output layer
  repeated Layer layers = 6;
}
`.slice(1);

/** Version of the Model message layout (Model.format_version). */
export const MODEL_FORMAT_VERSION = 1;

/** DType enum values. */
export const DType = { DTYPE_UNSPECIFIED: 0, FLOAT32: 1 } as const;
export type DType = (typeof DType)[keyof typeof DType];

/** Field numbers, one object per message, named as in WIRE_PROTO. */
export const TENSOR_FIELDS = { dtype: 1, shape: 2, data: 3 } as const;
export const NAMED_TENSOR_FIELDS = { name: 1, tensor: 2 } as const;
export const LAYER_FIELDS = { name: 1, op: 2, spec_json: 3, inputs: 4, weights: 5 } as const;
export const MODEL_FIELDS = { format_version: 1, id: 2, name: 3, input_shape: 4, output: 5, layers: 6 } as const;
