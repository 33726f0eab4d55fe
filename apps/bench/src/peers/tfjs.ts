import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tf = typeof TfCore;
export type TfBackend = 'cpu' | 'wasm';

let loading: Promise<Tf> | undefined;

/**
 * TensorFlow.js with its cpu and wasm backends registered in one engine
 * (loaded on first use only). Inputs are created on the backend that runs
 * them, so switching backends between peers moves no data.
 */
export function loadTf(): Promise<Tf> {
  loading ??= (async () => {
    // tfjs-core suggests installing tfjs-node on its first op in Node; we compare with cpu and wasm on purpose.
    const warn = console.warn;
    console.warn = (...args: unknown[]) => { if (!String(args[0]).includes('tfjs-node')) warn(...args); };
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // The wasm binaries sit in the package's dist folder; in Node they are read from a file URL.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${pathToFileURL(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')).href}/`);
    return tf;
  })();
  return loading;
}

/** Selects (and on first use initialises) a backend; throws naming it when it cannot start. */
export async function useBackend(backend: TfBackend): Promise<Tf> {
  const tf = await loadTf();
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tfjs backend '${backend}' failed to initialise`);
  await tf.ready();
  return tf;
}

/** Whether the wasm backend runs its SIMD build (recorded with the results). */
export async function wasmSimd(): Promise<boolean> {
  const tf = await useBackend('wasm');
  return Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
}
