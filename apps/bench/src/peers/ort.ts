import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';

type Ort = typeof import('onnxruntime-node');
let loading: Promise<Ort> | undefined;

/** onnxruntime-node, loaded on first use (its native library is large). */
export function loadOrt(): Promise<Ort> {
  loading ??= import('onnxruntime-node');
  return loading;
}

/**
 * One ONNX model on onnxruntime-node's CPU execution provider with
 * `threads` intra-op threads (inter-op 1, sequential, no spin-waiting): the
 * native peer at the same thread count as Tessera's pool.
 */
export class OrtModel {
  private last: OrtTensor | undefined;
  private constructor(private readonly session: InferenceSession, private readonly feed: Record<string, OrtTensor>, private readonly outName: string) {}

  static async create(model: Uint8Array, threads: number, input: { name: string; data: Float32Array; dims: readonly number[] }, outName: string): Promise<OrtModel> {
    const ort = await loadOrt();
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', executionProviders: ['cpu'],
      // Idle pool threads would otherwise spin after each run and steal the cores of the peer timed next.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new OrtModel(session, { [input.name]: new ort.Tensor('float32', input.data, [...input.dims]) }, outName);
  }

  async run(): Promise<void> {
    const res = await this.session.run(this.feed);
    this.last?.dispose();
    this.last = res[this.outName];
  }

  output(): Float32Array {
    if (!this.last) throw new Error('ORT model has not run');
    return this.last.data as Float32Array;
  }

  async close(): Promise<void> {
    this.last?.dispose();
    await this.session.release();
  }
}
