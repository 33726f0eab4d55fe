import { isTesseraError } from '@tessera/tensor';
import { isUsageError } from './args.js';
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

/** Each command loads what it needs when it runs (gpu.js, NATS, onnxruntime-node are slow to import). */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  run: async () => { const m = await import('./commands/run.js'); return { usage: m.RUN_USAGE, run: m.runCommand }; },
  explain: async () => { const m = await import('./commands/explain.js'); return { usage: m.EXPLAIN_USAGE, run: m.explainCommand }; },
  convert: async () => { const m = await import('./commands/convert.js'); return { usage: m.CONVERT_USAGE, run: m.convertCommand }; },
  bench: async () => { const m = await import('./commands/bench.js'); return { usage: m.BENCH_USAGE, run: m.benchCommand }; },
};

/** Runs one command line; returns the exit status (0 ok, 1 failure, 2 usage). */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    io.out(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    io.err(`error: unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})\n\n${USAGE}`);
    return 2;
  }
  let command: Command | undefined;
  try {
    command = await load();
    return await command.run(rest, io);
  } catch (e) {
    if (isUsageError(e) && command) {
      io.err(`error: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    io.err(`error${isTesseraError(e) ? ` [${e.code}]` : ''}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
