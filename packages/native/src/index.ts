import { fileURLToPath } from 'node:url';

/*
 * @tessera/native: the optional native kernel engine. The addon is built
 * from @tessera/tensor's kernel sources (binding.gyp, src/variant.c) and
 * found by @tessera/tensor at run time (its engine/native.ts), which routes
 * every kernel to it or to WebAssembly; choose with an executor's `engine`
 * option or TESSERA_ENGINE. This module only says where the build lies.
 */

/** The built addon (scripts/build-addon.sh). */
export const ADDON_PATH = fileURLToPath(new URL('../build/Release/tessera_native.node', import.meta.url));
