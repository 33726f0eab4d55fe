/**
 * The wire schema. proto/tessera_wire.proto is the file other tools read; this
 * module embeds the same text (test/schema.test.ts keeps them equal) so the
 * schema ships inside dist without a copy step, and names the field numbers
 * the codecs (tensor-codec.ts, model-codec.ts, the tile-*-codec.ts) write.
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

// A named model input and the shape the model was built for.
message ModelInput {
  string name = 1;
  repeated uint32 shape = 2;
}

// A named model output: the layer whose feature map is returned under name.
message ModelOutput {
  string name = 1;
  uint32 layer = 2;
}

// format_version 1: one output, the layer in output (named "output").
// format_version 2: outputs lists every output, in order (at least one);
// output repeats the first one's layer; inputs lists every input (layers
// read input k as -1 - k), input_shape repeats the first one's shape; no
// inputs means one named "input". A one-input, one-output model with the
// default names is written as version 1, so its bytes (and digests) are what they were
// and older readers still load it; a reader of version 1 only refuses a
// version-2 model by its version instead of dropping outputs.
message Model {
  uint32 format_version = 1;
  string id = 2;
  string name = 3;
  repeated uint32 input_shape = 4;
  uint32 output = 5;  // index of the (first) output layer
  repeated Layer layers = 6;
  repeated ModelOutput outputs = 7;  // format_version 2
  repeated ModelInput inputs = 8;  // format_version 2
}

// ---- Tile protocol (src/tile-types.ts): the cluster's messages. ----
// Decoders accept only version = 1 (TILE_PROTOCOL_VERSION) and check every
// field (see src/field-checks.ts) before allocating anything.

// A half-open box of an NCHW feature map, Region in @tessera/tensor:
// [n0, n1) x [c0, c1) x [y0, y1) x [x0, x1); rank-2 [N, C] maps use y, x = [0, 1).
message Region {
  uint32 n0 = 1;
  uint32 n1 = 2;
  uint32 c0 = 3;
  uint32 c1 = 4;
  uint32 y0 = 5;
  uint32 y1 = 6;
  uint32 x0 = 7;
  uint32 x1 = 8;
}

// Exactly region of a float32 feature map of logical shape shape (rank 4 or 2):
// data holds regionVolume(region) little-endian float32, row-major over the region.
message TileSlice {
  sint32 source = 1;  // layer index whose output this is; -1 - k = model input k
  repeated uint32 shape = 2;
  Region region = 3;
  bytes data = 4;
}

// Slices too big for one message, kept in the cluster's object store.
message TileSlices {
  repeated TileSlice slices = 1;
}

// One task of a plan stage: compute regions[i] of layers[i], in order.
message TileTask {
  uint32 version = 1;
  string run_id = 2;
  uint64 tile_id = 3;
  uint32 stage = 4;
  string model_id = 5;
  string model_version = 6;  // lower-case hex digest of the encoded Model
  repeated uint32 input_shape = 7;
  repeated uint32 layers = 8;
  repeated Region regions = 9;  // one per layer
  repeated TileSlice inputs = 10;
  string inputs_ref = 11;  // set: inputs is empty and a TileSlices is in the object store under this name
  uint32 attempt = 12;  // 1 on first send
  // Layers of this task, besides its last, whose regions the result carries
  // too (model outputs computed inside a task), in task order, distinct.
  repeated uint32 extra_outputs = 13;
  // The numeric mode every tile of the run is computed in ("exact" or "fma";
  // empty: exact). A worker whose engine runs another mode refuses the task
  // (error ENGINE_MISMATCH): one run never mixes modes.
  string engine_mode = 14;
  // The shapes of the model's inputs after the first (input_shape), for a
  // model with several inputs; slices of input k have source -1 - k.
  repeated InputShape more_input_shapes = 15;
}

message InputShape {
  repeated uint32 dims = 1;
}

message TileTimings {
  double queue_ms = 1;
  double compute_ms = 2;
  double codec_ms = 3;
}

message TileError {
  string code = 1;  // a TesseraError code, e.g. KERNEL_FAILED
  string message = 2;
}

// A worker's answer to one TileTask.
message TileResult {
  uint32 version = 1;
  string run_id = 2;
  uint64 tile_id = 3;
  string worker_id = 4;
  uint32 attempt = 5;
  oneof outcome {
    TileSlice output = 6;
    string output_ref = 7;  // a TileSlices holding the output, then the extra outputs, is in the object store under this name
    TileError error = 8;
  }
  TileTimings timings = 9;
  // With output: the regions of the task's extra_outputs, in that order.
  repeated TileSlice extra_outputs = 10;
  // The engine that computed the tile, e.g. "native avx512 exact", "wasm exact".
  string engine = 11;
}
`.slice(1);

/**
 * Version of the Model message layout (Model.format_version): 2 when the
 * model has several inputs or outputs, or names them (the inputs and outputs
 * fields), else 1.
 */
export const MODEL_FORMAT_VERSION = 2;
/** The versions decodeModel reads. */
export const MODEL_FORMAT_VERSIONS: readonly number[] = [1, 2];

/** DType enum values. */
export const DType = { DTYPE_UNSPECIFIED: 0, FLOAT32: 1 } as const;
export type DType = (typeof DType)[keyof typeof DType];

/** Field numbers, one object per message, named as in WIRE_PROTO. */
export const TENSOR_FIELDS = { dtype: 1, shape: 2, data: 3 } as const;
export const NAMED_TENSOR_FIELDS = { name: 1, tensor: 2 } as const;
export const LAYER_FIELDS = { name: 1, op: 2, spec_json: 3, inputs: 4, weights: 5 } as const;
export const MODEL_FIELDS = { format_version: 1, id: 2, name: 3, input_shape: 4, output: 5, layers: 6, outputs: 7, inputs: 8 } as const;
export const MODEL_INPUT_FIELDS = { name: 1, shape: 2 } as const;
export const MODEL_OUTPUT_FIELDS = { name: 1, layer: 2 } as const;

/** Tile protocol field numbers. */
export const REGION_FIELDS = { n0: 1, n1: 2, c0: 3, c1: 4, y0: 5, y1: 6, x0: 7, x1: 8 } as const;
export const TILE_SLICE_FIELDS = { source: 1, shape: 2, region: 3, data: 4 } as const;
export const TILE_SLICES_FIELDS = { slices: 1 } as const;
export const TILE_TASK_FIELDS = {
  version: 1, run_id: 2, tile_id: 3, stage: 4, model_id: 5, model_version: 6,
  input_shape: 7, layers: 8, regions: 9, inputs: 10, inputs_ref: 11, attempt: 12, extra_outputs: 13, engine_mode: 14, more_input_shapes: 15,
} as const;
export const INPUT_SHAPE_FIELDS = { dims: 1 } as const;
export const TILE_TIMINGS_FIELDS = { queue_ms: 1, compute_ms: 2, codec_ms: 3 } as const;
export const TILE_ERROR_FIELDS = { code: 1, message: 2 } as const;
export const TILE_RESULT_FIELDS = {
  version: 1, run_id: 2, tile_id: 3, worker_id: 4, attempt: 5, output: 6, output_ref: 7, error: 8, timings: 9, extra_outputs: 10, engine: 11,
} as const;

