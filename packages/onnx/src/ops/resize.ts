import type { OnnxNode } from '../proto.js';
import type { ImportContext } from '../context.js';
import { requireFeatureMap } from './views.js';

/*
 * Resize / Upsample, linear mode, on H and W: Tessera's bilinear resize.
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

export function resize(n: OnnxNode, ctx: ImportContext): void {
  const a = ctx.attrs(n);
  const x = ctx.tensor(n, 0);
  const [, , h, w] = requireFeatureMap(ctx, n, x, 'input 0');
  const mode = a.string('mode', 'nearest');
  if (mode !== 'linear' && mode !== 'bilinear') throw a.bad('mode', `'${mode}' is not supported (only linear)`, { mode });
  const upsample = n.op_type === 'Upsample' || ctx.opset < 11;
  const transform = upsample ? 'asymmetric' : a.string('coordinate_transformation_mode', 'half_pixel');
  const flags = TRANSFORMS[transform];
  if (!flags) throw a.bad('coordinate_transformation_mode', `'${transform}' is not supported (${Object.keys(TRANSFORMS).join(', ')})`, { mode: transform });
  if (!upsample && a.int('antialias', 0) !== 0) throw a.bad('antialias', 'must be 0');
  if (!upsample && a.ints('axes')) throw a.bad('axes', 'is not supported; give scales or sizes for all four axes');
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
  if (transform === 'pytorch_half_pixel' && (height === 1 || width === 1)) {
    // PyTorch's variant reads input 0 for a size-1 output; half_pixel (Tessera's) reads the centre.
    throw a.bad('coordinate_transformation_mode', `pytorch_half_pixel with an output size of 1 (${height}×${width}) is not supported`);
  }
  const node = ctx.builder.resize(x.node, { height, width, ...flags }, n.name || undefined);
  ctx.set(n, ctx.nodeValue(node));
}
