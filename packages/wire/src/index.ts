export { WIRE_PROTO, MODEL_FORMAT_VERSION, DType, TENSOR_FIELDS, NAMED_TENSOR_FIELDS, LAYER_FIELDS, MODEL_FIELDS } from './schema.js';
export { DEFAULT_LIMITS, resolveLimits, type WireLimits } from './limits.js';
export { ProtoReader, ProtoWriter, WireFormatError, WireType } from './proto-io.js';
export { encodeTensor, decodeTensor, type DecodeTensorOptions } from './tensor-codec.js';
export { encodeModel, decodeModel } from './model-codec.js';
export { encodeSpecParams, decodeSpec } from './spec-json.js';
export {
  encodeModelFile, decodeModelFile, saveModel, loadModel, TSM_MAGIC, TSM_VERSION, TSM_HEADER_BYTES,
} from './model-file.js';
