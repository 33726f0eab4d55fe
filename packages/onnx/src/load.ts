import { readFile } from 'node:fs/promises';
import { ModelBuilder, type Model } from '@tessera/nn';
import { TesseraError, checkKeys, checkShape, isTesseraError, type Shape } from '@tessera/tensor';
import { constantOf } from './constants.js';
import { ImportContext } from './context.js';
import { OP_HANDLERS } from './ops/index.js';
import { attributeProblems } from './ops/attributes.js';
import { decodeModelProto, type OnnxGraph, type OnnxModel, type OnnxNode } from './proto.js';

export interface LoadOnnxOptions {
  /** The input shape [N, C, H, W]; required where the model's input has dynamic (named or 0) dimensions. */
  inputShape?: Shape;
  /** A graph with several inputs: the shape of each (by input name) that has dynamic dimensions. */
  inputShapes?: Readonly<Record<string, Shape>>;
  /** Model name (default: the graph's name). */
  name?: string;
}

/** A graph output: the model output of the same name, and its ONNX shape and layout. */
export interface OnnxOutput {
  readonly name: string;
  /** The ONNX shape (see OnnxImport.outputShape). */
  readonly shape: readonly number[];
  /** ONNX Transpose perm of a graph-end layout change; absent when none. */
  readonly permutation?: readonly number[];
}

/** A loaded model and what the ONNX graph says about its ends. */
export interface OnnxImport {
  /** One model output per graph output, named as in the graph, in the graph's order (runAll returns them by those names). */
  readonly model: Model;
  /** The first graph input; inputNames lists all (the model's inputs have the same names, in that order). */
  readonly inputName: string;
  readonly inputNames: readonly string[];
  /** Every graph output in order; outputName, outputShape and outputPermutation describe the first. */
  readonly outputs: readonly OnnxOutput[];
  readonly outputName: string;
  /**
   * The ONNX output shape. The Tessera output holds the same data in the
   * same order (it may keep a flattened view's [N, C, 1, 1]) unless
   * `outputPermutation` is set: then the ONNX output is that transpose of it
   * (apply it with toOnnxLayout).
   */
  readonly outputShape: readonly number[];
  /** ONNX Transpose perm of a graph-end layout change (e.g. [0, 2, 3, 1]: NCHW → NHWC); absent when none. */
  readonly outputPermutation?: readonly number[];
  /** ai.onnx opset the model was written for. */
  readonly opset: number;
}

const OPTION_KEYS = ['inputShape', 'inputShapes', 'name'];
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/** Reads an ONNX model from bytes or a file path as a Tessera Model. */
export async function loadOnnx(source: Uint8Array | string, opts: LoadOnnxOptions = {}): Promise<Model> {
  return (await loadOnnxImport(source, opts)).model;
}

export async function loadOnnxImport(source: Uint8Array | string, opts: LoadOnnxOptions = {}): Promise<OnnxImport> {
  if (typeof source === 'string') {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw new TesseraError('BAD_MODEL', `${source}: cannot read the ONNX file (${(e as Error).message})`, { source }, { cause: e });
    }
    return importOnnx(bytes, opts, source);
  }
  return importOnnx(source, opts);
}

/**
 * ModelProto bytes → Model. Every problem is a TesseraError BAD_MODEL (or
 * SHAPE_MISMATCH for an input shape that does not fit) naming `source` and,
 * where there is one, the node, its op and the attribute.
 */
export function importOnnx(bytes: Uint8Array, opts: LoadOnnxOptions = {}, source = 'ONNX model bytes'): OnnxImport {
  checkKeys('loadOnnx options', opts, OPTION_KEYS);
  const proto = decodeModelProto(bytes, source);
  try {
    return convert(proto, opts);
  } catch (e) {
    if (isTesseraError(e) && !e.message.startsWith(source)) throw new TesseraError(e.code, `${source}: ${e.message}`, { source, ...e.details }, { cause: e });
    throw e;
  }
}

function opsetOf(model: OnnxModel): number {
  const entry = (model.opset_import ?? []).find((o) => DEFAULT_DOMAINS.has(o.domain ?? ''));
  const v = Number(entry?.version ?? 0);
  if (v < MIN_OPSET || v > MAX_OPSET) {
    throw new TesseraError('BAD_MODEL', `ai.onnx opset ${v || 'missing'} is not supported (opsets ${MIN_OPSET} to ${MAX_OPSET})`, { opset: v });
  }
  return v;
}

/**
 * One error for everything Tessera cannot run, found before any graph work:
 * every unsupported operator type (count, node names) and every node of a
 * supported type with an attribute value Tessera does not have (e.g. a Conv
 * auto_pad it does not know, a Resize cubic mode), with the opset.
 */
function checkSupported(nodes: readonly OnnxNode[], opset: number): void {
  const missing = new Map<string, string[]>();
  const badAttrs = new Map<string, Array<{ node: string; problems: string[] }>>();
  for (const n of nodes) {
    const domain = n.domain ?? '';
    const key = DEFAULT_DOMAINS.has(domain) ? n.op_type ?? '' : `${domain}.${n.op_type}`;
    const name = n.name || n.output?.[0] || '?';
    if (DEFAULT_DOMAINS.has(domain) && OP_HANDLERS[key]) {
      const problems = attributeProblems(n, opset);
      if (problems.length) badAttrs.set(key, [...(badAttrs.get(key) ?? []), { node: name, problems }]);
      continue;
    }
    missing.set(key, [...(missing.get(key) ?? []), name]);
  }
  if (missing.size === 0 && badAttrs.size === 0) return;
  const some = <T>(xs: readonly T[], f: (x: T) => string): string => `${xs.slice(0, 5).map(f).join(', ')}${xs.length > 5 ? `, … ${xs.length - 5} more` : ''}`;
  const total = [...missing.values()].reduce((s, v) => s + v.length, 0);
  const attrTotal = [...badAttrs.values()].reduce((s, v) => s + v.length, 0);
  const parts: string[] = [];
  if (total) {
    const list = [...missing].map(([op, names]) => `${op} ×${names.length} (${some(names, (x) => `'${x}'`)})`);
    parts.push(`${total} node${total === 1 ? '' : 's'} of ${missing.size} operator type${missing.size === 1 ? '' : 's'} Tessera does not support (opset ${opset}): ${list.join('; ')}`);
  }
  if (attrTotal) {
    const list = [...badAttrs].map(([op, bad]) => `${op} ×${bad.length} (${some(bad, (b) => `'${b.node}': ${b.problems.join(', ')}`)})`);
    parts.push(`${attrTotal} node${attrTotal === 1 ? '' : 's'} with attribute values Tessera does not support${total ? '' : ` (opset ${opset})`}: ${list.join('; ')}`);
  }
  throw new TesseraError('BAD_MODEL', parts.join('; and '), {
    opset,
    unsupported: Object.fromEntries([...missing].map(([op, names]) => [op, { count: names.length, nodes: names }])),
    unsupportedAttributes: Object.fromEntries([...badAttrs].map(([op, bad]) => [op, { count: bad.length, nodes: bad }])),
  });
}

/** Nodes in an order where every input is produced first; a cycle or a dangling input is BAD_MODEL. */
function topoSort(g: OnnxGraph, known: ReadonlySet<string>): OnnxNode[] {
  const nodes = g.node ?? [];
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => { if (o) producer.set(o, i); }));
  const state = new Uint8Array(nodes.length); // 0 new, 1 on the stack, 2 done
  const order: OnnxNode[] = [];
  const visit = (root: number): void => {
    // Iterative DFS: a deep chain must not overflow the JS stack.
    const stack: Array<[number, number]> = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const n = nodes[top[0]]!;
      const inputs = n.input ?? [];
      if (top[1] < inputs.length) {
        const name = inputs[top[1]++]!;
        if (!name || known.has(name)) continue;
        const p = producer.get(name);
        if (p === undefined) throw new TesseraError('BAD_MODEL', `${ImportContext.label(n)}: input '${name}' is not produced by any node, initializer or graph input`, { node: n.name, input: name });
        if (state[p] === 1) throw new TesseraError('BAD_MODEL', `the graph has a cycle through ${ImportContext.label(nodes[p]!)}`, { node: nodes[p]!.name });
        if (state[p] === 0) { state[p] = 1; stack.push([p, 0]); }
        continue;
      }
      state[top[0]] = 2;
      order.push(n);
      stack.pop();
    }
  };
  // Nodes without inputs (Constant) first: a handler that looks ahead along a chain (hardSwishChain) finds
  // the later nodes' constant operands already bound.
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0 && !(nodes[i]!.input ?? []).some((x) => x)) visit(i);
  for (let i = 0; i < nodes.length; i++) if (state[i] === 0) visit(i);
  return order;
}

function inputShapeOf(g: OnnxGraph, name: string, given: Shape | undefined): Shape {
  const info = (g.input ?? []).find((i) => i.name === name);
  const dims = info?.type?.tensor_type?.shape?.dim;
  if (given !== undefined) {
    checkShape(given, 'loadOnnx inputShape');
    if (dims && dims.length !== given.length) {
      throw new TesseraError('SHAPE_MISMATCH', `inputShape [${given.join(', ')}] has rank ${given.length}; input '${name}' has rank ${dims.length}`, { inputShape: given });
    }
    dims?.forEach((d, i) => {
      const fixed = Number(d.dim_value ?? 0);
      if (fixed > 0 && fixed !== given[i]) {
        throw new TesseraError('SHAPE_MISMATCH', `inputShape [${given.join(', ')}] does not fit input '${name}': dimension ${i} is fixed at ${fixed}`, { inputShape: given, dim: i });
      }
    });
    return [...given];
  }
  if (!dims) throw new TesseraError('BAD_MODEL', `input '${name}' has no shape in the graph; pass inputShape`, { input: name });
  return dims.map((d, i) => {
    const v = Number(d.dim_value ?? 0);
    if (v > 0) return v;
    throw new TesseraError('BAD_MODEL', `input '${name}' dimension ${i} is dynamic (${d.dim_param || '?'}); pass inputShape`, { input: name, dim: i });
  });
}

function convert(proto: OnnxModel, opts: LoadOnnxOptions): OnnxImport {
  const opset = opsetOf(proto);
  const g = proto.graph!;
  const nodes = g.node ?? [];
  checkSupported(nodes, opset);
  const initializers = g.initializer ?? [];
  const initNames = new Set(initializers.map((t) => t.name ?? ''));
  const inputNames = (g.input ?? []).filter((i) => !initNames.has(i.name ?? '')).map((i) => i.name ?? '');
  if (inputNames.length === 0) throw new TesseraError('BAD_MODEL', 'the graph has 0 inputs', { inputs: [] });
  const outputNames = (g.output ?? []).map((o) => o.name ?? '');
  if (outputNames.length === 0) throw new TesseraError('BAD_MODEL', 'the graph has no outputs', { outputs: [] });
  const twice = outputNames.find((o, i) => outputNames.indexOf(o) !== i);
  if (twice !== undefined) throw new TesseraError('BAD_MODEL', `the graph lists output '${twice}' twice`, { output: twice });
  if (inputNames.length > 1 && opts.inputShape !== undefined) {
    throw new TesseraError('BAD_ARGUMENT', `the graph has ${inputNames.length} inputs (${inputNames.map((n) => `'${n}'`).join(', ')}): give their shapes as inputShapes by name`, { inputs: inputNames });
  }
  if (opts.inputShapes !== undefined) checkKeys('loadOnnx inputShapes', opts.inputShapes, inputNames);
  const inputName = inputNames[0]!;
  const shapes = inputNames.map((n) => inputShapeOf(g, n, inputNames.length === 1 ? opts.inputShape ?? opts.inputShapes?.[n] : opts.inputShapes?.[n]));
  const inputShape = shapes[0]!;

  const order = topoSort(g, new Set([...inputNames, ...initNames]));
  const readers = new Map<string, OnnxNode[]>();
  for (const n of order) for (const i of n.input ?? []) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);

  const builder = new ModelBuilder(opts.name ?? (g.name || 'onnx'), inputShape, { inputName });
  const ctx = new ImportContext(builder, opset, readers, new Set(outputNames));
  for (const t of initializers) {
    const value = constantOf(t, 'initializer');
    ctx.values.set(t.name ?? '', { kind: 'const', value, shape: value.shape });
  }
  ctx.values.set(inputName, ctx.nodeValue(builder.input, inputShape));
  inputNames.slice(1).forEach((n, k) => ctx.values.set(n, ctx.nodeValue(builder.addInput(n, shapes[k + 1]!), shapes[k + 1]!)));
  for (const n of order) {
    if (ctx.absorbed.has(n)) continue;
    try {
      OP_HANDLERS[n.op_type!]!(n, ctx);
    } catch (e) {
      // Shape errors from the builder get the ONNX node named too.
      if (isTesseraError(e) && e.details.node === undefined) throw new TesseraError(e.code, `${ImportContext.label(n)}: ${e.message}`, { ...e.details, node: n.name, op: n.op_type }, { cause: e });
      throw e;
    }
  }
  const ends = outputNames.map((outputName) => {
    const out = ctx.values.get(outputName);
    if (!out) throw new TesseraError('BAD_MODEL', `graph output '${outputName}' is not produced by any node`, { output: outputName });
    if (out.kind !== 'node' || builder.size === 0 || out.node.id < 0) {
      throw new TesseraError('BAD_MODEL', `graph output '${outputName}' is ${out.kind === 'const' ? 'a constant' : 'the graph input'}; it must be computed by a layer`, { output: outputName });
    }
    const perm = ctx.outputPermutation.get(outputName);
    const info: OnnxOutput = { name: outputName, shape: perm ? perm.map((p) => out.shape[p]!) : out.shape, ...(perm ? { permutation: perm } : {}) };
    return { node: out.node, info };
  });
  const model = builder.build(Object.fromEntries(ends.map((e) => [e.info.name, e.node])));
  const first = ends[0]!.info;
  return {
    model, inputName, inputNames, outputs: ends.map((e) => e.info), outputName: first.name, outputShape: first.shape,
    ...(first.permutation ? { outputPermutation: first.permutation } : {}), opset,
  };
}
