import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Tensor, TesseraError } from '@tessera/tensor';

/** One tensor entry of a TF.js weights manifest (`*-weights_manifest.json`). */
interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2 };

function bad(message: string, details: Record<string, unknown>, cause?: unknown): TesseraError {
  return new TesseraError('BAD_MODEL', message, details, cause === undefined ? undefined : { cause });
}

/**
 * Reads a TF.js weights manifest as face-api ships it (a JSON list of groups,
 * each with `paths` of binary shards, concatenated, and `weights` laid out back
 * to back in them) and returns every tensor by name, as float32, with the TF
 * shape kept as given (conv filters [kh, kw, Cin, Cout], depthwise
 * [kh, kw, C, 1], dense [K, F]). Supported entries: float32, int32 (converted)
 * and uint8/uint16-quantized float32 (`value = q · scale + min`) or int32 (the same, rounded).
 * Throws BAD_MODEL naming the file (and tensor) for a missing or unreadable
 * manifest, a missing or short shard, or an unknown dtype.
 */
export function loadFaceApiWeights(manifestPath: string): Map<string, Tensor> {
  const mpath = resolve(manifestPath);
  let groups: ManifestGroup[];
  try {
    groups = JSON.parse(readFileSync(mpath, 'utf8')) as ManifestGroup[];
  } catch (e) {
    throw bad(`cannot read weights manifest '${mpath}': ${(e as Error).message}`, { file: mpath }, e);
  }
  if (!Array.isArray(groups)) throw bad(`weights manifest '${mpath}' is not a list of weight groups`, { file: mpath });
  const out = new Map<string, Tensor>();
  const dir = dirname(mpath);
  for (const g of groups) {
    if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) {
      throw bad(`weights manifest '${mpath}': a group lacks 'paths' or 'weights'`, { file: mpath });
    }
    const shards: Buffer[] = [];
    for (const p of g.paths) {
      const f = join(dir, p);
      try {
        shards.push(readFileSync(f));
      } catch (e) {
        throw bad(`weights shard '${f}' (listed in '${mpath}') cannot be read: ${(e as Error).message}`, { file: f, manifest: mpath }, e);
      }
    }
    const buf = shards.length === 1 ? shards[0]! : Buffer.concat(shards);
    const shardNames = g.paths.map((p) => join(dir, p)).join(', ');
    let off = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const q = w.quantization;
      const storedType = q ? q.dtype : w.dtype;
      const size = BYTES[storedType];
      if (size === undefined || (q && w.dtype !== 'float32' && w.dtype !== 'int32') || (!q && storedType !== 'float32' && storedType !== 'int32')) {
        throw bad(`weights '${shardNames}': tensor '${w.name}' has unsupported dtype '${w.dtype}'${q ? ` quantized as '${q.dtype}'` : ''}`,
          { file: shardNames, tensor: w.name, dtype: w.dtype, quantization: q?.dtype });
      }
      const bytes = n * size;
      if (off + bytes > buf.length) {
        throw bad(`weights shard '${shardNames}' is too short: tensor '${w.name}' needs bytes ${off}..${off + bytes}, the file has ${buf.length}`,
          { file: shardNames, tensor: w.name, needed: off + bytes, length: buf.length });
      }
      const data = new Float32Array(n);
      if (q) {
        const scale = q.scale ?? 1, min = q.min ?? 0;
        // A quantized int32 tensor is rounded to the nearest integer, as TF.js dequantizes it.
        const value = w.dtype === 'int32' ? (v: number) => Math.round(v * scale + min) : (v: number) => v * scale + min;
        if (storedType === 'uint8') for (let i = 0; i < n; i++) data[i] = value(buf[off + i]!);
        else for (let i = 0; i < n; i++) data[i] = value(buf.readUInt16LE(off + 2 * i));
      } else if (storedType === 'float32') {
        for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(off + 4 * i);
      } else {
        for (let i = 0; i < n; i++) data[i] = buf.readInt32LE(off + 4 * i);
      }
      off += bytes;
      out.set(w.name, new Tensor(data, w.shape.length === 0 ? [1] : w.shape));
    }
  }
  return out;
}

/** The folder of face-api's shipped weights: node_modules/@vladmandic/face-api/model. */
export function faceApiModelDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json');
  } catch (e) {
    throw new TesseraError('BAD_MODEL', `@vladmandic/face-api is not installed: ${(e as Error).message}`, {}, { cause: e });
  }
  const dir = join(dirname(pkg), 'model');
  try {
    statSync(dir);
  } catch (e) {
    throw new TesseraError('BAD_MODEL', `face-api model folder '${dir}' is missing`, { file: dir }, { cause: e });
  }
  return dir;
}

/** The manifest path of one of face-api's nets, e.g. `faceApiManifest('face_recognition_model')`. */
export function faceApiManifest(name: string): string {
  return join(faceApiModelDir(), `${name}-weights_manifest.json`);
}

/** Looks up a weight by name or throws BAD_MODEL naming it and the net. */
export function requireWeight(weights: ReadonlyMap<string, Tensor>, name: string, shape: readonly number[], net: string): Tensor {
  const t = weights.get(name);
  if (!t) throw new TesseraError('BAD_MODEL', `${net}: weight '${name}' is missing`, { tensor: name });
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new TesseraError('BAD_MODEL', `${net}: weight '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`,
      { tensor: name, shape: t.shape, expected: shape });
  }
  return t;
}

/** TF conv filter [kh, kw, Cin, Cout] → Tessera [Cout, Cin, kh, kw]. */
export function tfConvFilter(t: Tensor): Tensor {
  const [kh, kw, ci, co] = t.shape as [number, number, number, number];
  const src = t.data;
  const out = new Float32Array(co * ci * kh * kw);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) {
    out[((o * ci + i) * kh + y) * kw + x] = src[t.offset + ((y * kw + x) * ci + i) * co + o]!;
  }
  return new Tensor(out, [co, ci, kh, kw]);
}

/** TF depthwise filter [kh, kw, C, 1] → Tessera grouped conv weight [C, 1, kh, kw]. */
export function tfDepthwiseFilter(t: Tensor): Tensor {
  const [kh, kw, c, m] = t.shape as [number, number, number, number];
  if (m !== 1) throw new TesseraError('BAD_MODEL', `depthwise filter with channel multiplier ${m} is not supported`, { shape: t.shape });
  const out = new Float32Array(c * kh * kw);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < c; i++) {
    out[(i * kh + y) * kw + x] = t.data[t.offset + (y * kw + x) * c + i]!;
  }
  return new Tensor(out, [c, 1, kh, kw]);
}
