import { Worker } from 'node:worker_threads';

/** A decoded photo (RGB, 8 bit), shared by every runtime of the face suite. */
export interface Img { name: string; width: number; height: number; rgb: Uint8Array }
export interface FaceOut { box: { x: number; y: number; width: number; height: number }; landmarks: number[]; descriptor: Float32Array }
export type Stage = 'detect' | 'landmarks' | 'describe';
export const STAGES: readonly Stage[] = ['detect', 'landmarks', 'describe'];
export interface Analysis { times: Record<Stage, number>; faces: FaceOut[] }
/** face-api's two face detectors: tiny face detector at 416, SSD MobileNet v1 (both at score 0.5). */
export type FaceDetector = 'tiny' | 'ssd';
export type FaceApiRequest = { cmd: 'analyze'; image: number; detector: FaceDetector } | { cmd: 'describe1' } | { cmd: 'close' };
export interface FaceApiWorkerData { backend: 'cpu' | 'wasm'; images: Img[]; crop150: Uint8Array }

/**
 * face-api (@vladmandic/face-api on TensorFlow.js) in its own worker thread,
 * one per tfjs backend (one engine switching backends would move every
 * weight on each switch). Stage times are taken inside the worker, so
 * messaging is not counted.
 */
export class FaceApiRuntime {
  info: { backend: string; simd?: boolean; tfjs: string } = { backend: '?', tfjs: '?' };
  private constructor(readonly name: string, private readonly worker: Worker) {}

  static async start(backend: 'cpu' | 'wasm', images: Img[], crop150: Uint8Array): Promise<FaceApiRuntime> {
    const file = new URL(`./face-api-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
    // A worker does not get tsx's hooks from --import=tsx: when running from source, register them before importing the worker file.
    const entry = import.meta.url.endsWith('.ts')
      ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(file)}); })`
      : `import(${JSON.stringify(file)})`;
    const data: FaceApiWorkerData = { backend, images, crop150 };
    const w = new Worker(entry, { eval: true, workerData: data });
    const rt = new FaceApiRuntime(`face-api tfjs-${backend}`, w);
    const first = (await rt.next()) as { ready: FaceApiRuntime['info'] };
    rt.info = first.ready;
    if (rt.info.backend !== backend) throw new Error(`face-api worker runs on ${rt.info.backend}, not ${backend}`);
    return rt;
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: unknown): void => { this.worker.off('error', onErr); resolve(m); };
      const onErr = (e: unknown): void => { this.worker.off('message', onMsg); reject(e); };
      this.worker.once('message', onMsg);
      this.worker.once('error', onErr);
    });
  }

  private async call<T>(req: FaceApiRequest): Promise<T> {
    const p = this.next();
    this.worker.postMessage(req);
    const m = (await p) as { ok?: T; error?: string };
    if (m.error !== undefined) throw new Error(`${this.name}: ${m.error}`);
    return m.ok!;
  }

  /** detectAllFaces → landmarks → descriptors on one photo, each stage timed in the worker. */
  analyze(image: number, detector: FaceDetector): Promise<Analysis> { return this.call({ cmd: 'analyze', image, detector }); }
  /** The recognition net alone on one aligned 150² face. */
  describe1(): Promise<{ ms: number; descriptor: Float32Array }> { return this.call({ cmd: 'describe1' }); }
  async close(): Promise<void> {
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage({ cmd: 'close' });
    await exited;
  }
}
