import type { NearestCoordinates, NearestRounding, ResizeSpec } from '@tessera/tensor';
import type { OnnxNode } from '../proto.js';
import type { ImportContext } from '../context.js';
import { requireFeatureMap } from './views.js';

/*
 * Resize / Upsample on H and W. Nearest mode: Tessera's nearest resize, which
 * takes ONNX's coordinate_transformation_mode and nearest_mode as they are
 * (before opset 11 the "simple" rule: asymmetric, floor when upsampling, ceil
 * when downsampling). Linear mode: Tessera's bilinear resize.
 * ONNX's coordinate transformations map onto its two flags:
 *   asymmetric (and Upsample)           x_in = x_out / scale           → neither
 *   half_pixel, pytorch_half_pixel      x_in = (x_out + 0.5)/scale − 0.5 → halfPixelCenters
 *   align_corners                       x_in = x_out·(in − 1)/(out − 1) → alignCorners
 * Tessera's scale is in/out, so a `scales` input must give whole output sizes
 * (out = in·scale exactly); otherwise pass `sizes`.
 */
const TRANSFORMS: Readonly<Record<string, { alignCorners?: boolean; halfPixelCenters?: boolean }>> = {
  asymmetric: {},
  half_pixel: { halfPixelCenters: true },
  pytorch_half_pixel: { halfPixelCenters: true },
  align_corners: { alignCorners: true },
};

const NEAREST_TRANSFORMS: readonly NearestCoordinates[] = ['half_pixel', 'pytorch_half_pixel', 'asymmetric', 'align_corners', 'tf_half_pixel_for_nn'];
const NEAREST_MODES: readonly NearestRounding[] = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
const MODES = ['nearest', 'linear', 'bilinear'];

/**
 * The attribute problems of a Resize/Upsample node, found from its
 * attributes alone (before any graph work, so they join the one load error
 * of unsupported operators); empty when it can be imported.
 */
export function resizeAttributeProblems(n: OnnxNode, opset: number, attr: (name: string) => string | number | undefined): string[] {
  const problems: string[] = [];
  const mode = String(attr('mode') ?? 'nearest');
  if (!MODES.includes(mode)) problems.push(`mode '${mode}' (supported: nearest, linear)`);
  if (n.op_type === 'Upsample' || opset < 11) return problems;
  const transform = String(attr('coordinate_transformation_mode') ?? 'half_pixel');
  const known = mode === 'nearest' ? NEAREST_TRANSFORMS : Object.keys(TRANSFORMS);
  if (!(known as readonly string[]).includes(transform)) problems.push(`coordinate_transformation_mode '${transform}' with mode ${mode} (supported: ${known.join(', ')})`);
  const nearest = String(attr('nearest_mode') ?? 'round_prefer_floor');
  if (mode === 'nearest' && !(NEAREST_MODES as readonly string[]).includes(nearest)) problems.push(`nearest_mode '${nearest}' (supported: ${NEAREST_MODES.join(', ')})`);
  if (Number(attr('antialias') ?? 0) !== 0) problems.push('antialias 1');
  const policy = String(attr('keep_aspect_ratio_policy') ?? 'stretch');
  if (policy !== 'stretch') problems.push(`keep_aspect_ratio_policy '${policy}' (supported: stretch)`);
  return problems;
}

export function resize(n: OnnxNode, ctx: ImportContext): void {
  const a = ctx.attrs(n);
  const x = ctx.tensor(n, 0);
  const [, , h, w] = requireFeatureMap(ctx, n, x, 'input 0');
  const mode = a.string('mode', 'nearest');
  if (!MODES.includes(mode)) throw a.bad('mode', `'${mode}' is not supported (nearest, linear)`, { mode });
  const upsample = n.op_type === 'Upsample' || ctx.opset < 11;
  const transform = upsample ? 'asymmetric' : a.string('coordinate_transformation_mode', 'half_pixel');
  const flags = TRANSFORMS[transform];
  if (mode !== 'nearest' && !flags) throw a.bad('coordinate_transformation_mode', `'${transform}' is not supported with linear (${Object.keys(TRANSFORMS).join(', ')})`, { mode: transform });
  if (mode === 'nearest' && !(NEAREST_TRANSFORMS as readonly string[]).includes(transform)) {
    throw a.bad('coordinate_transformation_mode', `'${transform}' is not supported with nearest (${NEAREST_TRANSFORMS.join(', ')})`, { mode: transform });
  }
  if (!upsample && a.int('antialias', 0) !== 0) throw a.bad('antialias', 'must be 0');
  if (!upsample && a.ints('axes')) throw a.bad('axes', 'is not supported; give scales or sizes for all four axes');
  if (!upsample && a.string('keep_aspect_ratio_policy', 'stretch') !== 'stretch') throw a.bad('keep_aspect_ratio_policy', 'must be stretch');
  let height: number, width: number;
  const sizes = upsample ? undefined : ctx.constant(n, 3, 'sizes')?.ints;
  if (sizes && sizes.length > 0) {
    if (sizes.length !== 4 || sizes[0] !== x.shape[0] || sizes[1] !== x.shape[1]) throw ctx.error(n, `sizes [${sizes.join(', ')}] must keep N and C of [${x.shape.join(', ')}]`);
    [height, width] = [sizes[2]!, sizes[3]!];
  } else {
    const scales = ctx.opset < 9 && n.op_type === 'Upsample' ? a.floats('scales') : ctx.constant(n, ctx.opset >= 11 ? 2 : 1, 'scales')?.float;
    if (!scales || scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1) throw ctx.error(n, `scales must be 4 floats [1, 1, sH, sW], got [${scales ? Array.from(scales).join(', ') : ''}]`);
    [height, width] = [Math.floor(h * scales[2]!), Math.floor(w * scales[3]!)];
    if (height !== h * scales[2]! || width !== w * scales[3]!) {
      throw ctx.error(n, `scales ${scales[2]}×${scales[3]} on ${h}×${w} do not give whole sizes; only exact scales are supported`);
    }
  }
  if (mode === 'nearest') {
    let nearestMode = a.string('nearest_mode', 'round_prefer_floor') as NearestRounding;
    if (upsample) {
      // Before opset 11 ("simple"): truncation when upsampling, ceil when downsampling; one rule must serve both axes.
      const down = [height < h, width < w];
      if (down[0] !== down[1] && height !== h && width !== w) throw ctx.error(n, `nearest ${h}×${w} → ${height}×${width} shrinks one axis and grows the other; not supported before opset 11`);
      nearestMode = down[0] || down[1] ? 'ceil' : 'floor';
    } else if (!(NEAREST_MODES as readonly string[]).includes(nearestMode)) {
      throw a.bad('nearest_mode', `'${nearestMode}' is not supported (${NEAREST_MODES.join(', ')})`);
    }
    const spec: Omit<ResizeSpec, 'op'> = { height, width, mode: 'nearest', coordinates: transform as NearestCoordinates, nearestMode };
    ctx.set(n, ctx.nodeValue(ctx.builder.resize(x.node, spec, n.name || undefined)));
    return;
  }
  if (transform === 'pytorch_half_pixel' && (height === 1 || width === 1)) {
    // PyTorch's variant reads input 0 for a size-1 output; half_pixel (Tessera's) reads the centre.
    throw a.bad('coordinate_transformation_mode', `pytorch_half_pixel with an output size of 1 (${height}×${width}) is not supported`);
  }
  const node = ctx.builder.resize(x.node, { height, width, ...flags }, n.name || undefined);
  ctx.set(n, ctx.nodeValue(node));
}
