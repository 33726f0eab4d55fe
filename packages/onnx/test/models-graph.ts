import { randomTensor, rng } from '@tessera/tensor';
import { onnxBytes, type Attr, type Init, type TNode } from './onnx-writer.js';

/**
 * Writes model graphs layer by layer for the whole-model tests: each call
 * adds a node (and its random weights, scaled by fan-in so activations keep
 * their size through deep stacks) and returns the name of its output.
 */
export class GraphWriter {
  readonly nodes: TNode[] = [];
  readonly inits: Init[] = [];
  private seed: number;
  private n = 0;

  constructor(seed = 1) { this.seed = seed; }

  weight(dims: number[], bound: number, name = `w${this.n++}`): string {
    this.inits.push({ name, dims, data: randomTensor(dims, this.seed++, -bound, bound).toFloat32Array() });
    return name;
  }

  ints(values: number[], name = `i${this.n++}`): string {
    this.inits.push({ name, dims: [values.length], data: values });
    return name;
  }

  scalar(v: number, name = `s${this.n++}`): string {
    this.inits.push({ name, dims: [], data: Float32Array.of(v) });
    return name;
  }

  floats(values: number[], name = `f${this.n++}`): string {
    this.inits.push({ name, dims: [values.length], data: Float32Array.from(values) });
    return name;
  }

  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}, name = `${op}_${this.n++}`): string {
    const out = `${name}:out`;
    this.nodes.push({ op, name, inputs, outputs: [out], attrs });
    return out;
  }

  conv(x: string, cin: number, cout: number, k: number, o: { stride?: number; pad?: number; group?: number; bias?: boolean; dilation?: number } = {}): string {
    const group = o.group ?? 1, pad = o.pad ?? Math.floor(k / 2), stride = o.stride ?? 1, dilation = o.dilation ?? 1;
    const fanIn = (cin / group) * k * k;
    const w = this.weight([cout, cin / group, k, k], Math.sqrt(3 / fanIn));
    const inputs = [x, w, ...(o.bias ? [this.weight([cout], 0.2)] : [])];
    return this.op('Conv', inputs, { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], group, dilations: [dilation, dilation] });
  }

  /** BatchNormalization with random running statistics (folded into the conv before it on import). */
  bn(x: string, c: number): string {
    const r = rng(this.seed++);
    const vec = (f: () => number): string => this.floats(Array.from({ length: c }, f));
    return this.op('BatchNormalization', [x, vec(() => 0.6 + 0.8 * r()), vec(() => 0.4 * r() - 0.2), vec(() => 0.4 * r() - 0.2), vec(() => 0.5 + r())], { epsilon: { f: 1e-5 } });
  }

  relu(x: string): string { return this.op('Relu', [x]); }

  relu6(x: string): string { return this.op('Clip', [x, this.scalar(0), this.scalar(6)]); }

  /** ModelProto bytes with graph input 'x' and the given output(s), renamed 'y' (one) or by the record's keys (several). */
  bytes(inputDims: ReadonlyArray<number | string>, output: string | Readonly<Record<string, string>>, name: string, opset = 13): Uint8Array {
    const names = typeof output === 'string' ? { y: output } : output;
    const rename = new Map(Object.entries(names).map(([to, from]) => [from, to]));
    const nodes = this.nodes.map((n) => ({
      ...n, inputs: n.inputs.map((i) => rename.get(i) ?? i), outputs: n.outputs?.map((o) => rename.get(o) ?? o),
    }));
    return onnxBytes({ name, input: { name: 'x', dims: inputDims }, output: Object.keys(names), nodes, inits: this.inits, opset });
  }
}
