import { availableParallelism } from 'node:os';
import { INPUT, fuseLayers, receptiveField, type Model, type ReceptiveField } from '@tessera/nn';
import { explain, plan, type Strategy, type TilePlan } from '@tessera/scheduler';
import { engineLabel, fmtShape, resolveEngine, type Shape } from '@tessera/tensor';
import { oneOf, parse, positionals, positiveInt, shape4 } from '../args.js';
import type { Io } from '../io.js';
import { loadModelFile } from '../model-file.js';

export const EXPLAIN_USAGE = `usage: tessera explain MODEL.onnx|MODEL.tsm [--input-shape N,C,H,W] [--threads N] [--strategy S] [--json]

Prints every layer (op, inputs, output shape, parameters, FLOPs, receptive field in
input pixels) and the tile plan the scheduler would use on N worker threads. The
plan is the planner's, from its default cost model (a running pool measures its own
stage overhead first, so its choice may differ); layers are shown as the executors
run them (conv → scale → activation fused).

  --input-shape N,C,H,W   input shape (default the model's; required for an ONNX model
                          with dynamic dimensions)
  --threads N             worker threads the plan is for (default: all cores, here ${availableParallelism()})
  --strategy S            auto | layer-wise | fused (default auto)
  --json                  one JSON document on stdout
  -h, --help              this text

exit status: 0 ok; 1 the model cannot be read or planned; 2 bad usage`;

const STRATEGIES: readonly Strategy[] = ['auto', 'layer-wise', 'fused'];

export async function explainCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values: v, positionals: pos } = parse(argv, {
    'input-shape': { type: 'string' }, threads: { type: 'string' }, strategy: { type: 'string' }, json: { type: 'boolean' },
  });
  if (v.help) { io.out(EXPLAIN_USAGE); return 0; }
  const [path] = positionals(pos, ['MODEL']);
  const shapeArg = v['input-shape'] === undefined ? undefined : shape4('--input-shape', v['input-shape']);
  const threads = v.threads === undefined ? availableParallelism() : positiveInt('--threads', v.threads);
  const strategy = oneOf('--strategy', v.strategy ?? 'auto', STRATEGIES);
  const loaded = await loadModelFile(path, { ...(shapeArg ? { inputShape: shapeArg } : {}), hint: '--input-shape N,C,H,W' });
  const shape: Shape = shapeArg ?? loaded.model.inputShape;
  // What the executors run: fused chains (the plan is made on this model too).
  const model = fuseLayers(loaded.model);
  const layers = layerRows(model, shape);
  const p = plan(model, shape, { workers: threads, strategy });
  // The kernel engine runs would use here (TESSERA_ENGINE, TESSERA_ENGINE_MODE; native when the addon loads).
  const engine = resolveEngine();
  if (v.json) {
    io.out(JSON.stringify({ command: 'explain', engine: { ...engine, label: engineLabel(engine) }, model: { path, format: loaded.format, name: model.name, inputShape: shape, params: model.paramCount(), flops: model.flops(shape) }, layers, plan: planJson(p) }, null, 2));
    return 0;
  }
  const head = ['#', 'name', 'op', 'from', 'output', 'params', 'MFLOP', 'receptive field'];
  const rows = layers.map((l) => [String(l.index), l.name, l.op, l.from.join('+'), fmtShape(l.outputShape), String(l.params), (l.flops / 1e6).toFixed(2), l.receptiveField]);
  const widths = head.map((_, c) => Math.max(head[c]!.length, ...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((s, c) => s.padEnd(widths[c]!)).join('  ').trimEnd();
  io.out(`model '${model.name}' (${path}, ${loaded.format}): input ${fmtShape(shape)}, ${model.layers.length} layers as run, ${model.paramCount()} parameters, ${(model.flops(shape) / 1e9).toFixed(3)} GFLOP`);
  io.out(`engine: ${engineLabel(engine)}${engine.fallback ? ` (${engine.fallback})` : ''}`);
  io.out('');
  io.out(line(head));
  io.out(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) io.out(line(r));
  io.out('');
  io.out(explain(p));
  return 0;
}

interface LayerRow {
  index: number; name: string; op: string; from: string[]; outputShape: Shape; params: number; flops: number;
  /** "H×W px, jump J" or "global". */
  receptiveField: string;
  merged?: readonly string[];
}

function layerRows(model: Model, shape: Shape): LayerRow[] {
  return model.info(shape).map((i) => ({
    index: i.layer.index, name: i.layer.name, op: i.layer.spec.op,
    from: i.layer.inputs.map((s) => (s === INPUT ? 'input' : String(s))),
    outputShape: i.outputShape, params: i.params, flops: i.flops,
    receptiveField: fmtField(receptiveField(model, i.layer.index, shape)),
    ...(i.layer.merged?.length ? { merged: i.layer.merged } : {}),
  }));
}

function fmtField(f: ReceptiveField): string {
  if (f.global) return 'global';
  return `${f.size[0]}×${f.size[1]}, jump ${f.jump[0] === f.jump[1] ? f.jump[0] : `${f.jump[0]}×${f.jump[1]}`}`;
}

function planJson(p: TilePlan): unknown {
  return {
    workers: p.workers, strategy: p.strategy, choice: p.choice,
    stages: p.stages.map((s) => ({ kind: s.kind, layers: s.layers, tasks: s.tasks.length, cost: s.cost })),
  };
}
