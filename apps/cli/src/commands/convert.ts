import { stat } from 'node:fs/promises';
import { fmtShape, TesseraError } from '@tessera/tensor';
import { encodeModelFile, loadModel, saveModel } from '@tessera/wire';
import { parse, positionals, shape4, usageError } from '../args.js';
import { Status, type Io } from '../io.js';
import { loadModelFile, modelFormat } from '../model-file.js';

export const CONVERT_USAGE = `usage: tessera convert MODEL.onnx OUT.tsm [--input-shape N,C,H,W] [--json]

Reads an ONNX model and writes it as a Tessera model file (.tsm: header, SHA-256,
protobuf payload), written to a temporary name and renamed, then read back and
checked: the same layers and bit-identical weights.

  --input-shape N,C,H,W   fixes an ONNX model's dynamic dimensions (the .tsm keeps this shape)
  --json                  one JSON document on stdout
  -h, --help              this text

exit status: 0 ok; 1 the model cannot be read, converted or written; 2 bad usage`;

export async function convertCommand(argv: readonly string[], io: Io): Promise<number> {
  const { values: v, positionals: pos } = parse(argv, { 'input-shape': { type: 'string' }, json: { type: 'boolean' } });
  if (v.help) { io.out(CONVERT_USAGE); return 0; }
  const [src, dst] = positionals(pos, ['MODEL.onnx', 'OUT.tsm']);
  if (modelFormat(src) !== 'onnx') throw usageError(`convert reads an .onnx model, got '${src}'`);
  if (modelFormat(dst) !== 'tsm') throw usageError(`convert writes a .tsm file, got '${dst}'`);
  const shape = v['input-shape'] === undefined ? undefined : shape4('--input-shape', v['input-shape']);
  const status = new Status(io.isTTY && !v.json);
  try {
    status.stage(`loading ${src}`);
    const { model } = await loadModelFile(src, { ...(shape ? { inputShape: shape } : {}), hint: '--input-shape N,C,H,W' });
    status.stage(`writing ${dst}`);
    await saveModel(model, dst);
    status.stage(`checking ${dst}`);
    // The file as written must decode to the same model: encoding both gives the same bytes, weights and all.
    const back = await loadModel(dst);
    const a = encodeModelFile(model), b = encodeModelFile(back);
    if (a.length !== b.length || !a.every((x, i) => x === b[i])) {
      throw new TesseraError('KERNEL_FAILED', `${dst}: the file read back differs from the converted model`, { path: dst });
    }
    const bytes = (await stat(dst)).size;
    status.done();
    if (v.json) {
      io.out(JSON.stringify({ command: 'convert', from: src, to: dst, name: model.name, inputShape: model.inputShape, layers: model.layers.length, params: model.paramCount(), bytes, verified: true }, null, 2));
    } else {
      io.out(`${src} → ${dst}: model '${model.name}', input ${fmtShape(model.inputShape)}, ${model.layers.length} layers, ${model.paramCount()} parameters, ${bytes} bytes`);
      io.out('read back: same layers, bit-identical weights');
    }
    return 0;
  } finally {
    status.done();
  }
}
