import { Worker } from 'node:worker_threads';
import { TesseraError, checkInt, engineModule, type EngineOptions, type ErrorCode } from '@tessera/tensor';
import type { AnalysisOptions, Face, StageTimes } from './analyze-photo.js';
import type { RgbImage } from './image.js';

export interface PhotoWorkerData { analysis: AnalysisOptions; engineModule: object; engine?: EngineOptions }

/** What the main thread asks a photo worker. */
export interface PhotoRequest { id: number; path: string; keepImage: boolean; describe: boolean }

/** A photo worker's answer: ready once its nets are loaded, then one reply per request. */
export type PhotoReply =
  | { ready: true }
  | { id: number; faces: Face[]; times: StageTimes; width: number; height: number; image?: { width: number; height: number; rgb: Uint8Array } }
  | { id: number; error: { code?: ErrorCode; message: string; details: Record<string, unknown> } };

export interface PhotoResult { faces: Face[]; times: StageTimes; width: number; height: number; image?: RgbImage }

interface Task { id: number; path: string; keepImage: boolean; describe: boolean; resolve(r: PhotoResult): void; reject(e: Error): void }
interface Slot { worker: Worker; ready: boolean; task?: Task }

const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(`./photo-worker${fromSource ? '.ts' : '.js'}`, import.meta.url);

/**
 * The worker's start-up script. Run from TypeScript source (tests, bench), a worker needs tsx's loader:
 * the one the process was started with (--import=tsx, found from the working folder) does not reach a
 * plain worker's imports on Node 20, so the worker registers it, found the same way, before its first import.
 */
const bootstrap = fromSource
  ? `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(workerUrl.href)}); })`
  : `import(${JSON.stringify(workerUrl.href)})`;

/**
 * Worker threads that each analyse whole photos (decode → detect →
 * landmarks → describe) from a file path, so many photos keep every core on
 * net work and the main thread only hands out paths. Photos go to whichever
 * worker is free, one at a time, so none waits behind a slow photo while a
 * worker idles. A worker that dies fails only its photo (WORKER_LOST) and is
 * replaced; one that dies before loading its nets breaks the pool
 * (UNAVAILABLE), as every replacement would too.
 */
export class PhotoPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;
  private broken: Error | undefined;

  constructor(readonly threads: number, private readonly opts: AnalysisOptions, private readonly engine?: EngineOptions) {
    checkInt('photo workers', threads, 1);
    for (let i = 0; i < threads; i++) this.slots.push(this.spawn());
  }

  /** The faces of one photo file; a bad file rejects with the worker's TesseraError (BAD_IMAGE naming it). */
  analyze(path: string, keepImage = false, describe = true): Promise<PhotoResult> {
    if (this.closed) return Promise.reject(new TesseraError('ABORTED', `${path}: the photo pool is closed`, { path }));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, path, keepImage, describe, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gone = new TesseraError('ABORTED', 'the photo pool was closed');
    for (const t of this.queue.splice(0)) t.reject(gone);
    for (const s of this.slots) { s.task?.reject(gone); s.task = undefined; }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    // The kernel engine is compiled once per process: workers get the compiled module.
    const workerData: PhotoWorkerData = { analysis: this.opts, engineModule: engineModule(), engine: this.engine };
    const slot: Slot = { worker: new Worker(bootstrap, { eval: true, workerData }), ready: false };
    slot.worker.on('message', (m: PhotoReply) => this.reply(slot, m));
    slot.worker.on('error', (e) => this.lost(slot, e));
    slot.worker.on('exit', (code) => this.lost(slot, new Error(`exited with code ${code}`)));
    return slot;
  }

  private reply(slot: Slot, m: PhotoReply): void {
    if ('ready' in m) { slot.ready = true; return; }
    const t = slot.task;
    if (!t || t.id !== m.id) return;
    slot.task = undefined;
    if ('error' in m) {
      const e = m.error;
      // The same error as the main thread would have raised, so every backend reports a photo alike.
      t.reject(e.code ? new TesseraError(e.code, e.message, e.details) : new Error(e.message));
    } else {
      t.resolve({ faces: m.faces, times: m.times, width: m.width, height: m.height, image: m.image && { path: t.path, ...m.image } });
    }
    this.dispatch();
  }

  /** A worker errored or exited (after 'error' comes 'exit': only the first counts). */
  private lost(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed) return;
    const t = slot.task;
    slot.task = undefined;
    if (!slot.ready) {
      // It never loaded its nets: a replacement would fail the same way, forever. Stop them all.
      this.broken = new TesseraError('UNAVAILABLE', `a face worker failed to start: ${e.message}`, {}, { cause: e });
      for (const q of this.queue.splice(0)) q.reject(this.broken);
      for (const s of this.slots.splice(0)) { s.task?.reject(this.broken); s.task = undefined; void s.worker.terminate(); }
      t?.reject(this.broken);
      return;
    }
    this.slots[i] = this.spawn();
    void slot.worker.terminate();
    t?.reject(new TesseraError('WORKER_LOST', `${t.path}: the face worker analysing it stopped (${e.message})`, { path: t.path }, { cause: e }));
    this.dispatch();
  }

  private dispatch(): void {
    for (const s of this.slots) {
      if (this.queue.length === 0) return;
      if (s.task) continue;
      const t = this.queue.shift()!;
      s.task = t;
      s.worker.postMessage({ id: t.id, path: t.path, keepImage: t.keepImage, describe: t.describe } satisfies PhotoRequest);
    }
  }
}
