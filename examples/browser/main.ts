/// <reference lib="dom" />
/**
 * The browser example: trains a tiny network live and draws its loss curve on a canvas.
 *
 * `./typegrad.js` is the library as one ES module (build.ts bundles it from src/index.ts), so
 * this is exactly what a page without a bundler does. Run it with
 *   npx tsx examples/browser/build.ts --serve
 * and open the printed address.
 *
 * The second section (makemore.ts) trains the makemore MLP on names when its button is clicked.
 *
 * The page also exposes `window.typegradPage` so the end-to-end test (test/browser) can run every
 * norm layer here and compare the numbers with Node's.
 */
import * as tg from './typegrad.js';
import { draw } from './canvas.js';
import { startMakemore, type MakemoreRun } from './makemore.js';
import { availableBackends, createRegression, runNormCases } from './shared.js';

const STEPS = 300;
const STEPS_PER_FRAME = 10;

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
      /** The makemore run the Train button started (null before the first click). */
      makemore: Promise<MakemoreRun> | null;
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
  makemore: null,
};

document.getElementById('makemore-start')!.addEventListener('click', () => {
  window.typegradPage.makemore = startMakemore();
});
