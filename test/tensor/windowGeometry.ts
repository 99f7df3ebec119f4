/**
 * Random sliding-window geometries (src/tensor/kernels/conv.ts's Window2d) for the property tests
 * of the conv and pooling kernels: small inputs, padding up to 4, stride and dilation up to 3, and
 * only geometries with at least one output position.
 */
import fc from 'fast-check';
import { windowOutSize } from '../../src/tensor/kernels/conv.js';

export const windowGeometry = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    kH: fc.integer({ min: 1, max: 4 }),
    kW: fc.integer({ min: 1, max: 4 }),
    sH: fc.integer({ min: 1, max: 3 }),
    sW: fc.integer({ min: 1, max: 3 }),
    padTop: fc.integer({ min: 0, max: 4 }),
    padLeft: fc.integer({ min: 0, max: 4 }),
    dH: fc.integer({ min: 1, max: 3 }),
    dW: fc.integer({ min: 1, max: 3 }),
  })
  .map((r) => ({
    ...r,
    outH: windowOutSize(r.h, r.kH, r.sH, 2 * r.padTop, r.dH),
    outW: windowOutSize(r.w, r.kW, r.sW, 2 * r.padLeft, r.dW),
  }))
  .filter((g) => g.outH > 0 && g.outW > 0);

/**
 * Stride-1 geometries whose output rows are as wide as the input rows ('same' padding along the
 * width: padLeft = dW * (kW - 1) / 2), the layout im2col copies in blocks; padTop and dH stay free.
 */
export const sameWidthGeometry = windowGeometry
  .map((g) => {
    const kW = g.kW % 2 === 0 ? g.kW - 1 : g.kW;
    const padLeft = (g.dW * (kW - 1)) / 2;
    return { ...g, sH: 1, sW: 1, kW, padLeft, outW: g.w, outH: windowOutSize(g.h, g.kH, 1, 2 * g.padTop, g.dH) };
  })
  .filter((g) => g.outH > 0);
