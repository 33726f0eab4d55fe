import { TesseraError, conv2dTransposeGeometry, getOp, type Conv2dTransposeSpec } from '@tessera/tensor';
import type { InputShapes, Model } from './model.js';

/**
 * Receptive field of one layer's units (by index, output name or layer name;
 * default: the first output) in model-input pixels, per axis
 * [vertical, horizontal]. Unit i of the layer reads input pixels
 * [offset + i·jump, offset + i·jump + size − 1] (before clipping: offsets
 * below 0 reach into padding).
 */
export interface ReceptiveField {
  readonly size: [number, number];
  readonly jump: [number, number];
  readonly offset: [number, number];
  /** True when a layer on the path sees its whole input (global pool, dense). */
  readonly global: boolean;
}

interface Axis { lo: number; hi: number; jump: number }
interface Field { y: Axis; x: Axis; global: boolean }

/**
 * Composes each layer's window backwards to the model input (the same maths
 * the tile planner uses for halos): through a window of kernel k, stride s,
 * dilation d and leading pad p, lo += −p·jump, hi += ((k−1)·d − p)·jump,
 * jump ·= s. Branches (add, concat) take the union of their inputs' fields.
 */
export function receptiveField(model: Model, layer: number | string = model.output, inputShape?: InputShapes): ReceptiveField {
  const target = typeof layer !== 'string' ? layer
    : model.outputs.find((o) => o.name === layer)?.layer ?? model.layers.findIndex((l) => l.name === layer);
  if (!Number.isInteger(target) || target < 0 || target >= model.layers.length) {
    throw new TesseraError('BAD_ARGUMENT', `receptiveField: no layer ${JSON.stringify(layer)} in model '${model.name}'`, { layer });
  }
  const shapes = model.shapes(inputShape);
  const unit: Field = { y: { lo: 0, hi: 0, jump: 1 }, x: { lo: 0, hi: 0, jump: 1 }, global: false };
  const fields: Field[] = [];
  for (let i = 0; i <= target; i++) {
    const l = model.layers[i]!;
    const ins = l.inputs.map((s) => (s < 0 ? unit : fields[s]!)); // in the pixels of whichever input the path starts from
    const inShapes = model.layerInputShapes(i, inputShape);
    const f = union(ins);
    const def = getOp(l.spec.op);
    const g = def.window(l.spec, inShapes);
    const [, , inH = 1, inW = 1] = inShapes[0]!;
    const out = shapes[i]!;
    if (g) {
      fields.push({
        y: through(f.y, g.kh, g.sh, g.dh, g.pt),
        x: through(f.x, g.kw, g.sw, g.dw, g.pl),
        global: f.global,
      });
    } else if (l.spec.op === 'conv2dTranspose') {
      // Output o gathers inputs (o + pad − k·d)/s for taps k: from ⌈(pad − (K−1)·d)/s⌉ to ⌊pad/s⌋ at o = 0, one input per s outputs.
      const t = conv2dTransposeGeometry(l.spec as Conv2dTransposeSpec, inShapes[0]!);
      const axis = (a: Axis, k: number, s: number, d: number, pad: number): Axis =>
        ({ lo: a.lo + Math.ceil((pad - (k - 1) * d) / s) * a.jump, hi: a.hi + Math.floor(pad / s) * a.jump, jump: a.jump / s });
      fields.push({ y: axis(f.y, t.kh, t.sh, t.dh, t.pt), x: axis(f.x, t.kw, t.sw, t.dw, t.pl), global: f.global });
    } else if (l.spec.op === 'resize') {
      // Bilinear sampling reads two neighbours; the grid step scales by in/out.
      const [, , oh = 1, ow = 1] = out;
      fields.push({
        y: { lo: f.y.lo, hi: f.y.hi + f.y.jump, jump: f.y.jump * (inH / oh) },
        x: { lo: f.x.lo, hi: f.x.hi + f.x.jump, jump: f.x.jump * (inW / ow) },
        global: f.global,
      });
    } else if (out.length === 2 || (out[2] === 1 && out[3] === 1 && (inH > 1 || inW > 1))) {
      // Global pools and dense layers see the whole input.
      fields.push({ y: through(f.y, inH, inH, 1, 0), x: through(f.x, inW, inW, 1, 0), global: true });
    } else {
      fields.push(f); // point-wise in space
    }
  }
  const f = fields[target]!;
  return {
    size: [f.y.hi - f.y.lo + 1, f.x.hi - f.x.lo + 1],
    jump: [f.y.jump, f.x.jump],
    offset: [f.y.lo, f.x.lo],
    global: f.global,
  };
}

function through(a: Axis, k: number, s: number, d: number, pad: number): Axis {
  return { lo: a.lo - pad * a.jump, hi: a.hi + ((k - 1) * d - pad) * a.jump, jump: a.jump * s };
}

function union(fs: readonly Field[]): Field {
  const ax = (pick: (f: Field) => Axis): Axis => ({
    lo: Math.min(...fs.map((f) => pick(f).lo)),
    hi: Math.max(...fs.map((f) => pick(f).hi)),
    jump: Math.max(...fs.map((f) => pick(f).jump)),
  });
  return { y: ax((f) => f.y), x: ax((f) => f.x), global: fs.some((f) => f.global) };
}
