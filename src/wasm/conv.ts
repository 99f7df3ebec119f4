/**
 * The WebAssembly calls of the sliding-window kernels: conv2d forward and backward, max pooling and
 * average pooling forward and backward (conv.wat, and matmul.wat's pack_b / transpose /
 * gemm for the convolution's products). Each has the parameters of the TypeScript kernel of its
 * name (src/tensor/kernels/conv.ts, pool.ts) and returns true when done, false when the memory
 * cannot grow or a convolution has no input channels (the registry then runs the TypeScript kernel).
 *
 * ## conv2d
 * The images stream through the arena in chunks (about 256 Ki floats of x and y, or of x, dy and
 * dx, per chunk); one image's column matrix, its packed panels and its products stay in the arena,
 * so only x, the weight, dy and the results cross between JavaScript and the wasm memory:
 *   forward, per image b and group g:   cols = im2col(x[b]); y[b, g] = W[g] @ cols[g]  (pack_b, gemm)
 *   backward, per image b and group g:  dW[g] += dy[b, g] @ cols[g]^T     (dot_nt, add_f64)
 *                                       dcols[g] = W[g]^T @ dy[b, g]      (pack_b of dy, gemm)
 *                                       dx[b] = col2im(dcols)
 * The weight gradient is summed over images in float64 and rounded once, as the TypeScript kernel
 * does; the products accumulate in float32 (matmul.wat). dbias sums dy in float64.
 *
 * ## Pooling
 * x (or dy) is copied in whole with the tap or window tables, and y / argmax (or dx) copied out.
 * Max pooling with 2 x 2 windows at stride 2 and every window inside the input (the usual
 * downsampling) runs max_pool2d_2x2, four windows per vector; any other window, max_pool2d.
 */
import type { FloatArray } from '../tensor/dtype.js';
import type { AvgWindows, Window2d } from '../tensor/window.js';
import { wasmRuntime, type Arena } from './runtime.js';

type F32 = Float32Array;

/** Floats of x and y (or x, dy and dx) per streamed chunk of images. */
const CHUNK_FLOATS = 1 << 18;

/** Floats of one packed b [k, m] (matmul.wat's panels of 8 columns, zero-padded). */
function packedFloats(k: number, m: number): number {
  return Math.ceil(m / 8) * 8 * k;
}

/**
 * The indices t < count whose position first + t * step lies inside [0, size): a range [lo, hi)
 * (empty when none does). Used for the output rows / columns a kernel tap reads (im2col) and the
 * taps of a pooling window inside the input.
 */
function insideRange(first: number, step: number, size: number, count: number): [number, number] {
  const lo = Math.min(count, Math.max(0, Math.ceil(-first / step)));
  const hi = Math.max(lo, Math.min(count, Math.floor((size - 1 - first) / step) + 1));
  return [lo, hi];
}

/** Writes im2col's tap table (conv.wat's header) at `at`: [ohLo, ohHi, rowOff] per i, [lo, hi, colOff] per j. */
function putTaps(arena: Arena, at: number, g: Window2d): void {
  const taps = arena.i32(at, 3 * (g.kH + g.kW));
  for (let i = 0; i < g.kH; i++) {
    const off = i * g.dH - g.padTop;
    taps.set([...insideRange(off, g.sH, g.h, g.outH), off], 3 * i);
  }
  for (let j = 0; j < g.kW; j++) {
    const off = j * g.dW - g.padLeft;
    taps.set([...insideRange(off, g.sW, g.w, g.outW), off], 3 * (g.kH + j));
  }
}

/** Images per chunk when each image moves `floatsPerImage` floats through the arena. */
function imagesPerChunk(n: number, floatsPerImage: number): number {
  return Math.max(1, Math.min(n, Math.floor(CHUNK_FLOATS / Math.max(floatsPerImage, 1))));
}

/** The sizes of a convolution: O, O/G, K per group, L, and the floats of one image of x and of y. */
function convSizes(weight: FloatArray, g: Window2d, groups: number) {
  const k = (g.c / groups) * g.kH * g.kW;
  const o = weight.length / k;
  const L = g.outH * g.outW;
  return { o, og: o / groups, k, L, xImage: g.c * g.h * g.w, yImage: o * L, colsFloats: g.c * g.kH * g.kW * L };
}

/** The wasm calls of the sliding-window kernels (see the header); each returns true when done. */
export function createConvCalls() {
  const conv2dForward = (x: F32, weight: F32, bias: F32 | null, g: Window2d, groups: number, y: F32): boolean => {
    const { conv, matmul, arena } = wasmRuntime();
    const { o, og, k, L, xImage, yImage, colsFloats } = convSizes(weight, g, groups);
    if (k === 0) return false; // no input channels: the TypeScript kernel writes the bias alone
    const per = imagesPerChunk(g.n, xImage + yImage);
    arena.reset();
    const at = {
      w: arena.alloc(weight.length * 4),
      bias: arena.alloc(o * 4),
      taps: arena.alloc(12 * (g.kH + g.kW)),
      cols: arena.alloc(colsFloats * 4),
      bp: arena.alloc(packedFloats(k, L) * 4),
      x: arena.alloc(per * xImage * 4),
      y: arena.alloc(per * yImage * 4),
    };
    if (!arena.commit()) return false;
    arena.f32(at.w, weight.length).set(weight);
    if (bias !== null) arena.f32(at.bias, o).set(bias.subarray(0, o));
    putTaps(arena, at.taps, g);
    for (let first = 0; first < g.n; first += per) {
      const images = Math.min(per, g.n - first);
      arena.f32(at.x, images * xImage).set(x.subarray(first * xImage, (first + images) * xImage));
      for (let b = 0; b < images; b++) {
        conv.im2col(at.x + b * xImage * 4, at.cols, g.c, g.h, g.w, g.kH, g.kW, g.sH, g.sW, g.outH, g.outW, at.taps);
        for (let gi = 0; gi < groups; gi++) {
          matmul.pack_b(at.cols + gi * k * L * 4, k, L, at.bp);
          matmul.gemm(at.w + gi * og * k * 4, at.bp, at.y + (b * o + gi * og) * L * 4, og, k, L);
        }
      }
      if (bias !== null) conv.add_bias(at.y, at.bias, images, o, L);
      y.set(arena.f32(at.y, images * yImage), first * yImage);
    }
    return true;
  };

  const conv2dBackward = (
    x: F32,
    weight: F32,
    dy: F32,
    g: Window2d,
    groups: number,
    dx: F32 | null,
    dweight: F32 | null,
    dbias: F32 | null,
  ): boolean => {
    const { conv, matmul, arena } = wasmRuntime();
    const { o, og, k, L, xImage, yImage, colsFloats } = convSizes(weight, g, groups);
    if (k === 0) return false; // no input channels: the TypeScript kernel sums dbias alone
    const per = imagesPerChunk(g.n, (dweight !== null ? xImage : 0) + yImage + (dx !== null ? xImage : 0));
    arena.reset();
    const at = {
      w: arena.alloc(weight.length * 4),
      wT: arena.alloc(weight.length * 4),
      taps: arena.alloc(12 * (g.kH + g.kW)),
      cols: arena.alloc(colsFloats * 4),
      bp: arena.alloc(packedFloats(og, L) * 4),
      product: arena.alloc(og * k * 4),
      dw: arena.alloc(groups * og * k * 8),
      dbias: arena.alloc(o * 8),
      x: arena.alloc(dweight !== null ? per * xImage * 4 : 0),
      dy: arena.alloc(per * yImage * 4),
      dx: arena.alloc(dx !== null ? per * xImage * 4 : 0),
    };
    if (!arena.commit()) return false;
    putTaps(arena, at.taps, g);
    arena.f64(at.dw, groups * og * k).fill(0);
    arena.f64(at.dbias, o).fill(0);
    if (dx !== null) {
      arena.f32(at.w, weight.length).set(weight);
      for (let gi = 0; gi < groups; gi++) matmul.transpose(at.w + gi * og * k * 4, og, k, at.wT + gi * og * k * 4);
    }
    for (let first = 0; first < g.n; first += per) {
      const images = Math.min(per, g.n - first);
      arena.f32(at.dy, images * yImage).set(dy.subarray(first * yImage, (first + images) * yImage));
      if (dweight !== null) {
        arena.f32(at.x, images * xImage).set(x.subarray(first * xImage, (first + images) * xImage));
      }
      for (let b = 0; b < images; b++) {
        const dyAt = (gi: number): number => at.dy + (b * o + gi * og) * L * 4;
        if (dweight !== null) {
          conv.im2col(at.x + b * xImage * 4, at.cols, g.c, g.h, g.w, g.kH, g.kW, g.sH, g.sW, g.outH, g.outW, at.taps);
          for (let gi = 0; gi < groups; gi++) {
            // dW[g] [og, k] += dy[b, g] [og, L] @ cols[g]^T (cols[g] [k, L]), both read along rows
            conv.dot_nt(dyAt(gi), at.cols + gi * k * L * 4, at.product, og, L, k);
            conv.add_f64(at.dw + gi * og * k * 8, at.product, og * k);
          }
        }
        if (dx !== null) {
          for (let gi = 0; gi < groups; gi++) {
            // dcols[g] [k, L] = W[g]^T [k, og] @ dy[b, g] [og, L]
            matmul.pack_b(dyAt(gi), og, L, at.bp);
            matmul.gemm(at.wT + gi * og * k * 4, at.bp, at.cols + gi * k * L * 4, k, og, L);
          }
          const dxAt = at.dx + b * xImage * 4;
          conv.col2im(at.cols, dxAt, g.c, g.h, g.w, g.kH, g.kW, g.sH, g.sW, g.outH, g.outW, at.taps);
        }
      }
      if (dbias !== null) conv.channel_sums(at.dy, at.dbias, images, o, L);
      if (dx !== null) dx.set(arena.f32(at.dx, images * xImage), first * xImage);
    }
    if (dweight !== null) dweight.set(arena.f64(at.dw, groups * og * k));
    if (dbias !== null) dbias.set(arena.f64(at.dbias, o));
    return true;
  };

  const maxPool2dForward = (x: F32, g: Window2d, y: F32, argmax: Int32Array): boolean => {
    const { conv, arena } = wasmRuntime();
    const planes = g.n * g.c;
    const outSize = planes * g.outH * g.outW;
    arena.reset();
    const at = {
      x: arena.alloc(x.length * 4),
      y: arena.alloc(outSize * 4),
      argmax: arena.alloc(outSize * 4),
      rowTaps: arena.alloc(g.outH * 8),
      colTaps: arena.alloc(g.outW * 8),
    };
    if (!arena.commit()) return false;
    arena.f32(at.x, x.length).set(x);
    const plain2x2 =
      g.kH === 2 &&
      g.kW === 2 &&
      g.sH === 2 &&
      g.sW === 2 &&
      g.padTop === 0 &&
      g.padLeft === 0 &&
      g.dH === 1 &&
      g.dW === 1 &&
      2 * g.outH <= g.h &&
      2 * g.outW <= g.w;
    if (plain2x2) {
      conv.max_pool2d_2x2(at.x, at.y, at.argmax, planes, g.h, g.w, g.outH, g.outW);
    } else {
      const rows = arena.i32(at.rowTaps, 2 * g.outH);
      for (let oh = 0; oh < g.outH; oh++) rows.set(insideRange(oh * g.sH - g.padTop, g.dH, g.h, g.kH), 2 * oh);
      const cols = arena.i32(at.colTaps, 2 * g.outW);
      for (let ow = 0; ow < g.outW; ow++) cols.set(insideRange(ow * g.sW - g.padLeft, g.dW, g.w, g.kW), 2 * ow);
      conv.max_pool2d(
        at.x,
        at.y,
        at.argmax,
        planes,
        g.h,
        g.w,
        g.sH,
        g.sW,
        g.padTop,
        g.padLeft,
        g.dH,
        g.dW,
        g.outH,
        g.outW,
        at.rowTaps,
        at.colTaps,
      );
    }
    y.set(arena.f32(at.y, outSize));
    argmax.set(arena.i32(at.argmax, outSize));
    return true;
  };

  const maxPool2dBackward = (dy: F32, argmax: Int32Array, dx: F32): boolean => {
    const { conv, arena } = wasmRuntime();
    arena.reset();
    const at = { dy: arena.alloc(dy.length * 4), argmax: arena.alloc(dy.length * 4), dx: arena.alloc(dx.length * 4) };
    if (!arena.commit()) return false;
    arena.f32(at.dy, dy.length).set(dy);
    arena.i32(at.argmax, dy.length).set(argmax.subarray(0, dy.length));
    conv.max_pool2d_backward(at.dy, at.argmax, dy.length, at.dx, dx.length);
    dx.set(arena.f32(at.dx, dx.length));
    return true;
  };

  /** Average pooling: the window table copied in, then `run(x, y)` over the whole input. */
  const withWindows = (win: AvgWindows, input: F32, output: F32, forward: boolean): boolean => {
    const { conv, arena } = wasmRuntime();
    const outSize = win.outH * win.outW;
    arena.reset();
    const at = {
      bounds: arena.alloc(outSize * 16),
      divisor: arena.alloc(outSize * 8),
      input: arena.alloc(input.length * 4),
      output: arena.alloc(output.length * 4),
    };
    if (!arena.commit()) return false;
    arena.i32(at.bounds, outSize * 4).set(win.bounds);
    arena.f64(at.divisor, outSize).set(win.divisor);
    arena.f32(at.input, input.length).set(input);
    const run = forward ? conv.avg_pool2d : conv.avg_pool2d_backward;
    run(at.input, at.output, win.planes, win.h, win.w, outSize, at.bounds, at.divisor);
    output.set(arena.f32(at.output, output.length));
    return true;
  };

  const avgPoolForward = (x: F32, win: AvgWindows, y: F32): boolean => withWindows(win, x, y, true);
  const avgPoolBackward = (dy: F32, win: AvgWindows, dx: F32): boolean => withWindows(win, dy, dx, false);

  return { conv2dForward, conv2dBackward, maxPool2dForward, maxPool2dBackward, avgPoolForward, avgPoolBackward };
}
