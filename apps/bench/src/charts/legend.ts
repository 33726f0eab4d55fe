import { fmt, text, textWidth } from './svg.js';

export interface LegendItem { label: string; colour: string; dashed?: boolean; line?: boolean }

/** A wrapping row legend starting at (x, y) within `width`; returns the SVG and the height used. */
export function legend(items: readonly LegendItem[], x: number, y: number, width: number, size = 12): { svg: string[]; height: number } {
  const svg: string[] = [];
  const rowH = size + 8;
  let cx = x, cy = y;
  for (const it of items) {
    const w = 18 + textWidth(it.label, size) + 16;
    if (cx + w > x + width && cx > x) { cx = x; cy += rowH; }
    const mid = cy + size / 2;
    if (it.line) {
      svg.push(`<line x1="${fmt(cx)}" y1="${fmt(mid)}" x2="${fmt(cx + 14)}" y2="${fmt(mid)}" stroke="${it.colour}" stroke-width="2.5"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    } else {
      svg.push(`<rect x="${fmt(cx)}" y="${fmt(cy + 1)}" width="12" height="12" rx="2" fill="${it.colour}"/>`);
    }
    svg.push(text(cx + 18, mid, it.label, { size, baseline: 'central' }));
    cx += w;
  }
  return { svg, height: cy - y + rowH };
}
