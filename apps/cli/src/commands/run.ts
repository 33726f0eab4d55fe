import type { Executor, Model } from '@tessera/nn';
import { fmtShape, type Tensor } from '@tessera/tensor';
import { numberList, oneOf, parse, positionals, positiveInt, size2, usageError } from '../args.js';
import { BACKENDS, GPU_MODES, checkBackendFlags, openBackend, type BackendOptions } from '../backend.js';
import { imageInput, isNpy, npyInput } from '../input.js';
import { Status, timed, type Io } from '../io.js';
import { graphOutputs, loadModelFile } from '../model-file.js';
import { writeNpy } from '../npy.js';
import { topK, type TopK } from '../top-k.js';

export const RUN_USAGE = `usage: tessera run MODEL.onnx|MODEL.tsm --input IMAGE|TENSOR.npy [options]

Runs the model on one input; prints each output's name and shape, the top-k
classes of a classifier output and the time of each stage.

  --input FILE       a picture (PNG, JPEG, ... decoded by sharp, stretched to the model's
                     input size, NCHW float32 in [0, 1]) or a float32/float64 .npy tensor
                     (N,C,H,W or C,H,W, taken as is)
  --size H,W         resize the picture to H×W instead of the model's input size (needed for
                     an ONNX model whose height or width is dynamic; a dynamic batch is 1)
  --mean M[,M,M]     subtract per channel from the [0, 1] picture values (e.g. 0.485,0.456,0.406)
  --std S[,S,S]      then divide per channel (e.g. 0.229,0.224,0.225)
  --backend B        local | threads | gpu | cluster (default local)
  --threads N        worker threads for --backend threads (default: all cores)
  --gpu-mode M       auto | gl | webasm | cpu for --backend gpu (default auto)
  --nats URL         NATS server(s) of tessera-worker processes for --backend cluster;
                     credentials from TESSERA_NATS_USER / TESSERA_NATS_PASS
  --top K            classes listed for a classifier output (default 5); scores are the output
                     itself when it already is a distribution, else its softmax (said which)
  --out FILE.npy     write the output as a float32 .npy (the ONNX output's shape for an ONNX model;
                     a model with several outputs writes FILE.<output name>.npy for each)
  --trace            per-layer times on stderr (layers that run on the calling thread: local,
                     and threads where the pool runs the model there)
  --json             one JSON document on stdout
  -h, --help         this text

exit status: 0 ok; 1 the model, the input or the run failed (named on stderr); 2 bad usage`;

export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values: v, positionals: pos } = parse(argv, {
    input: { type: 'string' }, size: { type: 'string' }, mean: { type: 'string' }, std: { type: 'string' },
    backend: { type: 'string' }, threads: { type: 'string' }, 'gpu-mode': { type: 'string' }, nats: { type: 'string' },
    top: { type: 'string' }, out: { type: 'string' }, trace: { type: 'boolean' }, json: { type: 'boolean' },
  });
  if (v.help) { io.out(RUN_USAGE); return 0; }
  const [modelPath] = positionals(pos, ['MODEL']);
  if (!v.input) throw usageError('--input IMAGE|TENSOR.npy is required');
  const npy = isNpy(v.input);
  const size = v.size === undefined ? undefined : size2('--size', v.size);
  const mean = v.mean === undefined ? undefined : numberList('--mean', v.mean);
  const std = v.std === undefined ? undefined : numberList('--std', v.std);
  if (npy && (size || mean || std)) throw usageError('--size, --mean and --std apply to a picture; a .npy input is taken as is');
  if (v.out !== undefined && !v.out.toLowerCase().endsWith('.npy')) throw usageError(`--out must name a .npy file, got '${v.out}'`);
  const be: BackendOptions = {
    backend: oneOf('--backend', v.backend ?? 'local', BACKENDS),
    ...(v.threads !== undefined ? { threads: positiveInt('--threads', v.threads) } : {}),
    ...(v['gpu-mode'] !== undefined ? { gpuMode: oneOf('--gpu-mode', v['gpu-mode'], GPU_MODES) } : {}),
    ...(v.nats !== undefined ? { nats: v.nats } : {}),
  };
  checkBackendFlags(be);
  const k = v.top === undefined ? 5 : positiveInt('--top', v.top);
  const status = new Status(io.isTTY && !v.json);
  const times: Record<string, number> = {};
  try {
    // A tensor's shape is known before the model is read (it resolves dynamic dimensions); a picture's after.
    let x: Tensor | undefined;
    if (npy) {
      status.stage(`reading ${v.input}`);
      ({ value: x, ms: times['preprocess'] } = await timed(() => npyInput(v.input!)));
    }
    status.stage(`loading ${modelPath}`);
    const { value: loaded, ms: loadMs } = await timed(() => loadModelFile(modelPath, x ? { inputShape: x.shape } : { ...(size ? { size } : {}), hint: '--size H,W' }));
    times['load'] = loadMs;
    const model = loaded.model;
    if (!x) {
      const [, c, h, w] = model.inputShape;
      status.stage(`decoding ${v.input}`);
      ({ value: x, ms: times['preprocess'] } = await timed(() => imageInput(v.input!, {
        channels: c!, height: size?.[0] ?? h!, width: size?.[1] ?? w!, ...(mean ? { mean } : {}), ...(std ? { std } : {}),
      })));
    }
    const input = x;
    status.stage(`starting ${be.backend}`);
    const { value: opened, ms: startMs } = await timed(() => openBackend(be));
    times['backendStart'] = startMs;
    if (opened.note) io.err(`note: ${opened.note}`);
    let results: Record<string, Tensor>;
    try {
      status.stage(`running on ${opened.description}`);
      ({ value: results, ms: times['run'] } = await timed(() => runOutputs(opened.executor, model, input)));
    } finally {
      await opened.executor.close();
    }
    const several = Object.keys(results).length > 1;
    // An ONNX model's outputs in the graph's shape and layout (Tessera may hold [N, K] as [N, K, 1, 1], or NCHW before a final Transpose).
    const outputs = Object.entries(graphOutputs(loaded, results)).map(([name, y]) => {
      // Several outputs: one .npy each, the output's name before the extension.
      const file = v.out === undefined ? undefined : several ? v.out.replace(/\.npy$/i, `.${safeName(name)}.npy`) : v.out;
      return { name, y, shape: y.shape, file, top: topK(y, k) };
    });
    for (const o of outputs) {
      if (o.file === undefined) continue;
      status.stage(`writing ${o.file}`);
      const { ms } = await timed(() => writeNpy(o.file!, o.shape, o.y.toFloat32Array()));
      times['write'] = (times['write'] ?? 0) + ms;
    }
    status.done();
    if (v.json) {
      io.out(JSON.stringify({
        command: 'run',
        model: { path: modelPath, format: loaded.format, name: model.name, layers: model.layers.length, params: model.paramCount(), ...(loaded.onnx ? { opset: loaded.onnx.imp.opset } : {}) },
        backend: opened.description,
        input: { path: v.input, kind: npy ? 'npy' : 'image', shape: input.shape },
        outputs: outputs.map((o) => ({ name: o.name, shape: o.shape, ...(o.file !== undefined ? { out: o.file } : {}), ...(o.top ? { top: { k, kind: o.top.kind, samples: o.top.samples } } : {}) })),
        timesMs: times,
      }, null, 2));
    } else {
      io.out(`model   ${modelPath} (${loaded.format}${loaded.onnx ? `, opset ${loaded.onnx.imp.opset}` : ''}): ${model.layers.length} layers, ${model.paramCount()} parameters`);
      io.out(`backend ${opened.description}`);
      io.out(`input   ${v.input} → ${fmtShape(input.shape)}${npy ? '' : ` (picture, [0, 1]${mean || std ? `, (x − mean) / std` : ''})`}`);
      for (const o of outputs) {
        io.out(`output  '${o.name}' ${fmtShape(o.shape)}${o.file !== undefined ? ` → ${o.file}` : ''}`);
        if (o.top) printTop(o.top, k, io);
      }
      io.out(`time    ${Object.entries(times).map(([s, ms]) => `${s} ${ms.toFixed(1)} ms`).join(', ')}`);
    }
    return 0;
  } finally {
    status.done();
  }
}

/**
 * Every output by name (an ONNX model's are the graph's names): `runAll` for
 * a model with several outputs (one run computes them all), `run` for one.
 */
async function runOutputs(ex: Executor, model: Model, x: Tensor): Promise<Record<string, Tensor>> {
  if (model.outputs.length > 1) return ex.runAll(model, x);
  return { [model.outputs[0]!.name]: await ex.run(model, x) };
}

/** An output name as part of a file name. */
const safeName = (name: string): string => name.replace(/[^\w.-]+/g, '_');

function printTop(top: TopK, k: number, io: Io): void {
  io.out(`top-${k} (${top.kind === 'probabilities' ? 'the output is already a probability distribution' : 'softmax of the output, read as logits'}):`);
  top.samples.forEach((s, n) => {
    if (top.samples.length > 1) io.out(`  sample ${n}`);
    for (const c of s) io.out(`  class ${String(c.index).padStart(5)}  ${c.score.toFixed(4)}  (raw ${c.raw.toPrecision(5)})`);
  });
}
