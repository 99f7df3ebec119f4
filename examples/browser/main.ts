/// <reference lib="dom" />
/**
 * The browser example: trains a tiny network live and draws its loss curve on a canvas.
 *
 * `./typegrad.js` is the library as one ES module (build.ts bundles it from src/index.ts), so
 * this is exactly what a page without a bundler does. Run it with
 *   npx tsx examples/browser/build.ts --serve
 * and open the printed address.
 *
 * The page also exposes `window.typegradPage` so the end-to-end test (test/browser) can run every
 * norm layer here and compare the numbers with Node's.
 */
import * as tg from './typegrad.js';
import { availableBackends, createRegression, runNormCases } from './shared.js';

const STEPS = 300;
const STEPS_PER_FRAME = 10;

function draw(
  canvas: HTMLCanvasElement,
  series: { values: number[]; color: string; xs?: number[] }[],
  opts: { log: boolean; steps?: number },
): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const pad = 24;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  const all = series.flatMap((s) => s.values).map((v) => (opts.log ? Math.log10(v) : v));
  if (all.length === 0) return;
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const span = hi - lo || 1;
  const n = opts.steps ?? Math.max(...series.map((s) => s.values.length));
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.values.forEach((raw, i) => {
      const v = opts.log ? Math.log10(raw) : raw;
      const x = pad + ((width - 2 * pad) * i) / Math.max(n - 1, 1);
      const y = height - pad - ((height - 2 * pad) * (v - lo)) / span;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

async function main(): Promise<number[]> {
  const status = document.getElementById('status')!;
  const lossCanvas = document.getElementById('loss') as HTMLCanvasElement;
  const fitCanvas = document.getElementById('fit') as HTMLCanvasElement;
  const model = createRegression(tg);
  const losses: number[] = [];
  while (losses.length < STEPS) {
    for (let i = 0; i < STEPS_PER_FRAME && losses.length < STEPS; i++) losses.push(model.step());
    draw(lossCanvas, [{ values: losses, color: '#dc2626' }], { log: true, steps: STEPS });
    const { target, prediction } = model.predict();
    draw(
      fitCanvas,
      [
        { values: target, color: '#9ca3af' },
        { values: prediction, color: '#2563eb' },
      ],
      { log: false },
    );
    status.textContent = `backend ${tg.getBackend()}  step ${losses.length}/${STEPS}  loss ${losses[losses.length - 1]!.toFixed(5)}`;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  status.textContent += '  done';
  return losses;
}

declare global {
  interface Window {
    typegradPage: {
      /** Resolves to the loss of every step once training is done. */
      training: Promise<number[]>;
      runNormCases: (backend: string) => ReturnType<typeof runNormCases>;
      backends: () => string[];
      /** The same regression on `backend`, without drawing (for the exact Node comparison). */
      regressionLosses: (backend: string, steps: number) => number[];
    };
  }
}

window.typegradPage = {
  training: main(),
  runNormCases: (backend) => runNormCases(tg, backend),
  backends: () => availableBackends(tg),
  regressionLosses: (backend, steps) => {
    const previous = tg.getBackend();
    tg.setBackend(backend);
    try {
      const model = createRegression(tg);
      return Array.from({ length: steps }, () => model.step());
    } finally {
      tg.setBackend(previous);
    }
  },
};
