/**
 * Why tensor storage stays in JavaScript memory (docs/wasm.md, "Where tensors live"): the evidence.
 *
 * Keeping tensors inside the WebAssembly memory would save the copies in and out of every kernel
 * call, but something must then free a tensor's block when the tensor dies. Without tidy/dispose
 * (issue 5 rules them out) the only signal JavaScript gives is a FinalizationRegistry callback,
 * and V8 runs those callbacks as separate tasks: never while a synchronous loop runs, and not
 * between microtasks either. A training loop is exactly such a loop (examples/demo.ts is
 * synchronous), so wasm-resident storage would grow without bound for the whole run.
 *
 * This script shows it: it registers every "tensor" of a loop and counts the callbacks that ran
 * during the loop, for a synchronous loop, an async loop that awaits a resolved promise (a
 * microtask), and an async loop that yields to the event loop (a macrotask).
 *
 *   npx tsx bench/finalizers.ts
 */
const STEPS = 20_000;
let finalized = 0;
const registry = new FinalizationRegistry<number>(() => {
  finalized++;
});

/** One "training step": a tensor-like object with 256 KiB of storage, registered, then dropped. */
function step(): number {
  const tensor = { data: new Float32Array(1 << 16) };
  registry.register(tensor, 0);
  return tensor.data.length;
}

const yieldMacrotask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function measure(name: string, pause: (() => Promise<void> | void) | null): Promise<void> {
  await yieldMacrotask(); // let the previous loop's callbacks run first
  await yieldMacrotask();
  finalized = 0;
  for (let i = 0; i < STEPS; i++) {
    step();
    if (pause !== null && i % 1000 === 999) await pause();
  }
  const during = finalized;
  await yieldMacrotask();
  await yieldMacrotask();
  console.log(
    `${name.padEnd(48)} ${String(during).padStart(6)} of ${STEPS} finalized during the loop (${finalized} once it yielded)`,
  );
}

await measure('synchronous loop', null);
await measure('async loop, awaits a microtask every 1000 steps', () => Promise.resolve());
await measure('async loop, yields a macrotask every 1000 steps', yieldMacrotask);
