import { TesseraError } from '@tessera/tensor';
import type { ModelBuilder, Node } from '@tessera/nn';
import type { Constant } from './constants.js';
import type { OnnxAttribute, OnnxNode } from './proto.js';

/**
 * A value of the ONNX graph during import: a Tessera node, or a constant.
 * `shape` is the ONNX (logical) shape; it differs from the node's own shape
 * only after a view (Flatten, Reshape, Squeeze): same data, same order.
 */
export type Value =
  | { readonly kind: 'node'; readonly node: Node; readonly shape: readonly number[] }
  | { readonly kind: 'const'; readonly value: Constant; readonly shape: readonly number[] };

/** What an operator handler sees: the node, its attributes, the graph's values. */
export class ImportContext {
  readonly values = new Map<string, Value>();
  /** Nodes a handler absorbed (a BatchNormalization folded into its Conv): skipped by the walk. */
  readonly absorbed = new Set<OnnxNode>();
  /** Graph outputs that are a Transpose of their value: the permutation to apply to Tessera's result (ops/transpose.ts). */
  readonly outputPermutation = new Map<string, readonly number[]>();

  constructor(
    readonly builder: ModelBuilder,
    readonly opset: number,
    /** Readers of each value (graph outputs count as a reader). */
    readonly readers: ReadonlyMap<string, readonly OnnxNode[]>,
    readonly graphOutputs: ReadonlySet<string>,
  ) {}

  /** The node's name for messages: its name, else op type and first output. */
  static label(n: OnnxNode): string {
    return `node '${n.name || n.output?.[0] || '?'}' (${n.op_type})`;
  }

  error(n: OnnxNode, msg: string, details: Record<string, unknown> = {}): TesseraError {
    return new TesseraError('BAD_MODEL', `${ImportContext.label(n)}: ${msg}`, { node: n.name, op: n.op_type, ...details });
  }

  attrs(n: OnnxNode): Attrs {
    return new Attrs(this, n);
  }

  /** Input `i` of `n`, or undefined when it is absent or the empty name (an omitted optional input). */
  input(n: OnnxNode, i: number): Value | undefined {
    const name = n.input?.[i];
    if (!name) return undefined;
    const v = this.values.get(name);
    if (!v) throw this.error(n, `input ${i} '${name}' is not produced by any node, initializer or graph input`, { input: name });
    return v;
  }

  required(n: OnnxNode, i: number): Value {
    const v = this.input(n, i);
    if (!v) throw this.error(n, `input ${i} is required`);
    return v;
  }

  /** A tensor input: a Tessera node (constants are folded by the handlers that take them). */
  tensor(n: OnnxNode, i: number): Value & { kind: 'node' } {
    const v = this.required(n, i);
    if (v.kind !== 'node') throw this.error(n, `input ${i} '${n.input![i]}' is a constant; an op on constants only is not supported here`, { input: n.input![i] });
    return v;
  }

  /** A constant input (weights, shapes, clip bounds). */
  constant(n: OnnxNode, i: number, what: string): Constant | undefined {
    const v = this.input(n, i);
    if (!v) return undefined;
    if (v.kind !== 'const') throw this.error(n, `${what} (input ${i} '${n.input![i]}') must be an initializer or constant, it is computed at run time`, { input: n.input![i] });
    return v.value;
  }

  /** Binds output `i` of `n`. */
  set(n: OnnxNode, v: Value, i = 0): void {
    const name = n.output?.[i];
    if (name) this.values.set(name, v);
  }

  nodeValue(node: Node, shape: readonly number[] = node.shape): Value {
    return { kind: 'node', node, shape };
  }

  /** The one node that reads `value`, when it is the only reader and not a graph output. */
  soleReader(value: string): OnnxNode | undefined {
    if (this.graphOutputs.has(value)) return undefined;
    const rs = this.readers.get(value) ?? [];
    return rs.length === 1 ? rs[0] : undefined;
  }
}

/** Attribute access with the node named in every error. */
export class Attrs {
  private readonly byName = new Map<string, OnnxAttribute>();
  constructor(private readonly ctx: ImportContext, private readonly node: OnnxNode) {
    for (const a of node.attribute ?? []) this.byName.set(a.name, a);
  }

  has(name: string): boolean { return this.byName.has(name); }

  int(name: string, dflt: number): number {
    const a = this.byName.get(name);
    if (!a) return dflt;
    if (a.i === undefined) throw this.bad(name, 'must be an int');
    return Number(a.i);
  }

  float(name: string, dflt: number): number {
    const a = this.byName.get(name);
    if (!a) return dflt;
    if (a.f === undefined) throw this.bad(name, 'must be a float');
    return a.f;
  }

  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map(Number) : undefined;
  }

  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? [...(a.floats ?? [])] : undefined;
  }

  string(name: string, dflt: string): string {
    const a = this.byName.get(name);
    if (!a) return dflt;
    if (!a.s) throw this.bad(name, 'must be a string');
    return Buffer.from(a.s).toString('utf8');
  }

  bad(name: string, msg: string, details: Record<string, unknown> = {}): TesseraError {
    return this.ctx.error(this.node, `attribute ${name} ${msg}`, { attribute: name, ...details });
  }
}
