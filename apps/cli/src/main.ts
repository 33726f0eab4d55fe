#!/usr/bin/env node
// LocalExecutor reads TESSERA_TRACE when @tessera/nn loads: `run --trace` sets it before anything imports it.
if (process.argv.slice(2).includes('--trace')) process.env['TESSERA_TRACE'] = '1';
const { runCli } = await import('./cli.js');

const code = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  // Progress goes to stderr, and only for a person watching (not when output is piped).
  isTTY: Boolean(process.stdout.isTTY && process.stderr.isTTY),
});
process.exitCode = code;
