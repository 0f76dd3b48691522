/**
 * Minimal, dependency-free SVG charts for the HTML report: line and point series on linear
 * axes with ticks and a legend. Pure: data in, markup out.
 */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** 'line' joins points, 'points' draws dots, 'step' draws a sample-and-hold line. */
  readonly style: 'line' | 'points' | 'step';
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  /** Fixed y range; default from the data. */
  readonly yMin?: number;
  readonly yMax?: number;
  /** Category labels for integer y values (e.g. action labels). */
  readonly yCategories?: readonly string[];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function svgChart(series: readonly Series[], o: ChartOptions): string {
  const W = o.width ?? 900, H = o.height ?? 260;
  // the legend gets a column of its own right of the plot: drawn over the curves it hid them
  const legendW = series.length > 0 ? 10 + 14 + 7 * Math.max(...series.map((s) => s.name.length)) : 0;
  const m = { l: o.yCategories ? 110 : 60, r: 20 + legendW, t: 28, b: 40 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const xMin = Math.min(...xs, 0), xMax = Math.max(...xs, 1);
  const yMin = o.yMin ?? Math.min(...ys, 0), yMax = o.yMax ?? Math.max(...ys, 1);
  const sx = (x: number) => m.l + ((x - xMin) / (xMax - xMin || 1)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((Math.min(Math.max(y, yMin), yMax) - yMin) / (yMax - yMin || 1)) * (H - m.t - m.b);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`];
  parts.push(`<text x="${m.l}" y="16" font-size="13" font-weight="bold">${esc(o.title)}</text>`);
  const yTicks = o.yCategories ? o.yCategories.map((_, i) => i).filter((i) => i >= yMin && i <= yMax) : niceTicks(yMin, yMax, 5);
  for (const t of yTicks) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${sy(t) + 4}" text-anchor="end">${esc(o.yCategories ? o.yCategories[t] ?? String(t) : String(t))}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 8)) parts.push(`<text x="${sx(t)}" y="${H - m.b + 14}" text-anchor="middle">${t}</text>`);
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" stroke="#888"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#888"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(12 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (s.style === 'points') {
      for (const [x, y] of pts) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.2" fill="${s.color}" fill-opacity="0.75"/>`);
    } else if (pts.length > 0) {
      const d: string[] = [];
      pts.forEach(([x, y], k) => {
        if (k > 0 && s.style === 'step') d.push(`L${sx(x).toFixed(1)},${sy(pts[k - 1]![1]).toFixed(1)}`);
        d.push(`${k === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      });
      parts.push(`<path d="${d.join('')}" fill="none" stroke="${s.color}" stroke-width="1.4"/>`);
    }
    const lx = W - legendW, ly = m.t + 4 + i * 14;
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="${ly + 1}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
