/**
 * The descriptions of a 2-D sliding window that the TypeScript kernels (src/tensor/kernels/conv.ts,
 * pool.ts) and their WebAssembly stand-ins (src/wasm/conv.ts) share: data, no kernel.
 */

/** Sizes, strides, padding and dilation of one 2-D sliding-window operation (conv or pool). */
export interface Window2d {
  /** Batch size. */
  readonly n: number;
  /** Channels of the input. */
  readonly c: number;
  /** Input height and width. */
  readonly h: number;
  readonly w: number;
  /** Kernel (window) height and width. */
  readonly kH: number;
  readonly kW: number;
  /** Strides. */
  readonly sH: number;
  readonly sW: number;
  /** Zero padding before the first row / column (padding after is implied by outH / outW). */
  readonly padTop: number;
  readonly padLeft: number;
  /** Dilation: the distance between kernel taps. */
  readonly dH: number;
  readonly dW: number;
  /** Output height and width. */
  readonly outH: number;
  readonly outW: number;
}

/**
 * The windows of an average pooling, one per output position (shared by every (n, c) plane):
 * rows [bounds[4p], bounds[4p+1]) and columns [bounds[4p+2], bounds[4p+3]) of the input, and the
 * number the window sum is divided by. Built once per call by `avgPoolWindows` or
 * `adaptiveAvgPoolWindows`; the forward and backward loops only read it.
 */
export interface AvgWindows {
  /** N * C. */
  readonly planes: number;
  readonly h: number;
  readonly w: number;
  readonly outH: number;
  readonly outW: number;
  /** [outH * outW * 4]: row start, row end, column start, column end. */
  readonly bounds: Int32Array;
  /** [outH * outW]. */
  readonly divisor: Float64Array;
}
