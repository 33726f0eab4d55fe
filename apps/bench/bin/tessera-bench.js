#!/usr/bin/env node
// tessera-bench runs from TypeScript source (like the tests): start Node with tsx and the
// @tessera/source condition so workspace packages resolve to src/, and worker threads inherit both.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/harness/cli.ts', import.meta.url));
const r = spawnSync(process.execPath, ['--import=tsx', '--conditions=@tessera/source', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? (r.signal ? 1 : 0));
