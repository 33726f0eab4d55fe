import type { OnnxAttribute, OnnxNode } from '../proto.js';
import { resizeAttributeProblems } from './resize.js';
import { PAD_MODES } from './pad.js';
import { CONV_TRANSPOSE_AUTO_PADS } from './conv-transpose.js';

/*
 * Attribute values Tessera cannot run, found from each node's attributes
 * alone before any graph work, so that a model fails at load with one error
 * listing them together with the unsupported operator types (load.ts), never
 * half-way through the import or at run time. The handlers check the same
 * attributes again with the values in context (shapes, constants).
 */

/** An attribute's value as a string (STRING), number (INT/FLOAT) or list (INTS/FLOATS); undefined when absent. */
export type AttrValue = string | number | readonly number[] | undefined;

function value(a: OnnxAttribute | undefined): AttrValue {
  if (!a) return undefined;
  if (a.s !== undefined && a.s.length > 0) return Buffer.from(a.s).toString('utf8');
  if (a.i !== undefined) return Number(a.i);
  if (a.f !== undefined) return a.f;
  if (a.ints && a.ints.length) return a.ints.map(Number);
  if (a.floats && a.floats.length) return [...a.floats];
  return undefined;
}

type Check = (n: OnnxNode, opset: number, attr: (name: string) => AttrValue) => string[];

const WINDOW_AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

function autoPad(attr: (name: string) => AttrValue, allowed: readonly string[]): string[] {
  const v = String(attr('auto_pad') ?? 'NOTSET');
  return allowed.includes(v) ? [] : [`auto_pad '${v}' (supported: ${allowed.join(', ')})`];
}

function twoD(attr: (name: string) => AttrValue, name: string): string[] {
  const v = attr(name);
  return Array.isArray(v) && v.length !== 2 ? [`${name} [${v.join(', ')}] (only 2-D windows)`] : [];
}

const window: Check = (n, _opset, attr) => [
  ...autoPad(attr, WINDOW_AUTO_PADS), ...twoD(attr, 'kernel_shape'), ...twoD(attr, 'strides'), ...twoD(attr, 'dilations'),
];

const CHECKS: Readonly<Record<string, Check>> = {
  Conv: window,
  ConvTranspose: (n, opset, attr) => [...autoPad(attr, CONV_TRANSPOSE_AUTO_PADS), ...window(n, opset, attr).filter((p) => !p.startsWith('auto_pad'))],
  MaxPool: (n, opset, attr) => [...window(n, opset, attr), ...(Number(attr('storage_order') ?? 0) !== 0 ? ['storage_order 1 (only row major)'] : [])],
  AveragePool: window,
  LpPool: (n, opset, attr) => [...window(n, opset, attr), ...(Number(attr('p') ?? 2) !== 2 ? [`p ${String(attr('p'))} (only p = 2)`] : [])],
  Pad: (_n, _opset, attr) => {
    const mode = String(attr('mode') ?? 'constant');
    return PAD_MODES.includes(mode) ? [] : [`mode '${mode}' (supported: ${PAD_MODES.join(', ')})`];
  },
  Resize: (n, opset, attr) => resizeAttributeProblems(n, opset, (name) => { const v = attr(name); return Array.isArray(v) ? undefined : v as string | number | undefined; }),
  Upsample: (n, opset, attr) => resizeAttributeProblems(n, opset, (name) => { const v = attr(name); return Array.isArray(v) ? undefined : v as string | number | undefined; }),
  Gemm: (_n, _opset, attr) => (Number(attr('transA') ?? 0) !== 0 ? ['transA 1 (the input must not be transposed)'] : []),
};

/** The attribute problems of one node (empty when none, or when its op type has no attribute check). */
export function attributeProblems(n: OnnxNode, opset: number): string[] {
  const check = CHECKS[n.op_type ?? ''];
  if (!check) return [];
  const byName = new Map((n.attribute ?? []).map((a) => [a.name, a]));
  return check(n, opset, (name) => value(byName.get(name)));
}
