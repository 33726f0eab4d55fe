import { isTesseraError } from '@tessera/tensor';
import { isUsageError } from './args.js';
import { BENCH_USAGE, benchCommand } from './commands/bench.js';
import { CONVERT_USAGE, convertCommand } from './commands/convert.js';
import { EXPLAIN_USAGE, explainCommand } from './commands/explain.js';
import { RUN_USAGE, runCommand } from './commands/run.js';
import type { Io } from './io.js';

export type { Io } from './io.js';

export const USAGE = `tessera — run any CNN saved as .onnx or .tsm on Tessera's executors

usage:
  tessera run MODEL --input IMAGE|TENSOR.npy [options]   output shapes, top-k, time per stage; --out writes .npy
  tessera explain MODEL [--input-shape N,C,H,W]          layers, shapes, FLOPs, receptive fields, the tile plan
  tessera convert MODEL.onnx OUT.tsm                      an ONNX model as a Tessera model file, checked after writing
  tessera bench MODEL [--threads 1,2]                     Tessera's executors vs onnxruntime-node, outputs checked first

  tessera COMMAND --help    the options of a command
  -h, --help                this text

MODEL is an ONNX file (.onnx, opsets 7 to 21) or a Tessera model file (.tsm).
exit status: 0 ok; 1 failure (the file and the node or field named on stderr); 2 bad usage`;

interface Command {
  readonly usage: string;
  run(argv: readonly string[], io: Io): Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  run: { usage: RUN_USAGE, run: runCommand },
  explain: { usage: EXPLAIN_USAGE, run: explainCommand },
  convert: { usage: CONVERT_USAGE, run: convertCommand },
  bench: { usage: BENCH_USAGE, run: benchCommand },
};

/** Runs one command line; returns the exit status (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`error: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isUsageError(e)) {
      io.err(`error: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    io.err(`error${isTesseraError(e) ? ` [${e.code}]` : ''}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
