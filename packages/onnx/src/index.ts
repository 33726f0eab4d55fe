export { loadOnnx, loadOnnxImport, importOnnx, MIN_OPSET, MAX_OPSET, type LoadOnnxOptions, type OnnxImport } from './load.js';
export { OP_HANDLERS } from './ops/index.js';
export { toOnnxLayout } from './output.js';
export { ModelProtoType } from './proto.js';
