import { Tensor, TesseraError, fmtShape } from '@tessera/tensor';
import type { OnnxImport } from './load.js';

/**
 * A model result in the ONNX graph's output shape and layout: Tessera's
 * output (same data, possibly kept as [N, C, 1, 1]) read as the ONNX shape,
 * transposed by the import's outputPermutation when it has one. A copy,
 * contiguous.
 */
export function toOnnxLayout(imp: OnnxImport, result: Tensor): Tensor {
  const want = imp.outputShape;
  const count = want.reduce((a, b) => a * b, 1);
  if (result.size !== count) {
    throw new TesseraError('SHAPE_MISMATCH', `result ${fmtShape(result.shape)} has ${result.size} elements; the ONNX output ${fmtShape(want)} has ${count}`, { result: result.shape, onnx: want });
  }
  const data = Float32Array.from(result.toFloat32Array());
  const perm = imp.outputPermutation;
  if (!perm) return Tensor.from(data, [...want]);
  // The untransposed logical shape, then a strided view with the axes permuted, copied out in ONNX order.
  const before = new Array<number>(perm.length);
  perm.forEach((p, i) => (before[p] = want[i]!));
  const strides = before.map((_, i) => before.slice(i + 1).reduce((a, b) => a * b, 1));
  const view = new Tensor(data, [...want], perm.map((p) => strides[p]!));
  return Tensor.from(Float32Array.from(view.toFloat32Array()), [...want]);
}
