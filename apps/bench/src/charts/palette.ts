/**
 * One colour per runtime family, the same in every chart; variants of a
 * family (thread counts) get lighter shades of it.
 */
const BASE: Record<string, string> = {
  'tessera-reference': '#8d8d8d',
  'tessera-fast': '#1f5fbf',
  'tessera-threads': '#3f9be0',
  'tessera-local': '#1f5fbf',
  'tessera-gpu': '#7b4fc9',
  'tessera-cluster': '#16a0a0',
  'tfjs-cpu': '#f28e2b',
  'tfjs-wasm': '#e15759',
  'face-api-tfjs-cpu': '#f28e2b',
  'face-api-tfjs-wasm': '#e15759',
  'ort-node': '#3a9a3a',
  'naive-js': '#9c6b4e',
  'layer-wise': '#3f9be0',
  'fused': '#e15759',
  'auto': '#3a9a3a',
  'engine-threads': '#7b4fc9',
  'ideal': '#999999',
};
const EXTRA = ['#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#59a14f', '#bab0ac'];

function hex(c: string): [number, number, number] {
  const n = parseInt(c.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Mixes `c` with white: t = 0 gives c, t = 1 white. */
function lighten(c: string, t: number): string {
  const [r, g, b] = hex(c).map((v) => Math.round(v + (255 - v) * t)) as [number, number, number];
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

/** Colour of a runtime; `variant` k of n makes shade k (0 = darkest). */
export function colourOf(runtime: string, variant = 0, variants = 1): string {
  let base = BASE[runtime];
  if (!base) {
    let h = 0;
    for (const ch of runtime) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    base = EXTRA[h % EXTRA.length]!;
  }
  if (variants <= 1) return base;
  // Darkest first; never lighter than 55 % towards white, so every shade stays visible on white.
  const step = 0.55 / Math.max(1, variants - 1);
  return lighten(base, variant * step * (variants > 1 ? 1 : 0));
}
