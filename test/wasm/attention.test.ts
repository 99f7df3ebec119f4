/**
 * Attention's kernels (src/tensor/kernels/attention.ts, and their wasm stand-ins in
 * src/wasm/attention.ts) on both backends against float64 attention written here from the formula:
 *
 *   p = softmax(scale q k^T + mask), o = p v;  dv = p^T do, ds = p (dp - rowsum(dp p)) with dp = do v^T,
 *   dq = scale ds k, dk = scale ds^T q
 *
 * on odd sizes (tails of the 4-lane loops: E, Ev in 1, 2, 3, 5, 7, 16, 17, 21; L != S), causal and not, with
 * q, k, v read through strides from one shared storage (the head-split columns of a fused
 * projection, with an offset and gaps), outputs and dO contiguous or interleaved ([L, count, F],
 * torch's [B, L, H, E] order), and NaN. Tolerance: the kernels round the scores, the
 * weights and every sum to float32 (the wasm ones also accumulate in float32); with scores of
 * order 1 the softmax keeps relative errors of a few 1e-7 per step, so each result is held to
 * 1e-5 (1 + |exact|) plus 2^-22 times the sum of its terms' magnitudes.
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels, jsKernels } from '../../src/kernels/registry.js';
import type { AttentionSizes, MatrixBatch } from '../../src/tensor/kernels/attention.js';
import { expectWithin, normalF32 } from './support.js';

const wasm = createWasmKernels({ minSize: 0, minMacs: 0 });

/** count heads of [rows, F] laid out as in a fused [count / H, rows, 3 H F]-like buffer. */
interface Case {
  z: AttentionSizes;
  q: MatrixBatch;
  k: MatrixBatch;
  v: MatrixBatch;
}

/**
 * q, k, v of one storage: batch b's row i of q at 3 + b * 7 + i * row, k after q's features, v after k's,
 * rows `row` floats apart (row > E + E + Ev: gaps between rows).
 */
function makeCase(count: number, L: number, S: number, E: number, Ev: number, causal: boolean, seed: number): Case {
  const row = count * (2 * E + Ev) + 2;
  const rows = Math.max(L, S);
  const data = normalF32(3 + rows * row + 1, seed);
  const base = (shift: number) => Array.from({ length: count }, (_, b) => 3 + b * (2 * E + Ev) + shift);
  return {
    z: { count, L, S, E, Ev, scale: 1 / Math.sqrt(E), causal },
    q: { data, base: base(0), row, col: 1 },
    k: { data, base: base(E), row, col: 1 },
    v: { data, base: base(2 * E), row, col: 1 },
  };
}

const at = (m: MatrixBatch, b: number, i: number, e: number): number => m.data[m.base[b]! + i * m.row + e * m.col]!;

/**
 * count matrices [rows, F] in one fresh array: contiguous, or interleaved as [rows, count, F]
 * (attention's output in torch's [B, L, H, E] order); `values` reads them back in [count, rows, F] order.
 */
function matrices(count: number, rows: number, F: number, interleaved: boolean, fill = NaN) {
  const data = new Float32Array(count * rows * F).fill(fill);
  const m: MatrixBatch = interleaved
    ? { data, base: Array.from({ length: count }, (_, b) => b * F), row: count * F, col: 1 }
    : { data, base: Array.from({ length: count }, (_, b) => b * rows * F), row: F, col: 1 };
  const values = (): Float32Array => {
    const out = new Float32Array(count * rows * F);
    for (let b = 0; b < count; b++)
      for (let r = 0; r < rows; r++)
        for (let f = 0; f < F; f++) {
          out[(b * rows + r) * F + f] = at(m, b, r, f);
        }
    return out;
  };
  return { m, values };
}

/** Float64 attention forward and backward of a case, with each result's sum of |terms|. */
function reference({ z, q, k, v }: Case, dO: Float32Array) {
  // dO in [count, L, Ev] order
  const { count, L, S, E, Ev, scale, causal } = z;
  const p = new Float64Array(count * L * S);
  const o = new Float64Array(count * L * Ev);
  const oAbs = new Float64Array(count * L * Ev);
  const dq = new Float64Array(count * L * E);
  const dk = new Float64Array(count * S * E);
  const dv = new Float64Array(count * S * Ev);
  const [dqAbs, dkAbs, dvAbs] = [new Float64Array(dq.length), new Float64Array(dk.length), new Float64Array(dv.length)];
  for (let b = 0; b < count; b++) {
    for (let i = 0; i < L; i++) {
      const seen = causal ? Math.min(i + 1, S) : S;
      const s = Array.from({ length: seen }, (_, j) => {
        let d = 0;
        for (let e = 0; e < E; e++) d += at(q, b, i, e) * at(k, b, j, e);
        return scale * d;
      });
      const m = Math.max(...s);
      const ex = s.map((x) => Math.exp(x - m));
      const sum = ex.reduce((a, c) => a + c, 0);
      const pi = ex.map((x) => x / sum);
      pi.forEach((w, j) => (p[(b * L + i) * S + j] = w));
      const dp = pi.map((_, j) => {
        let d = 0;
        for (let f = 0; f < Ev; f++) d += dO[(b * L + i) * Ev + f]! * at(v, b, j, f);
        return d;
      });
      const inner = pi.reduce((a, w, j) => a + w * dp[j]!, 0);
      pi.forEach((w, j) => {
        const ds = w * (dp[j]! - inner);
        for (let f = 0; f < Ev; f++) {
          o[(b * L + i) * Ev + f] += w * at(v, b, j, f);
          oAbs[(b * L + i) * Ev + f] += Math.abs(w * at(v, b, j, f));
          dv[(b * S + j) * Ev + f] += w * dO[(b * L + i) * Ev + f]!;
          dvAbs[(b * S + j) * Ev + f] += Math.abs(w * dO[(b * L + i) * Ev + f]!);
        }
        for (let e = 0; e < E; e++) {
          dq[(b * L + i) * E + e] += scale * ds * at(k, b, j, e);
          dqAbs[(b * L + i) * E + e] += Math.abs(scale * ds * at(k, b, j, e));
          dk[(b * S + j) * E + e] += scale * ds * at(q, b, i, e);
          dkAbs[(b * S + j) * E + e] += Math.abs(scale * ds * at(q, b, i, e));
        }
      });
    }
  }
  return { p, o, oAbs, dq, dqAbs, dk, dkAbs, dv, dvAbs };
}

const bound = (exact: Float64Array, abs: Float64Array | null) => (i: number) =>
  1e-5 * (1 + Math.abs(exact[i]!)) + (abs === null ? 0 : 2 ** -22 * abs[i]!);

for (const kern of [jsKernels, wasm]) {
  describe(`${kern.name} attention kernels`, () => {
    const sizes: [number, number, number, number, number][] = [
      [1, 1, 1, 1, 1],
      [2, 3, 5, 3, 5],
      [3, 17, 17, 16, 16],
      [2, 5, 3, 17, 2],
      [2, 6, 9, 7, 21],
      [1, 32, 32, 16, 16],
    ];
    for (const [count, L, S, E, Ev] of sizes) {
      for (const causal of [false, true]) {
        const layout = causal ? 'outputs interleaved' : 'outputs contiguous';
        it(`count ${count}, L ${L}, S ${S}, E ${E}, Ev ${Ev}, ${causal ? 'causal' : 'no mask'}, ${layout}`, () => {
          const c = makeCase(count, L, S, E, Ev, causal, count + L + S + E + Ev);
          const gradOut = matrices(count, L, Ev, causal);
          const dO = normalF32(count * L * Ev, 99);
          gradOut.m.data.set(dO);
          const want = reference(c, gradOut.values());
          const p = new Float32Array(count * L * S).fill(NaN);
          const o = matrices(count, L, Ev, causal);
          kern.attentionForward(c.q, c.k, c.v, c.z, p, o.m);
          const label = `${kern.name} ${count} ${L} ${S} ${E} ${Ev} ${causal}`;
          expectWithin(p, want.p, bound(want.p, null), `${label} p`);
          expectWithin(o.values(), want.o, bound(want.o, want.oAbs), `${label} o`);
          const [dq, dk, dv] = [
            [L, E],
            [S, E],
            [S, Ev],
          ].map(([rows, F]) => matrices(count, rows!, F!, causal));
          kern.attentionBackward(c.q, c.k, c.v, c.z, p, gradOut.m, dq!.m, dk!.m, dv!.m);
          expectWithin(dq!.values(), want.dq, bound(want.dq, want.dqAbs), `${label} dq`);
          expectWithin(dk!.values(), want.dk, bound(want.dk, want.dkAbs), `${label} dk`);
          expectWithin(dv!.values(), want.dv, bound(want.dv, want.dvAbs), `${label} dv`);
        });
      }
    }

    it('writes only the gradients asked for, and nothing between interleaved rows', () => {
      const c = makeCase(2, 5, 4, 3, 6, true, 7);
      const dO = matrices(2, 5, 6, false);
      dO.m.data.set(normalF32(2 * 5 * 6, 8));
      const p = new Float32Array(2 * 5 * 4);
      kern.attentionForward(c.q, c.k, c.v, c.z, p, matrices(2, 5, 6, false).m);
      const shapes: [number, number][] = [
        [5, 3],
        [4, 3],
        [4, 6],
      ];
      const all = shapes.map(([rows, F]) => matrices(2, rows, F, false));
      kern.attentionBackward(c.q, c.k, c.v, c.z, p, dO.m, all[0]!.m, all[1]!.m, all[2]!.m);
      for (let mask = 0; mask < 8; mask++) {
        const some = shapes.map(([rows, F], i) => ((mask >> i) & 1 ? matrices(2, rows, F, true) : null));
        kern.attentionBackward(c.q, c.k, c.v, c.z, p, dO.m, some[0]?.m ?? null, some[1]?.m ?? null, some[2]?.m ?? null);
        some.forEach((a, i) => a !== null && expect(Array.from(a.values())).toEqual(Array.from(all[i]!.values())));
      }
      // a strided output with gaps: the gaps keep their values
      const gapped: MatrixBatch = { data: new Float32Array(2 * 5 * 8).fill(-3), base: [0, 40], row: 8, col: 1 };
      kern.attentionForward(c.q, c.k, c.v, c.z, p, gapped);
      for (let r = 0; r < 10; r++) expect(Array.from(gapped.data.subarray(r * 8 + 6, r * 8 + 8))).toEqual([-3, -3]);
    });

    it('a NaN in k spreads to the rows that see it, and only to them when causal', () => {
      const c = makeCase(1, 4, 4, 4, 4, true, 9);
      (c.k.data as Float32Array)[c.k.base[0]! + 2 * c.k.row + 1] = NaN; // key 2
      const p = new Float32Array(16);
      const out = matrices(1, 4, 4, false);
      kern.attentionForward(c.q, c.k, c.v, c.z, p, out.m);
      const o = out.values();
      expect(Array.from(o.subarray(0, 8)).some(Number.isNaN)).toBe(false); // queries 0 and 1 do not see key 2
      expect(Array.from(o.subarray(8)).every(Number.isNaN)).toBe(true);
    });
  });
}
