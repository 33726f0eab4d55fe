import { legend } from './legend.js';
import { esc, fmt, scale, svgDoc, text, textWidth, tickLabel } from './svg.js';

export interface BarSeries { key: string; label: string; colour: string }
export interface BarCategory { key: string; label: string; sublabel?: string }

export interface BarChartSpec {
  title: string;
  subtitle?: string;
  yLabel: string;
  /** Log suits values spread over decades (reference loops vs native code). */
  yScale?: 'linear' | 'log';
  categories: readonly BarCategory[];
  series: readonly BarSeries[];
  /** A number draws a bar; a string is a short note at the bar's foot (e.g. "n/s" for not supported). */
  values: Readonly<Record<string, Readonly<Record<string, number | string | undefined>>>>;
  footnote?: string;
}

function valueLabel(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

/** Grouped bars: one group per category, one bar per series, y axis with ticks and grid, legend on top. */
export function barChart(spec: BarChartSpec): string {
  const nS = spec.series.length, nC = spec.categories.length;
  const barW = Math.max(10, Math.min(26, Math.floor(560 / Math.max(1, nS * nC))));
  const groupW = nS * barW + Math.max(18, barW * 1.2);
  const left = 74, right = 24;
  const width = Math.max(720, left + right + nC * groupW);
  const plotW = width - left - right;
  const body: string[] = [];
  body.push(text(left, 26, spec.title, { size: 17, weight: '600' }));
  let y = 30;
  if (spec.subtitle) { body.push(text(left, 48, spec.subtitle, { size: 12, fill: '#555' })); y = 52; }
  const lg = legend(spec.series.map((s) => ({ label: s.label, colour: s.colour })), left, y + 8, plotW);
  body.push(...lg.svg);
  const top = y + 8 + lg.height + 14;
  const plotH = 300;
  const bottom = top + plotH;

  const nums: number[] = [];
  for (const c of spec.categories) for (const s of spec.series) { const v = spec.values[c.key]?.[s.key]; if (typeof v === 'number' && v > 0 && Number.isFinite(v)) nums.push(v); }
  const kind = spec.yScale ?? 'linear';
  const lo = kind === 'log' ? Math.min(...nums, 1) : 0;
  const hi = nums.length ? Math.max(...nums) * (kind === 'log' ? 1.5 : 1.08) : 1;
  const ys = scale(kind, lo, hi, bottom, top);

  // Grid and y axis.
  for (const t of ys.ticks) {
    const py = ys(t);
    body.push(`<line x1="${left}" y1="${fmt(py)}" x2="${fmt(left + plotW)}" y2="${fmt(py)}" stroke="#e3e3e3" stroke-width="1"/>`);
    body.push(text(left - 8, py, tickLabel(t), { size: 11, anchor: 'end', baseline: 'central', fill: '#444' }));
  }
  body.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333"/>`);
  body.push(`<line x1="${left}" y1="${bottom}" x2="${fmt(left + plotW)}" y2="${bottom}" stroke="#333"/>`);
  body.push(text(18, (top + bottom) / 2, spec.yLabel + (kind === 'log' ? ' (log scale)' : ''), { size: 12, anchor: 'middle', rotate: -90, fill: '#333' }));

  // Bars.
  const gw = plotW / Math.max(1, nC);
  spec.categories.forEach((c, ci) => {
    const gx = left + ci * gw + (gw - nS * barW) / 2;
    spec.series.forEach((s, si) => {
      const v = spec.values[c.key]?.[s.key];
      const x = gx + si * barW;
      if (typeof v === 'number' && Number.isFinite(v) && v > 0) {
        const py = ys(v);
        body.push(`<rect x="${fmt(x + 1)}" y="${fmt(py)}" width="${fmt(barW - 2)}" height="${fmt(Math.max(1, bottom - py))}" fill="${s.colour}"><title>${esc(`${s.label} — ${c.label}: ${valueLabel(v)}`)}</title></rect>`);
        if (barW >= 11) body.push(text(x + barW / 2, py - 4, valueLabel(v), { size: 9, anchor: 'start', rotate: -90, fill: '#333', baseline: 'central' }));
      } else if (typeof v === 'string') {
        body.push(text(x + barW / 2, bottom - 6, v, { size: 9, anchor: 'start', rotate: -90, fill: '#888', baseline: 'central' }));
      }
    });
    const cx = left + ci * gw + gw / 2;
    const size = textWidth(c.label, 12) > gw - 4 ? 10 : 12;
    body.push(text(cx, bottom + 18, c.label, { size, anchor: 'middle', weight: '600' }));
    if (c.sublabel) body.push(text(cx, bottom + 33, c.sublabel, { size: 10, anchor: 'middle', fill: '#555' }));
  });
  let height = bottom + (spec.categories.some((c) => c.sublabel) ? 44 : 30);
  if (spec.footnote) { body.push(text(left, height + 6, spec.footnote, { size: 11, fill: '#666' })); height += 18; }
  return svgDoc(width, height + 8, body, spec.title);
}
