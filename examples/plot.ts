/**
 * A line chart as hand-written SVG (no dependency): one polyline per series on shared axes, grid
 * lines, tick labels, axis titles and a legend.
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
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const px = (x: number): number => M.left + (x / xMax) * (W - M.left - M.right);
  const py = (y: number): number => {
    const c = Math.min(Math.max(y, opts.yMin), opts.yMax);
    return H - M.bottom - ((c - opts.yMin) / (opts.yMax - opts.yMin)) * (H - M.top - M.bottom);
  };
  const fmtY = opts.yFormat ?? ((v: number) => String(v));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
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
  for (const x of ticks(0, xMax, 8)) {
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
  for (const s of series) {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.2" stroke-linejoin="round"/>`,
    );
  }
  series.forEach((s, i) => {
    const y = H - M.bottom - 20 - (series.length - 1 - i) * 22;
    const x = W - M.right - 200;
    parts.push(`<line x1="${x}" x2="${x + 28}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${x + 36}" y="${y + 4}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
