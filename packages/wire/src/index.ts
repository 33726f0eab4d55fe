export {
  WIRE_PROTO, MODEL_FORMAT_VERSION, MODEL_FORMAT_VERSIONS, DType, TENSOR_FIELDS, NAMED_TENSOR_FIELDS, LAYER_FIELDS, MODEL_FIELDS, MODEL_OUTPUT_FIELDS, MODEL_INPUT_FIELDS,
  REGION_FIELDS, TILE_SLICE_FIELDS, TILE_SLICES_FIELDS, TILE_TASK_FIELDS, TILE_TIMINGS_FIELDS, TILE_ERROR_FIELDS, TILE_RESULT_FIELDS,
} from './schema.js';
export { DEFAULT_LIMITS, resolveLimits, type WireLimits } from './limits.js';
export { ProtoReader, ProtoWriter, WireFormatError, WireType } from './proto-io.js';
export { encodeTensor, decodeTensor, type DecodeTensorOptions } from './tensor-codec.js';
export { encodeModel, decodeModel } from './model-codec.js';
export { encodeSpecParams, decodeSpec } from './spec-json.js';
export {
  encodeModelFile, decodeModelFile, saveModel, loadModel, TSM_MAGIC, TSM_VERSION, TSM_HEADER_BYTES,
} from './model-file.js';
export {
  TILE_PROTOCOL_VERSION, type TileSlice, type TileTask, type TileResult, type TileTimings, type TileError,
} from './tile-types.js';
export { encodeTileSlices, decodeTileSlices } from './tile-slice-codec.js';
export { encodeTileTask, decodeTileTask } from './tile-task-codec.js';
export { encodeTileResult, decodeTileResult, MAX_ERROR_MESSAGE_CHARS } from './tile-result-codec.js';
