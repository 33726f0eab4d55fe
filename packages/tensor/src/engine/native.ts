import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { engineKernelsId, type KernelExports } from './wasm.js';

/*
 * The optional native engine (packages/native): the same kernel sources as
 * the wasm module, built as a Node-API addon per instruction set. It is
 * looked up at run time, never imported (@tessera/tensor depends on nothing
 * of ours): TESSERA_NATIVE_ADDON names the .node file, else the installed
 * @tessera/native package's build, else the monorepo's packages/native.
 * Loading never throws: a missing or broken addon is a reason, and the
 * engine runs on WebAssembly.
 */

/** The kernels bound to one memory, and how to tell them that it grew (addresses past its end are refused). */
export type NativeKernels = KernelExports & { setLimit(bytes: number): void };

/** What the addon exports (packages/native/src/addon.c). */
export interface NativeAddon {
  info(): { isas: string[]; modes: string[]; compiler: string; kernels?: string; helpers?: number; splitCalls?: number };
  bind(bytes: Uint8Array, isa: string, mode: string, threads?: number): NativeKernels;
  address(bytes: Uint8Array): bigint;
}

export type NativeLoad = { addon: NativeAddon; path: string } | { addon?: undefined; path: string; reason: string };

const ADDON_FILE = join('build', 'Release', 'tessera_native.node');

function addonPath(): string {
  const forced = process.env.TESSERA_NATIVE_ADDON;
  if (forced !== undefined && forced !== '') return forced;
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('@tessera/native/package.json')), ADDON_FILE);
  } catch {
    // Not installed as a package: the monorepo layout (src/engine and dist/engine are both three levels below packages/).
    return join(fileURLToPath(new URL('../../../native/', import.meta.url)), ADDON_FILE);
  }
}

let loaded: NativeLoad | undefined;

/** The addon, loaded once per thread, or why it cannot be. */
export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  const path = addonPath();
  if (!existsSync(path)) {
    loaded = { path, reason: `the native engine ${path} is not built (npm run build -w @tessera/native, or bash tools/setup.sh)` };
    return loaded;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (typeof addon?.bind !== 'function' || typeof addon.info !== 'function' || typeof addon.address !== 'function') {
      loaded = { path, reason: `the native engine ${path} is not Tessera's addon (no bind/info/address exports)` };
    } else {
      const info = addon.info(), wasm = engineKernelsId();
      // Kernels from other sources (an addon built before a pull, say) could compute something else under the same
      // name, with no error: only an addon built from the wasm module's sources runs.
      loaded = info.kernels === undefined || info.kernels !== wasm
        ? { path, reason: `the native engine ${path} was built from other kernel sources (${info.kernels ?? 'no fingerprint'}) than the WebAssembly engine (${wasm ?? 'no fingerprint'}); rebuild it: npm run build -w @tessera/native` }
        : info.isas.length ? { addon, path } : { path, reason: `the native engine ${path} has no variant this CPU runs` };
    }
  } catch (e) {
    loaded = { path, reason: `the native engine ${path} failed to load: ${(e as Error).message}` };
  }
  return loaded;
}
