import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Model } from '@tessera/nn';
import { importOnnx } from '@tessera/onnx';
import { TesseraError, type Shape } from '@tessera/tensor';
import { decodeModelFile } from '@tessera/wire';

/** A model file as the CLI loaded it. */
export interface LoadedModel {
  readonly path: string;
  readonly format: 'onnx' | 'tsm';
  readonly model: Model;
  /** The ONNX bytes and graph ends (onnxruntime-node runs the same file in `bench`). */
  readonly onnx?: { readonly bytes: Uint8Array; readonly inputName: string; readonly outputName: string; readonly outputShape: readonly number[]; readonly opset: number };
}

/** By extension: .onnx (ModelProto) or .tsm (Tessera's own file). */
export function modelFormat(path: string): 'onnx' | 'tsm' {
  const ext = extname(path).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.tsm') return 'tsm';
  throw new TesseraError('BAD_ARGUMENT', `${path}: a model file must end in .onnx or .tsm, got '${ext || 'no extension'}'`, { path });
}

/**
 * Reads a model; `inputShape` resolves an ONNX model's dynamic dimensions.
 * Every error is a TesseraError naming the file (the loaders add the node or field).
 */
export async function loadModelFile(path: string, inputShape?: Shape): Promise<LoadedModel> {
  const format = modelFormat(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TesseraError('BAD_MODEL', `${path}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path }, { cause: e });
  }
  if (format === 'tsm') return { path, format, model: decodeModelFile(bytes, {}, path) };
  const imp = importOnnx(bytes, inputShape ? { inputShape } : {}, path);
  return {
    path, format, model: imp.model,
    onnx: { bytes, inputName: imp.inputName, outputName: imp.outputName, outputShape: imp.outputShape, opset: imp.opset },
  };
}
