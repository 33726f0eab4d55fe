import { parentPort, workerData } from 'node:worker_threads';
import { LocalExecutor } from '@tessera/nn';
import { isTesseraError, useEngineModule, warmUpEngine } from '@tessera/tensor';
import { analyzePhoto, loadFaceNets, type AnalysisOptions, type StageTimes } from './analyze-photo.js';
import { decodeImage } from './image.js';
import type { PhotoReply, PhotoRequest, PhotoWorkerData } from './photo-pool.js';

/**
 * One photo worker of PhotoPool: takes a file path, decodes it, runs the
 * whole pipeline on its own LocalExecutor (the same kernels and code as the
 * local backend, so the same bits) and answers with the faces. Whole photos
 * per worker keep the main thread idle: decoding and preprocessing are done
 * here, next to the nets.
 */
const data = workerData as PhotoWorkerData;
const opts: AnalysisOptions = data.analysis;
useEngineModule(data.engineModule);
const nets = loadFaceNets(opts);
// Kernels' first calls run on V8's baseline tier and are never upgraded mid-call: warm them before the first photo.
warmUpEngine();
const exec = new LocalExecutor({ engine: data.engine });
const port = parentPort!;

port.on('message', (req: PhotoRequest) => {
  void (async (): Promise<PhotoReply> => {
    try {
      const img = await decodeImage(req.path);
      const times: StageTimes = {};
      const faces = await analyzePhoto(nets, (m, x) => exec.run(m, x), img, opts, times, req.describe);
      return { id: req.id, faces, times, width: img.width, height: img.height, image: req.keepImage ? { width: img.width, height: img.height, rgb: img.rgb } : undefined };
    } catch (e) {
      return { id: req.id, error: { code: isTesseraError(e) ? e.code : undefined, message: e instanceof Error ? e.message : String(e), details: isTesseraError(e) ? { ...e.details } : {} } };
    }
  })().then((reply) => {
    try {
      port.postMessage(reply);
    } catch (e) {
      // An error's details that cannot be cloned: the code and message still go back.
      if (!('error' in reply)) throw e;
      port.postMessage({ ...reply, error: { ...reply.error, details: {} } });
    }
  });
});
port.postMessage({ ready: true } satisfies PhotoReply);
