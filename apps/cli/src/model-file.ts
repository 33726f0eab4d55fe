import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Model } from '@tessera/nn';
import { ModelProtoType, importOnnx, toOnnxLayout, type OnnxImport } from '@tessera/onnx';
import { TesseraError, type Shape, type Tensor } from '@tessera/tensor';
import { decodeModelFile } from '@tessera/wire';
import { usageError } from './args.js';

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

export interface LoadOptions {
  /** The whole input shape (fixes every dynamic dimension of an ONNX model). */
  readonly inputShape?: Shape;
  /** Height and width only: with the graph's declared batch and channels (a dynamic batch is 1). */
  readonly size?: readonly [number, number];
  /** The flag that sizes the input, for the error when the height or width is dynamic and not given. */
  readonly hint?: string;
}

/**
 * Reads a model. An ONNX model's dynamic dimensions come from `inputShape`,
 * or from its declared input with a dynamic batch taken as 1 and `size` for
 * the height and width. Every error is a TesseraError naming the file (the
 * loaders add the node or field).
 */
export async function loadModelFile(path: string, o: LoadOptions = {}): Promise<LoadedModel> {
  const format = modelFormat(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TesseraError('BAD_MODEL', `${path}: cannot read the model file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { path }, { cause: e });
  }
  if (format === 'tsm') return { path, format, model: decodeModelFile(bytes, {}, path) };
  const inputShape = o.inputShape ?? resolveInput(path, declaredInput(bytes), o);
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

/** The graph input's name and dimensions (undefined where dynamic); undefined when the bytes do not decode (the loader says why). */
function declaredInput(bytes: Uint8Array): { name: string; dims: (number | undefined)[] } | undefined {
  interface Dim { dim_value?: number; dim_param?: string }
  interface Graph { input?: { name?: string; type?: { tensor_type?: { shape?: { dim?: Dim[] } } } }[]; initializer?: { name?: string }[] }
  let graph: Graph | undefined;
  try {
    graph = (ModelProtoType.toObject(ModelProtoType.decode(bytes), { longs: Number, arrays: true }) as { graph?: Graph }).graph;
  } catch {
    return undefined;
  }
  // Older exporters list initializers among the graph inputs: the data input is the one that is not.
  const inits = new Set((graph?.initializer ?? []).map((t) => t.name));
  const input = (graph?.input ?? []).find((i) => !inits.has(i.name));
  const dims = input?.type?.tensor_type?.shape?.dim;
  if (!input || !dims) return undefined;
  return { name: input.name ?? '', dims: dims.map((d) => (d.dim_value && d.dim_value > 0 ? d.dim_value : undefined)) };
}

/** [N, C, H, W] from the declared input, a batch of 1 and `size`; undefined when nothing is dynamic and no size is asked. */
function resolveInput(path: string, declared: ReturnType<typeof declaredInput>, o: LoadOptions): Shape | undefined {
  if (!declared || declared.dims.length !== 4) return undefined;
  const [n, c, h, w] = declared.dims;
  if (!o.size && h !== undefined && w !== undefined && n !== undefined && c !== undefined) return undefined;
  const height = o.size?.[0] ?? h, width = o.size?.[1] ?? w;
  if (height === undefined || width === undefined) {
    throw usageError(`${path}: input '${declared.name}' has a dynamic ${height === undefined ? 'height' : 'width'}; give ${o.hint ?? 'the input shape'}`, { path, input: declared.name });
  }
  // Channels come from the graph: a model that leaves them open takes a picture's 3.
  return [n ?? 1, c ?? 3, height, width];
}
