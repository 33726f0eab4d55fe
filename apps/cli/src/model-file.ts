import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Model } from '@tessera/nn';
import { importOnnx, toOnnxLayout, type OnnxImport } from '@tessera/onnx';
import { TesseraError, type Shape, type Tensor } from '@tessera/tensor';
import { decodeModelFile } from '@tessera/wire';

/** A model file as the CLI loaded it. */
export interface LoadedModel {
  readonly path: string;
  readonly format: 'onnx' | 'tsm';
  readonly model: Model;
  /** The ONNX bytes (onnxruntime-node runs the same file in `bench`) and what the graph says of its ends. */
  readonly onnx?: { readonly bytes: Uint8Array; readonly imp: OnnxImport };
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
  return { path, format, model: imp.model, onnx: { bytes, imp } };
}

/**
 * Each output as the ONNX graph has it (shape and layout: what onnxruntime
 * gives and what the user's own code expects); a .tsm model's as they are.
 */
export function graphOutputs(loaded: LoadedModel, results: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  const imp = loaded.onnx?.imp;
  if (!imp) return { ...results };
  return Object.fromEntries(Object.entries(results).map(([name, y]) => {
    const o = imp.outputs.find((x) => x.name === name);
    if (!o) throw new TesseraError('BAD_MODEL', `${loaded.path}: the model has no ONNX output '${name}'`, { path: loaded.path, output: name });
    return [name, toOnnxLayout({ ...imp, outputShape: o.shape, outputPermutation: o.permutation }, y)];
  }));
}
