/** Small SVG helpers shared by the charts: escaping, text, scales, ticks. No DOM, no browser. */

export const FONT = `system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', Helvetica, Arial, sans-serif`;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rough width of text in a sans-serif font (no font metrics without a browser). */
export function textWidth(s: string, size: number): number {
  return s.length * size * 0.58;
}

export function text(x: number, y: number, s: string, o: { size?: number; anchor?: 'start' | 'middle' | 'end'; weight?: string; fill?: string; rotate?: number; baseline?: string } = {}): string {
  const rot = o.rotate ? ` transform="rotate(${o.rotate} ${fmt(x)} ${fmt(y)})"` : '';
  const base = o.baseline ? ` dominant-baseline="${o.baseline}"` : '';
  return `<text x="${fmt(x)}" y="${fmt(y)}" font-size="${o.size ?? 12}" text-anchor="${o.anchor ?? 'start'}"${o.weight ? ` font-weight="${o.weight}"` : ''} fill="${o.fill ?? '#222'}"${base}${rot}>${esc(s)}</text>`;
}

export function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}

export function svgDoc(width: number, height: number, body: string[], title: string): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${fmt(width)}" height="${fmt(height)}" viewBox="0 0 ${fmt(width)} ${fmt(height)}" font-family="${esc(FONT)}">`,
    `<title>${esc(title)}</title>`,
    `<rect x="0" y="0" width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

/** Round tick values covering [lo, hi] on a linear axis (1, 2, 5 × 10^k steps). */
export function linearTicks(lo: number, hi: number, target = 6): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / target, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Powers of ten covering [lo, hi] on a log axis. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

export function tickLabel(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${(v / 1000).toPrecision(3).replace(/\.?0+$/, '')}k`;
  if (Math.abs(v) >= 1) return String(Number(v.toPrecision(4)));
  return String(Number(v.toPrecision(2)));
}

export interface Scale { (v: number): number; ticks: number[]; lo: number; hi: number }

/** Maps values to pixels (y grows downwards: `p0` is the bottom). */
export function scale(kind: 'linear' | 'log', lo: number, hi: number, p0: number, p1: number): Scale {
  let ticks: number[];
  if (kind === 'log') {
    ticks = logTicks(lo, hi);
    lo = ticks[0]!; hi = ticks[ticks.length - 1]!;
    if (hi === lo) hi = lo * 10;
    const f = ((v: number) => p0 + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (p1 - p0)) as Scale;
    return Object.assign(f, { ticks, lo, hi });
  }
  ticks = linearTicks(lo, hi);
  lo = Math.min(lo, ticks[0]!); hi = Math.max(hi, ticks[ticks.length - 1]!);
  const f = ((v: number) => p0 + ((v - lo) / (hi - lo)) * (p1 - p0)) as Scale;
  return Object.assign(f, { ticks, lo, hi });
}
