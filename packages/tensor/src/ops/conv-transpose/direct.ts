import type { Region } from '../../region.js';
import type { Weights } from '../op.js';
import { epilogueVectors, writeEpilogue, type EpilogueSpec } from '../epilogue.js';
import { packedWeights } from '../../engine/packed.js';
import { engineAddress, enginePartial, inEngine, releaseEngineTensor } from '../../engine/tensors.js';
import { copyRegion, type Tensor } from '../../tensor.js';
import { guarded, kernelEngine, scratch } from '../../engine/wasm.js';
import type { TransposeGeometry } from './spec.js';

/*
 * Transposed convolution with kernel = stride, two columns per input column,
 * on the engine: kernels/conv_transpose.c writes every output in place (a
 * 1×1 sum per phase, the two column phases zipped), the same bits as the
 * 1×1 conv into a tile and the pixel shuffle of fast.ts.
 */

/** Words of CtCall before its Epilogue. */
const CALL_WORDS = 19;
/** Regions of fewer outputs run on the calling thread alone (intra-op threads: Engine.threads). */
const SPLIT_MIN_OUTPUTS = 32768;

const a16 = (n: number): number => Math.ceil(n / 16) * 16;

/**
 * Runs region r of the layer (kernel [sh, 2] = stride, no padding, one group:
 * the caller checked; `sigmoid`: a fused sigmoid after the epilogue) when r
 * holds whole column pairs and x and out have dense columns; false, having
 * done nothing, otherwise. A map outside engine memory (a worker's shared
 * maps) is staged: the input box the region reads copied in, the region
 * copied out.
 */
export function transposeS2(x: Tensor, w: Tensor, weights: Weights, ep: EpilogueSpec, sigmoid: boolean, g: TransposeGeometry, out: Tensor, r: Region): boolean {
  if (g.sw !== 2 || g.kw !== 2 || r.x0 % 2 !== 0 || r.x1 % 2 !== 0 || x.strides4()[3] !== 1 || out.strides4()[3] !== 1) return false;
  if (inEngine(x) && inEngine(out)) return inPlace(x, w, weights, ep, sigmoid, g, out, r);
  const temps: Tensor[] = [];
  try {
    let sx = x, so = out;
    if (!inEngine(x)) {
      const box: Region = { n0: r.n0, n1: r.n1, c0: 0, c1: x.shape[1]!, y0: Math.floor(r.y0 / g.sh), y1: Math.floor((r.y1 - 1) / g.sh) + 1, x0: r.x0 / 2, x1: r.x1 / 2 };
      temps.push(sx = enginePartial(x.shape, box));
      copyRegion(x, sx, box);
    }
    if (!inEngine(out)) temps.push(so = enginePartial(out.shape, r));
    if (!inPlace(sx, w, weights, ep, sigmoid, g, so, r)) return false;
    if (so !== out) copyRegion(so, out, r);
    return true;
  } finally {
    temps.forEach(releaseEngineTensor);
  }
}

/** transposeS2 with both maps in engine memory. */
function inPlace(x: Tensor, w: Tensor, weights: Weights, ep: EpilogueSpec, sigmoid: boolean, g: TransposeGeometry, out: Tensor, r: Region): boolean {
  const xAt = engineAddress(x, r.n0, 0, 0, 0), oAt = engineAddress(out, r.n0, 0, 0, 0);
  if (xAt < 0 || oAt < 0) return false;
  const [cin, cout] = w.dims4();
  const sh = g.sh;
  guarded('conv2dTranspose', r, () => {
    const e = kernelEngine();
    // Weights [Cout][sh][Cin][2]: one channel's taps for one row phase, input channel by input channel.
    const packed = packedWeights(e, w, 'conv2dTranspose:s2', cout * sh * cin * 2, (mem, at) => {
      for (let co = 0; co < cout; co++)
        for (let ry = 0; ry < sh; ry++)
          for (let ci = 0; ci < cin; ci++)
            for (let rx = 0; rx < 2; rx++) mem[at + ((co * sh + ry) * cin + ci) * 2 + rx] = w.get(ci, co, ry, rx);
    });
    try {
      const scaled = weights.scale !== undefined;
      const vec = a16(cout);
      // One struct per intra-op thread (large maps only), each a block of the region's rows.
      const rows = r.y1 - r.y0;
      const parts = (r.n1 - r.n0) * (r.c1 - r.c0) * rows * (r.x1 - r.x0) >= SPLIT_MIN_OUTPUTS ? Math.min(e.threads, rows) : 1;
      const base = scratch(e, parts * 128 + 3 * vec * 4);
      const biasAt = base + parts * 128, scaleAt = biasAt + vec * 4, shiftAt = scaleAt + vec * 4;
      const imem = e.i32(), fmem = e.f32();
      epilogueVectors(weights, 0, cout, cout, {
        bias: fmem.subarray(biasAt / 4, biasAt / 4 + cout),
        scale: scaled ? fmem.subarray(scaleAt / 4, scaleAt / 4 + cout) : null,
        shift: scaled ? fmem.subarray(shiftAt / 4, shiftAt / 4 + cout) : null,
      });
      const [xn, xc, xh] = x.strides4(), [on, oc, oh] = out.strides4();
      for (let p = 0; p < parts; p++) {
        const i = (base + p * 128) / 4;
        imem[i] = xAt; imem[i + 1] = packed.at; imem[i + 2] = oAt;
        imem[i + 3] = r.n1 - r.n0; imem[i + 4] = cin; imem[i + 5] = sh;
        imem[i + 6] = r.c0; imem[i + 7] = r.c1;
        imem[i + 8] = r.y0 + Math.floor((rows * p) / parts); imem[i + 9] = r.y0 + Math.floor((rows * (p + 1)) / parts);
        imem[i + 10] = r.x0 / 2; imem[i + 11] = r.x1 / 2;
        imem[i + 12] = xn; imem[i + 13] = xc; imem[i + 14] = xh;
        imem[i + 15] = on; imem[i + 16] = oc; imem[i + 17] = oh; imem[i + 18] = sigmoid ? 1 : 0;
        writeEpilogue(imem, fmem, base + p * 128 + CALL_WORDS * 4, biasAt, scaled ? scaleAt : 0, shiftAt, ep);
      }
      e.calls('conv_transpose_s2', base, parts, 128);
    } finally {
      if (packed.temporary) e.heap.release(packed.at);
    }
  });
  return true;
}
