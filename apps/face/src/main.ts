#!/usr/bin/env node
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  // The bar is drawn on stderr, but only for a person watching stdout (not when output is piped).
  isTTY: Boolean(process.stdout.isTTY && process.stderr.isTTY),
});
process.exitCode = code;
