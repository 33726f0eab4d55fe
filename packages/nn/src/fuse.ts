import { FUSED_ACTIVATIONS, Tensor, getOp, type Conv2dSpec, type FusedActivation, type OpSpec, type Weights } from '@tessera/tensor';
import { Model, type Layer } from './model.js';

/*
 * Layer fusion: conv2d, conv2dTranspose (or dense) → [scaleShift] → [relu | relu6 | leakyRelu | hardSigmoid | hardSwish]
 * (conv2dTranspose: or sigmoid) → [conv2d only: scaleShift] becomes one layer whose epilogue (tensor's
 * ops/epilogue.ts) does the scaleShift, the activation and the scaleShift after it. Before that, a layer without a bias takes a
 * following scaleShift whose scale is exactly 1 (an added per-channel
 * constant) as its bias: its sum starts from +0 and so is never −0, so
 * sum + b is (sum + 0)·1 + b bit for bit. The epilogue computes each step as one
 * float32 operation, exactly as the element-wise kernels do, so the fused
 * model gives the same bits as the original; it only saves the passes over
 * memory (and, in the pool and the cluster, the stages) of the absorbed layers.
 *
 * A zero pad read only by a conv2d whose padding does not depend on the
 * input size (valid, a number, or explicit sides) is folded into the conv's
 * padding: the conv reads zeros for those cells either way (w · 0, same
 * bits), and the padded copy is never made.
 *
 * A fused layer keeps the conv/dense layer's name; the names of the layers
 * merged into it are in `Layer.merged`, for explain and errors.
 */

const cache = new WeakMap<Model, Model>();

/** The ops whose spec and weights carry the epilogue. */
function hasEpilogue(op: string): boolean {
  if (op === 'conv2d' || op === 'conv2dTranspose') return true;
  // dense gains the epilogue separately: fuse it only once its op takes scale/shift.
  return op === 'dense' && getOp('dense').weightNames.includes('scale');
}

/**
 * The model with every fusable chain merged into one layer, or `model`
 * itself when nothing fuses. A chain step is taken only when the
 * intermediate output has exactly one reader, that reader has no other
 * input, and the intermediate is not a model output — so no value anyone
 * can observe disappears. Cached per model; the fused model's id is
 * `${model.id}+fused`, so executors and caches keyed by id agree on it.
 */
export function fuseLayers(model: Model): Model {
  const hit = cache.get(model);
  if (hit) return hit;
  const fused = fuse(model);
  cache.set(model, fused);
  cache.set(fused, fused);
  return fused;
}

function fuse(model: Model): Model {
  const consumers = model.consumers();
  const channels = model.shapes().map((s) => s[1]!);
  /** The single layer that alone reads `i`'s output, if any. */
  const soleReader = (i: number): Layer | undefined => {
    if (model.isOutput(i)) return undefined;
    const cs = consumers.get(i) ?? [];
    if (cs.length !== 1) return undefined; // a layer reading it twice counts twice
    const c = model.layers[cs[0]!]!;
    return c.inputs.length === 1 ? c : undefined;
  };

  const { replaced, dropped } = foldPads(model, soleReader);
  const newIndex = new Array<number>(model.layers.length);
  const layers: Layer[] = [];
  let changed = dropped.size > 0;
  for (let i = 0; i < model.layers.length; i++) {
    if (newIndex[i] !== undefined || dropped.has(i)) continue; // absorbed into another layer
    const l = replaced.get(i) ?? model.layers[i]!;
    const index = layers.length;
    const remap = (src: number): number => (src < 0 ? src : newIndex[src]!); // model inputs keep their ids
    newIndex[i] = index;
    if (!hasEpilogue(l.spec.op)) {
      layers.push(l.index === index && l.inputs.every((s) => remap(s) === s) ? l : { ...l, index, inputs: l.inputs.map(remap) });
      continue;
    }
    let spec = l.spec as OpSpec & { activation?: FusedActivation; alpha?: number; beta?: number };
    let weights: Weights = l.weights;
    const merged: string[] = [...(l.merged ?? [])];
    const absorbed: number[] = [];
    let end = i;
    const cout = channels[i]!;
    // An added constant (scaleShift with scale 1) as the bias of a layer that has none.
    let next = spec.activation === undefined && weights.scale === undefined && weights.bias === undefined ? soleReader(end) : undefined;
    if (next?.spec.op === 'scaleShift' && isOnes(next.weights.scale, cout) && isChannelVector(next.weights.shift, cout)) {
      weights = { ...weights, bias: next.weights.shift };
      merged.push(next.name);
      absorbed.push(next.index);
      end = next.index;
    }
    // scaleShift: only before any activation, and only once.
    next = spec.activation === undefined && weights.scale === undefined ? soleReader(end) : undefined;
    if (next?.spec.op === 'scaleShift' && isChannelVector(next.weights.scale, cout) && (next.weights.shift === undefined || isChannelVector(next.weights.shift, cout))) {
      // A missing shift becomes −0: v·s + (−0) is v·s for every v·s, −0 included (+0 would turn −0 into +0).
      weights = { ...weights, scale: next.weights.scale, shift: next.weights.shift ?? Tensor.filled([cout], -0) };
      merged.push(next.name);
      absorbed.push(next.index);
      end = next.index;
    }
    next = spec.activation === undefined ? soleReader(end) : undefined;
    // conv2dTranspose also takes a sigmoid (a detector's last layer: its epilogue applies the sigmoid layer's kernel).
    const fusable: readonly string[] = l.spec.op === 'conv2dTranspose' ? [...FUSED_ACTIVATIONS, 'sigmoid'] : FUSED_ACTIVATIONS;
    if (next && fusable.includes(next.spec.op)) {
      const act = next.spec as OpSpec & { op: FusedActivation; alpha?: number; beta?: number };
      spec = act.op === 'leakyRelu' ? { ...spec, activation: act.op, alpha: act.alpha }
        : act.op === 'hardSigmoid' ? { ...spec, activation: act.op, alpha: act.alpha, beta: act.beta }
        : { ...spec, activation: act.op };
      merged.push(next.name);
      absorbed.push(next.index);
      end = next.index;
    }
    // conv2d: a scaleShift after the activation (or after a scale/shift already taken) as the post-activation affine.
    next = l.spec.op === 'conv2d' && weights.postScale === undefined ? soleReader(end) : undefined;
    if (next?.spec.op === 'scaleShift' && isChannelVector(next.weights.scale, cout) && (next.weights.shift === undefined || isChannelVector(next.weights.shift, cout))) {
      weights = { ...weights, postScale: next.weights.scale, postShift: next.weights.shift ?? Tensor.filled([cout], -0) };
      merged.push(next.name);
      absorbed.push(next.index);
      end = next.index;
    }
    if (end === i) {
      layers.push(l.index === index && l.inputs.every((s) => remap(s) === s) ? l : { ...l, index, inputs: l.inputs.map(remap) });
      continue;
    }
    changed = true;
    // Readers of the chain's last layer now read the fused layer.
    for (const j of absorbed) newIndex[j] = index;
    layers.push({ index, name: l.name, spec: Object.freeze(spec), inputs: l.inputs.map(remap), weights: Object.freeze(weights), merged: Object.freeze(merged) });
  }
  if (!changed) return model;
  return new Model(model.name, model.inputs, layers, model.outputs.map((o) => ({ name: o.name, layer: newIndex[o.layer]! })), `${model.id}+fused`);
}

/**
 * Zero pads (spatial only) whose one reader is a conv2d with size-independent
 * padding: the conv with both paddings added and the pad's input, by conv
 * index; and the pads that disappear.
 */
function foldPads(model: Model, soleReader: (i: number) => Layer | undefined): { replaced: Map<number, Layer>; dropped: Set<number> } {
  const replaced = new Map<number, Layer>(), dropped = new Set<number>();
  for (const l of model.layers) {
    if (l.spec.op !== 'pad') continue;
    const p = l.spec;
    if ((p.mode ?? 'constant') !== 'constant') continue; // a reflect or edge pad is not a conv's zero padding
    if ((p.value ?? 0) !== 0 || Object.is(p.value, -0) || (p.channelsBefore ?? 0) !== 0 || (p.channelsAfter ?? 0) !== 0) continue;
    const conv = soleReader(l.index);
    if (!conv || conv.spec.op !== 'conv2d') continue;
    const own = explicitPadding(conv.spec.padding);
    if (!own) continue;
    const padding = { top: own.top + p.top, bottom: own.bottom + p.bottom, left: own.left + p.left, right: own.right + p.right };
    replaced.set(conv.index, {
      ...conv, spec: Object.freeze({ ...conv.spec, padding }), inputs: [l.inputs[0]!], merged: Object.freeze([l.name, ...(conv.merged ?? [])]),
    });
    dropped.add(l.index);
  }
  return { replaced, dropped };
}

/** A conv's padding as four sides when it does not depend on the input size ('same' does). */
function explicitPadding(p: Conv2dSpec['padding']): { top: number; bottom: number; left: number; right: number } | null {
  if (p === undefined || p === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (typeof p === 'number') return { top: p, bottom: p, left: p, right: p };
  if (typeof p === 'object' && p !== null) return { top: p.top, bottom: p.bottom, left: p.left, right: p.right };
  return null;
}

/** A [C] vector: what the conv's scale/shift weights must be. */
function isChannelVector(t: Tensor | undefined, c: number): boolean {
  return t !== undefined && t.shape.length === 1 && t.shape[0] === c;
}

/** A [C] vector of exact ones. */
function isOnes(t: Tensor | undefined, c: number): boolean {
  if (!isChannelVector(t, c)) return false;
  for (let i = 0; i < c; i++) if (t!.get(i) !== 1) return false;
  return true;
}
