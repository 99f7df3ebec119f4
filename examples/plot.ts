/**
 * A line chart as hand-written SVG (no dependency): one polyline per series on shared axes, grid
 * lines, tick labels, axis titles and a legend. Histograms are drawn the same way, as the lecture
 * plots them: one line per layer through (bin center, density), see `histogramChart`.
 */

/** One curve: points (x, y) in data units, drawn in `color`. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

/** What to draw. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** The y range shown (data outside is clipped to it). */
  yMin: number;
  yMax: number;
  /** Format of the y tick labels (default: the number). */
  yFormat?: (v: number) => string;
  /** The x range shown (default: 0 to the largest x). */
  xMin?: number;
  xMax?: number;
  /** Dashed horizontal reference lines, e.g. the update-ratio guide at -3. */
  guides?: { y: number; label: string }[];
  /** Where the legend sits (default: bottom right); 'outside' widens the SVG and puts it right of the plot. */
  legend?: 'bottom-right' | 'top-right' | 'top-left' | 'outside';
}

const W = 720;
const H = 440;
const M = { left: 72, right: 24, top: 48, bottom: 60 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** "Nice" tick positions (1, 2 or 5 times a power of ten) covering [lo, hi], about `count` of them. */
function ticks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The chart as an SVG document. */
export function lineChart(series: Series[], opts: ChartOptions): string {
  const xMin = opts.xMin ?? 0;
  const xMax = opts.xMax ?? Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const px = (x: number): number => M.left + ((x - xMin) / (xMax - xMin)) * (W - M.left - M.right);
  const py = (y: number): number => {
    const c = Math.min(Math.max(y, opts.yMin), opts.yMax);
    return H - M.bottom - ((c - opts.yMin) / (opts.yMax - opts.yMin)) * (H - M.top - M.bottom);
  };
  const fmtY = opts.yFormat ?? ((v: number) => String(v));
  const legendWidth = Math.max(200, 44 + 7 * Math.max(0, ...series.map((s) => s.name.length)));
  const legend = opts.legend ?? 'bottom-right';
  const totalWidth = legend === 'outside' ? W + legendWidth : W;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${totalWidth}" height="${H}" viewBox="0 0 ${totalWidth} ${H}" ` +
      `font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  parts.push(`<rect width="${totalWidth}" height="${H}" fill="white"/>`);
  parts.push(
    `<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${escape(opts.title)}</text>`,
  );
  for (const y of ticks(opts.yMin, opts.yMax, 6)) {
    parts.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(y).toFixed(1)}" y2="${py(y).toFixed(1)}" stroke="#e4e4e4"/>`,
    );
    parts.push(
      `<text x="${M.left - 8}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end" fill="#444">${escape(fmtY(y))}</text>`,
    );
  }
  for (const x of ticks(xMin, xMax, 8)) {
    parts.push(
      `<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#f0f0f0"/>`,
    );
    parts.push(`<text x="${px(x).toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle" fill="#444">${x}</text>`);
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#888"/>`,
  );
  parts.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 16}" text-anchor="middle">${escape(opts.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(20 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(opts.yLabel)}</text>`,
  );
  for (const g of opts.guides ?? []) {
    const y = py(g.y).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#555" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${M.left + 6}" y="${Number(y) + 16}" fill="#555">${escape(g.label)}</text>`);
  }
  for (const s of series) {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.2" stroke-linejoin="round"/>`,
    );
  }
  if (legend === 'top-right' || legend === 'top-left') {
    const x = legend === 'top-left' ? M.left + 4 : W - M.right - legendWidth - 8;
    parts.push(
      `<rect x="${x}" y="${M.top + 4}" width="${legendWidth}" height="${series.length * 22 + 6}" fill="white" ` +
        `fill-opacity="0.85"/>`,
    );
  }
  series.forEach((s, i) => {
    const y = legend === 'bottom-right' ? H - M.bottom - 20 - (series.length - 1 - i) * 22 : M.top + 18 + i * 22;
    const left = legend === 'top-left' ? M.left + 12 : W - M.right - legendWidth;
    const x = legend === 'outside' ? W - M.right + 16 : left;
    parts.push(`<line x1="${x}" x2="${x + 28}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${x + 36}" y="${y + 4}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** One histogram per series (bin centers and densities, e.g. from torch.histogram(density=True)). */
export interface HistogramSeries {
  name: string;
  color: string;
  centers: number[];
  density: number[];
}

/** Histograms overlaid as lines on shared axes, the x range spanning every series' bins. */
export function histogramChart(
  series: HistogramSeries[],
  opts: Omit<ChartOptions, 'yMin' | 'yMax'> & { yMax?: number },
): string {
  const xs = series.flatMap((s) => s.centers);
  // Head room above the highest bin for the legend (22 px a line on a plot area 332 px high).
  const legendShare = (series.length * 22 + 16) / (H - M.top - M.bottom);
  const yMax = opts.yMax ?? Math.max(...series.flatMap((s) => s.density)) / (1 - legendShare);
  return lineChart(
    series.map((s) => ({
      name: s.name,
      color: s.color,
      points: s.centers.map((c, i): [number, number] => [c, s.density[i]!]),
    })),
    {
      legend: 'top-right',
      ...opts,
      xMin: opts.xMin ?? Math.min(...xs),
      xMax: opts.xMax ?? Math.max(...xs),
      yMin: 0,
      yMax,
    },
  );
}

/** Ten distinguishable line colors (matplotlib's tab10). */
export const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
