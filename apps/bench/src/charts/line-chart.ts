import { legend } from './legend.js';
import { esc, fmt, scale, svgDoc, text, tickLabel } from './svg.js';

export interface LineSeries { label: string; colour: string; points: ReadonlyArray<readonly [number, number]>; dashed?: boolean }

export interface LinePanel { title: string; subtitle?: string; series: readonly LineSeries[] }

export interface LineChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** Side by side panels sharing axes' meaning (e.g. one per model). */
  panels: readonly LinePanel[];
  /** Draws y = x (perfect speedup) in every panel. */
  ideal?: boolean;
  footnote?: string;
}

/** Lines with markers over a numeric x axis, in one or more panels; a dashed ideal y = x when asked. */
export function lineChart(spec: LineChartSpec): string {
  const panelH = 260, gap = 40, left = 64, right = 24;
  const n = Math.max(1, spec.panels.length);
  // Panels share at least 680 px, so a single panel still fits its title and legend.
  const panelW = Math.max(330, (680 - left - right - (n - 1) * gap) / n);
  const width = left + n * panelW + (n - 1) * gap + right;
  const body: string[] = [];
  body.push(text(left, 26, spec.title, { size: 17, weight: '600' }));
  let y = 30;
  if (spec.subtitle) { body.push(text(left, 48, spec.subtitle, { size: 12, fill: '#555' })); y = 52; }
  // One legend for all panels: series labels in the first panel's order, plus the ideal line.
  const seen = new Map<string, { colour: string; dashed?: boolean }>();
  for (const p of spec.panels) for (const s of p.series) if (!seen.has(s.label)) seen.set(s.label, { colour: s.colour, dashed: s.dashed });
  const items = [...seen].map(([label, v]) => ({ label, colour: v.colour, dashed: v.dashed, line: true }));
  if (spec.ideal) items.push({ label: 'ideal (speedup = threads)', colour: '#999999', dashed: true, line: true });
  const lg = legend(items, left, y + 8, width - left - right);
  body.push(...lg.svg);
  const top = y + 8 + lg.height + 30;
  const bottom = top + panelH;

  spec.panels.forEach((p, i) => {
    const x0 = left + i * (panelW + gap), x1 = x0 + panelW;
    const xs = p.series.flatMap((s) => s.points.map((q) => q[0]));
    const ysv = p.series.flatMap((s) => s.points.map((q) => q[1])).filter(Number.isFinite);
    const xmin = Math.min(...xs, 1), xmax = Math.max(...xs, 2);
    const ymax = Math.max(...ysv, spec.ideal ? xmax : 0, 1) * 1.1;
    const sx = scale('linear', xmin, xmax, x0, x1);
    const sy = scale('linear', 0, ymax, bottom, top);
    body.push(text(x0, top - 12, p.title, { size: 13, weight: '600' }));
    if (p.subtitle) body.push(text(x1, top - 12, p.subtitle, { size: 10, anchor: 'end', fill: '#666' }));
    for (const t of sy.ticks) {
      const py = sy(t);
      body.push(`<line x1="${fmt(x0)}" y1="${fmt(py)}" x2="${fmt(x1)}" y2="${fmt(py)}" stroke="#e6e6e6"/>`);
      body.push(text(x0 - 7, py, tickLabel(t), { size: 11, anchor: 'end', baseline: 'central', fill: '#444' }));
    }
    const xticks = [...new Set(xs)].sort((a, b) => a - b);
    for (const t of xticks) {
      const px = sx(t);
      body.push(`<line x1="${fmt(px)}" y1="${bottom}" x2="${fmt(px)}" y2="${bottom + 5}" stroke="#333"/>`);
      body.push(text(px, bottom + 18, tickLabel(t), { size: 11, anchor: 'middle', fill: '#444' }));
    }
    body.push(`<line x1="${fmt(x0)}" y1="${top}" x2="${fmt(x0)}" y2="${bottom}" stroke="#333"/>`);
    body.push(`<line x1="${fmt(x0)}" y1="${bottom}" x2="${fmt(x1)}" y2="${bottom}" stroke="#333"/>`);
    body.push(text((x0 + x1) / 2, bottom + 36, spec.xLabel, { size: 12, anchor: 'middle', fill: '#333' }));
    if (i === 0) body.push(text(18, (top + bottom) / 2, spec.yLabel, { size: 12, anchor: 'middle', rotate: -90, fill: '#333' }));
    if (spec.ideal) {
      const a = Math.max(sx.lo, sy.lo), b = Math.min(sx.hi, sy.hi);
      body.push(`<line x1="${fmt(sx(a))}" y1="${fmt(sy(a))}" x2="${fmt(sx(b))}" y2="${fmt(sy(b))}" stroke="#999" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    }
    for (const s of p.series) {
      const pts = s.points.filter((q) => Number.isFinite(q[1])).map((q) => ({ q, px: sx(q[0]), py: sy(q[1]) }));
      if (pts.length > 1) body.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map((pt) => `${fmt(pt.px)},${fmt(pt.py)}`).join(' ')}"/>`);
      for (const pt of pts) {
        body.push(`<circle cx="${fmt(pt.px)}" cy="${fmt(pt.py)}" r="4" fill="#fff" stroke="${s.colour}" stroke-width="2"><title>${esc(`${s.label}: ${pt.q[1].toFixed(2)} at ${pt.q[0]}`)}</title></circle>`);
      }
    }
  });
  let height = bottom + 48;
  if (spec.footnote) { body.push(text(left, height, spec.footnote, { size: 11, fill: '#666' })); height += 16; }
  return svgDoc(width, height + 6, body, spec.title);
}
