#!/usr/bin/env node
// npm links a workspace's bins at install time only if their files exist, and dist/ is built later:
// the bin is this committed launcher, which runs the build output (or says how to build it).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(`tessera-face: ${fileURLToPath(main)} is not built yet; run \`npx nx run-many -t build\` (or \`npm run build -w @tessera/face\`) in the repository first\n`);
  process.exit(1);
}
await import(main.href);
