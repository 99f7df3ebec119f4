/// <reference lib="dom" />
/**
 * Line plots on a canvas for the browser page: each series scaled into the canvas together (the
 * y range spans all values; `log` plots log10 of them), x spread over `steps` points.
 */

/** Draws `series` on `canvas`, clearing it first. */
export function draw(
  canvas: HTMLCanvasElement,
  series: { values: number[]; color: string; xs?: number[] }[],
  opts: { log: boolean; steps?: number; yMin?: number; yMax?: number; yTicks?: number[] },
): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = 24;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const all = series.flatMap((s) => s.values).map((v) => (opts.log ? Math.log10(v) : v));
  if (all.length === 0) return;
  const lo = opts.yMin ?? Math.min(...all);
  const hi = opts.yMax ?? Math.max(...all);
  const span = hi - lo || 1;
  ctx.font = '11px sans-serif';
  for (const t of opts.yTicks ?? []) {
    const y = height - pad - ((height - 2 * pad) * (t - lo)) / span;
    ctx.fillStyle = '#6b7280';
    ctx.fillText(String(t), 2, y + 4);
    ctx.fillStyle = '#e5e7eb';
    ctx.fillRect(pad, y, width - 2 * pad, 1);
  }
  const n = opts.steps ?? Math.max(...series.map((s) => s.values.length));
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((raw, i) => {
      const v = Math.min(Math.max(opts.log ? Math.log10(raw) : raw, lo), hi);
      const x = pad + ((width - 2 * pad) * i) / Math.max(n - 1, 1);
      const y = height - pad - ((height - 2 * pad) * (v - lo)) / span;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}
