import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', 'src', 'main.ts');

/** How a test starts the CLI as a user would: node with the TypeScript loader on src/main.ts (then the arguments). */
export const cliCommand: readonly string[] = [process.execPath, '--import=tsx', '--conditions=@tessera/source', main];

export interface Run { code: number; stdout: string; stderr: string }

const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(here, '..', 'schema', 'output.schema.json'), 'utf8')));

/** Parses --json output and checks it against the documented schema (schema/output.schema.json). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test reads fields the schema has just checked
export function json(r: Run): any {
  const v = JSON.parse(r.stdout);
  if (!validate(v)) expect.fail(`output does not match schema/output.schema.json: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  return v;
}

/**
 * Where the suite runs as root, permissions stop nothing; a CLI run that must meet a real permission
 * error runs as `nobody` instead (the repository is world-readable, so it can still start).
 */
export const unprivileged: { uid?: number; gid?: number } = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** The CLI as a user runs it: a separate process, its exit code and streams (`as`: another user, see `unprivileged`). */
export function cli(args: string[], env: Record<string, string> = {}, as: { uid?: number; gid?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cliCommand[0]!, [...cliCommand.slice(1), ...args], { timeout: 120_000, maxBuffer: 1 << 24, env: { ...process.env, ...env }, ...as },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}
