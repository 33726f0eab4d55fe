import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/bench, whatever the working directory (results go under it by default). */
export const benchRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The repository root (node_modules, git). */
export const repoRoot = join(benchRoot, '..', '..');
