/**
 * Test references for the normalization layers, and the case table the generic tests run over
 * (like PyTorch's common_modules.py: module configurations here, generic tests in
 * norm.modules.test.ts).
 *
 * Two references, both independent of the fused normalization op (src/autograd/ops/norm.ts) and of
 * the kernels it runs (moments, normalizeAffine, normBackwardReduce, normBackwardInput):
 *   - composite: each layer written with public differentiable primitives (mean, sub, mul, div,
 *     add, sqrt, pow, reshape), so autograd derives the backward on its own. The variance is
 *     mean((x - mean)^2), not `x.var(...)`: `var` runs the same `moments` kernel as the fused op,
 *     and a reference must not share the code it checks.
 *   - float64: the reference kernels (src/tensor/kernels/normReference.ts: plain loops over the
 *     formula, two-pass moments), for values only: running statistics and hard data. The fused op
 *     runs them only under setBackend('reference'); test/tensor/normReference.test.ts checks them
 *     against PyTorch and finite differences.
 *
 * Shape letters: N batch, C channels, G groups, L/H/W/D spatial, S the product of the spatial dims.
 */
import fc from 'fast-check';
import { functional as F, nn, Tensor, type Generator, type Module } from '../../src/index.js';
import { indexOfAxes, momentsReference, normForwardReference } from '../../src/tensor/kernels/normReference.js';

/** torch.finfo(torch.float32).eps: RMSNorm's eps for float32 input when eps is null. */
export const FLOAT32_MACHINE_EPS = 1.1920928955078125e-7;

/**
 * A float32 layer output or gradient vs a float64 reference of the same float32 inputs.
 * The TypeScript kernels work in float64 and round once (relative 6e-8). The wasm backend's
 * elementwise passes are float32, so an element may be off by a few float32 ulps of its largest
 * term (about 1e-7 * rstd * |dy * weight| for dx), which cancellation can leave beside a small
 * result. Measured worst case over 3000 random draws per configuration (data std >= 0.05, so
 * rstd <= 20): 5% of this bound. A wrong formula or index is off by O(1).
 */
export const FLOAT32_TOL = { rtol: 1e-4, atol: 1e-5 };

// ---------------------------------------------------------------------------------------------
// Composite references (autograd through primitives)
// ---------------------------------------------------------------------------------------------

/** Affine parameters and eps of a composite reference. */
export interface AffineOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps: number;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** `[1, C, 1, ...]`: how a per-channel [C] tensor broadcasts against x (N, C, *). */
function channelView(x: Tensor): number[] {
  return x.shape.map((d, i) => (i === 1 ? d : 1));
}

/** `(x - mean) / sqrt(var + eps)` over `reduced`, biased variance as mean((x - mean)^2). */
function standardize(x: Tensor, reduced: number[], eps: number): Tensor {
  const centered = x.sub(x.mean(reduced, true));
  const variance = centered.mul(centered).mean(reduced, true);
  return centered.div(variance.add(eps).sqrt());
}

/** `(x - mean) / sqrt(var + eps)` with given per-channel statistics (constants in x's dtype, no grad). */
function standardizeWith(x: Tensor, mean: Tensor, variance: Tensor, eps: number): Tensor {
  const view = channelView(x);
  return x.sub(mean.to(x.dtype).reshape(view)).div(variance.to(x.dtype).reshape(view).add(eps).sqrt());
}

/** `y * weight + bias` with weight and bias reshaped to `view`. */
function affine(y: Tensor, opts: AffineOptions, view: number[]): Tensor {
  const scaled = opts.weight ? y.mul(opts.weight.reshape(view)) : y;
  return opts.bias ? scaled.add(opts.bias.reshape(view)) : scaled;
}

/** BatchNorm on (N, C, *): batch statistics over {N, *}, or the given running statistics. */
export function compositeBatchNorm(
  x: Tensor,
  opts: AffineOptions & { runningMean?: Tensor; runningVar?: Tensor },
): Tensor {
  const y =
    opts.runningMean && opts.runningVar
      ? standardizeWith(x, opts.runningMean, opts.runningVar, opts.eps)
      : standardize(x, [0, ...range(2, x.ndim)], opts.eps);
  return affine(y, opts, channelView(x));
}

/** InstanceNorm on (N, C, *): statistics per (n, c) over {*}, or the given running statistics. */
export function compositeInstanceNorm(
  x: Tensor,
  opts: AffineOptions & { runningMean?: Tensor; runningVar?: Tensor },
): Tensor {
  const y =
    opts.runningMean && opts.runningVar
      ? standardizeWith(x, opts.runningMean, opts.runningVar, opts.eps)
      : standardize(x, range(2, x.ndim), opts.eps);
  return affine(y, opts, channelView(x));
}

/** GroupNorm on (N, C, *): x viewed as [N, G, C/G * S], statistics per (n, g), affine per channel. */
export function compositeGroupNorm(x: Tensor, numGroups: number, opts: AffineOptions): Tensor {
  const n = x.shape[0]!;
  const grouped = x.reshape([n, numGroups, x.size / (n * numGroups)]);
  return affine(standardize(grouped, [2], opts.eps).reshape(x.shape), opts, channelView(x));
}

/** LayerNorm over the trailing `normalizedShape` dims; weight and bias broadcast from the right. */
export function compositeLayerNorm(x: Tensor, normalizedShape: readonly number[], opts: AffineOptions): Tensor {
  return affine(standardize(x, range(x.ndim - normalizedShape.length, x.ndim), opts.eps), opts, [...normalizedShape]);
}

/** RMSNorm: `x / sqrt(mean(x^2) + eps) * weight` over the trailing `normalizedShape` dims. */
export function compositeRmsNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  opts: { weight?: Tensor | null; eps: number },
): Tensor {
  const meanSquare = x.pow(2).mean(range(x.ndim - normalizedShape.length, x.ndim), true);
  const y = x.div(meanSquare.add(opts.eps).sqrt());
  return opts.weight ? y.mul(opts.weight) : y;
}

// ---------------------------------------------------------------------------------------------
// Float64 references (the reference kernels)
// ---------------------------------------------------------------------------------------------

/** For every element of a row-major `shape`, its row-major index among the `kept` axes. */
export function indexOver(shape: readonly number[], kept: readonly number[]): { index: Int32Array; size: number } {
  const { param, paramSize } = indexOfAxes(shape, [], kept);
  return { index: param, size: paramSize };
}

/** Float64 two-pass moments of x per index of the axes not in `reduced`. */
export interface Moments64 {
  mean: Float64Array;
  /** Biased: sum of squared deviations / count. */
  variance: Float64Array;
  count: number;
  /** Statistic index of every element. */
  stat: Int32Array;
}

/**
 * Two-pass mean and biased variance in float64, from the reference kernels. Not `centered`
 * (RMSNorm): mean 0, so `variance` is the mean square.
 */
export function moments64(
  x: ArrayLike<number>,
  shape: readonly number[],
  reduced: readonly number[],
  centered = true,
): Moments64 {
  const index = indexOfAxes(shape, reduced, []);
  const mean = new Float64Array(index.statSize);
  const m2 = new Float64Array(index.statSize);
  momentsReference(Float64Array.from(x), index, mean, m2, centered);
  return { mean, variance: m2.map((v) => v / index.count), count: index.count, stat: index.stat };
}

/** What `normalize64` computes: which axes are reduced and which the parameters span. */
export interface Norm64Options {
  reduced: readonly number[];
  param: readonly number[];
  weight?: ArrayLike<number> | null;
  bias?: ArrayLike<number> | null;
  eps: number;
  /** false: RMSNorm (divide by the root mean square, no centering). */
  centered?: boolean;
}

/** `(x - mean) / sqrt(var + eps) * weight + bias` (or `x / sqrt(mean(x^2) + eps) * weight`) in float64. */
export function normalize64(x: ArrayLike<number>, shape: readonly number[], opts: Norm64Options): Float64Array {
  const index = indexOfAxes(shape, opts.reduced, opts.param);
  const stats = [0, 1, 2].map(() => new Float64Array(index.statSize)) as [Float64Array, Float64Array, Float64Array];
  const y = new Float64Array(x.length);
  const f64 = (a: ArrayLike<number> | null | undefined): Float64Array | null => (a ? Float64Array.from(a) : null);
  normForwardReference(
    Float64Array.from(x),
    index,
    opts.centered ?? true,
    opts.eps,
    f64(opts.weight),
    f64(opts.bias),
    y,
    ...stats,
  );
  return y;
}

// ---------------------------------------------------------------------------------------------
// The case table
// ---------------------------------------------------------------------------------------------

/** An input shape and what a module's constructor takes from it. */
export interface Geometry {
  readonly shape: readonly number[];
  /** GroupNorm only. */
  readonly numGroups?: number;
  /** LayerNorm and RMSNorm only. */
  readonly normalizedShape?: readonly number[];
}

export type Mode = 'train' | 'eval';

/** One module built for a geometry, with its computation in two independent forms. */
export interface Instance {
  readonly module: Module;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  /** The shape of weight, bias and the running statistics: [C], or normalizedShape. */
  readonly paramShape: readonly number[];
  /**
   * The module's computation through the functional form: weight and bias as given, running
   * statistics as constants.
   */
  functional(x: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor;
  /** The same computation as a composite of primitives (eps of the float32 model). */
  reference(x: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor;
}

/** A layer configuration: how to draw legal inputs for it and build it. */
export interface Layer {
  /** A fixed small geometry (gradcheck, state dicts). */
  readonly small: Geometry;
  /** Random legal geometries in `mode` (dims include 1 where legal). */
  geometry(mode: Mode): fc.Arbitrary<Geometry>;
  /** A fresh module for `g` in `mode`. */
  build(g: Geometry, mode: Mode): Instance;
}

/** A row of the table in one mode. `keys`: torch's state_dict() keys for this configuration, in order. */
export interface NormCase {
  readonly name: string;
  readonly mode: Mode;
  readonly layer: Layer;
  readonly keys: readonly string[];
}

const dim = (max: number): fc.Arbitrary<number> => fc.integer({ min: 1, max });
const dims = (rank: number): fc.Arbitrary<number[]> => fc.array(dim(3), { minLength: rank, maxLength: rank });
const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
const SMALL_SPATIAL = [3, 2, 2];

type ChannelNorm =
  nn.BatchNorm1d | nn.BatchNorm2d | nn.BatchNorm3d | nn.InstanceNorm1d | nn.InstanceNorm2d | nn.InstanceNorm3d;
type ChannelNormClass = new (numFeatures: number, opts?: nn.NormBaseOptions) => ChannelNorm;

type InstanceState = Pick<Instance, 'module' | 'weight' | 'bias' | 'runningMean' | 'runningVar' | 'paramShape'>;

function channelInstance(m: ChannelNorm, mode: Mode): InstanceState {
  m.train(mode === 'train');
  const { weight, bias, runningMean, runningVar } = m;
  return { module: m, weight, bias, runningMean, runningVar, paramShape: [m.numFeatures] };
}

/** An instance of a layer without running statistics. */
function statelessInstance(
  m: Module,
  weight: Tensor | null,
  bias: Tensor | null,
  paramShape: readonly number[],
): InstanceState {
  return { module: m, weight, bias, runningMean: null, runningVar: null, paramShape };
}

/** BatchNorm1d/2d/3d with `spatialRank` spatial dims: (N, C) is rank 0. */
function batchNorm(Class: ChannelNormClass, spatialRank: number, opts: nn.NormBaseOptions = {}): Layer {
  const tracked = opts.trackRunningStats ?? true;
  return {
    small: { shape: [2, 3, ...SMALL_SPATIAL.slice(0, spatialRank)] },
    // Batch statistics need more than one value per channel.
    geometry: (mode) =>
      fc
        .tuple(dim(4), dim(4), dims(spatialRank))
        .filter(([n, , s]) => (mode === 'eval' && tracked) || n * prod(s) > 1)
        .map(([n, c, s]) => ({ shape: [n, c, ...s] })),
    build: (g, mode) => {
      const m = new Class(g.shape[1]!, opts);
      const eps = m.eps;
      const running = mode === 'eval' && tracked;
      return {
        ...channelInstance(m, mode),
        functional: (x, weight, bias) =>
          running
            ? F.batchNorm(x, m.runningMean!.clone(), m.runningVar!.clone(), { weight, bias, eps, training: false })
            : F.batchNorm(x, null, null, { weight, bias, eps, training: true }),
        reference: (x, weight, bias) =>
          running
            ? compositeBatchNorm(x, { weight, bias, eps, runningMean: m.runningMean!, runningVar: m.runningVar! })
            : compositeBatchNorm(x, { weight, bias, eps }),
      };
    },
  };
}

/** InstanceNorm1d/2d/3d; `unbatched`: input (C, *) instead of (N, C, *). */
function instanceNorm(
  Class: ChannelNormClass,
  spatialRank: number,
  opts: nn.NormBaseOptions = {},
  unbatched = false,
): Layer {
  const tracked = opts.trackRunningStats ?? false;
  const batch = (n: number): number[] => (unbatched ? [] : [n]);
  // The functional forms take (N, C, *); an unbatched input is a batch of one.
  const batched = (f: (x: Tensor) => Tensor) => (x: Tensor) => (unbatched ? f(x.unsqueeze(0)).squeeze(0) : f(x));
  return {
    small: { shape: [...batch(2), 3, ...SMALL_SPATIAL.slice(0, spatialRank)] },
    // Instance statistics need more than one spatial element.
    geometry: (mode) =>
      fc
        .tuple(dim(3), dim(4), dims(spatialRank))
        .filter(([, , s]) => (mode === 'eval' && tracked) || prod(s) > 1)
        .map(([n, c, s]) => ({ shape: [...batch(n), c, ...s] })),
    build: (g, mode) => {
      const m = new Class(g.shape[unbatched ? 0 : 1]!, opts);
      const eps = m.eps;
      const running = mode === 'eval' && tracked;
      return {
        ...channelInstance(m, mode),
        functional: (x, weight, bias) =>
          batched((xb) =>
            running
              ? F.instanceNorm(xb, {
                  runningMean: m.runningMean!.clone(),
                  runningVar: m.runningVar!.clone(),
                  useInputStats: false,
                  weight,
                  bias,
                  eps,
                })
              : F.instanceNorm(xb, { weight, bias, eps }),
          )(x),
        reference: (x, weight, bias) =>
          batched((xb) =>
            running
              ? compositeInstanceNorm(xb, { weight, bias, eps, runningMean: m.runningMean!, runningVar: m.runningVar! })
              : compositeInstanceNorm(xb, { weight, bias, eps }),
          )(x),
      };
    },
  };
}

/** GroupNorm with G = 1 ('one'), G = C ('all') or 1 < G < C ('between'). */
function groupNorm(
  groups: 'one' | 'all' | 'between',
  spatialRank: number,
  opts: nn.GroupNormModuleOptions = {},
): Layer {
  const small = { one: [1, 4], all: [4, 1], between: [2, 3] }[groups]; // [G, C/G]
  const draw = {
    one: fc.tuple(fc.constant(1), dim(4)),
    all: fc.tuple(dim(4), fc.constant(1)),
    between: fc.tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 2, max: 3 })),
  }[groups];
  return {
    small: { shape: [2, small[0]! * small[1]!, ...SMALL_SPATIAL.slice(1, 1 + spatialRank)], numGroups: small[0]! },
    // torch's group_norm rejects N * C/G * prod(spatial) == 1 (its _verify_batch_size rule), in any mode.
    geometry: () =>
      fc
        .tuple(dim(3), draw, dims(spatialRank))
        .filter(([n, [, perGroup], s]) => n * perGroup * prod(s) > 1)
        .map(([n, [g, perGroup], s]) => ({ shape: [n, g * perGroup, ...s], numGroups: g })),
    build: (g, mode) => {
      const m = new nn.GroupNorm(g.numGroups!, g.shape[1]!, opts).train(mode === 'train');
      const eps = m.eps;
      const groupsOf = g.numGroups!;
      return {
        ...statelessInstance(m, m.weight, m.bias, [m.numChannels]),
        functional: (x, weight, bias) => F.groupNorm(x, groupsOf, { weight, bias, eps }),
        reference: (x, weight, bias) => compositeGroupNorm(x, groupsOf, { weight, bias, eps }),
      };
    },
  };
}

const SMALL_NORMALIZED = [[5], [3, 4], [2, 3, 2]];

/**
 * LayerNorm or RMSNorm: the small geometry has a normalizedShape of `rank` dims; random geometries
 * draw the rank too (1 to 3), after 0 to 2 leading dims.
 */
function trailingLayer(rank: number, build: Layer['build']): Layer {
  const normalizedShape = SMALL_NORMALIZED[rank - 1]!;
  return {
    small: { shape: [2, ...normalizedShape], normalizedShape },
    geometry: () =>
      fc
        .tuple(fc.array(dim(3), { minLength: 0, maxLength: 2 }), fc.array(dim(4), { minLength: 1, maxLength: 3 }))
        .map(([lead, shape]) => ({ shape: [...lead, ...shape], normalizedShape: shape })),
    build,
  };
}

function layerNorm(rank: number, opts: nn.LayerNormModuleOptions = {}): Layer {
  return trailingLayer(rank, (g, mode) => {
    const m = new nn.LayerNorm(g.normalizedShape!, opts).train(mode === 'train');
    const { eps, normalizedShape } = m;
    return {
      ...statelessInstance(m, m.weight, m.bias, normalizedShape),
      functional: (x, weight, bias) => F.layerNorm(x, normalizedShape, { weight, bias, eps }),
      reference: (x, weight, bias) => compositeLayerNorm(x, normalizedShape, { weight, bias, eps }),
    };
  });
}

function rmsNorm(rank: number, opts: nn.RMSNormModuleOptions = {}): Layer {
  return trailingLayer(rank, (g, mode) => {
    const m = new nn.RMSNorm(g.normalizedShape!, opts).train(mode === 'train');
    const { eps, normalizedShape } = m;
    return {
      ...statelessInstance(m, m.weight, null, normalizedShape),
      // eps null stays null here: the functional form picks the machine epsilon of x's dtype.
      functional: (x, weight) => F.rmsNorm(x, normalizedShape, { weight, eps }),
      reference: (x, weight) => compositeRmsNorm(x, normalizedShape, { weight, eps: eps ?? FLOAT32_MACHINE_EPS }),
    };
  });
}

// torch state_dict() keys: parameters first, then persistent buffers, in registration order.
const AFFINE = ['weight', 'bias'];
const RUNNING = ['running_mean', 'running_var', 'num_batches_tracked'];

/**
 * [name, layer, torch state_dict() keys]. Each row runs in train and in eval mode. Names give the
 * small geometry (gradcheck, state dict); property tests draw shapes (and LayerNorm/RMSNorm ranks).
 */
const ROWS: [string, Layer, string[]][] = [
  // BatchNorm: defaults affine, trackRunningStats, momentum 0.1.
  ['BatchNorm1d (N, C)', batchNorm(nn.BatchNorm1d, 0), [...AFFINE, ...RUNNING]],
  ['BatchNorm1d (N, C, L)', batchNorm(nn.BatchNorm1d, 1), [...AFFINE, ...RUNNING]],
  ['BatchNorm1d (N, C, L) affine=false', batchNorm(nn.BatchNorm1d, 1, { affine: false }), RUNNING],
  ['BatchNorm1d (N, C) trackRunningStats=false', batchNorm(nn.BatchNorm1d, 0, { trackRunningStats: false }), AFFINE],
  ['BatchNorm1d (N, C, L) momentum=null', batchNorm(nn.BatchNorm1d, 1, { momentum: null }), [...AFFINE, ...RUNNING]],
  ['BatchNorm2d', batchNorm(nn.BatchNorm2d, 2), [...AFFINE, ...RUNNING]],
  [
    'BatchNorm2d affine=false trackRunningStats=false',
    batchNorm(nn.BatchNorm2d, 2, { affine: false, trackRunningStats: false }),
    [],
  ],
  ['BatchNorm2d momentum=null', batchNorm(nn.BatchNorm2d, 2, { momentum: null }), [...AFFINE, ...RUNNING]],
  ['BatchNorm3d', batchNorm(nn.BatchNorm3d, 3), [...AFFINE, ...RUNNING]],
  ['BatchNorm3d affine=false', batchNorm(nn.BatchNorm3d, 3, { affine: false }), RUNNING],
  ['BatchNorm3d trackRunningStats=false', batchNorm(nn.BatchNorm3d, 3, { trackRunningStats: false }), AFFINE],
  // InstanceNorm: defaults affine=false, trackRunningStats=false.
  ['InstanceNorm1d', instanceNorm(nn.InstanceNorm1d, 1), []],
  ['InstanceNorm1d affine=true', instanceNorm(nn.InstanceNorm1d, 1, { affine: true }), AFFINE],
  ['InstanceNorm1d unbatched (C, L) affine=true', instanceNorm(nn.InstanceNorm1d, 1, { affine: true }, true), AFFINE],
  ['InstanceNorm1d trackRunningStats=true', instanceNorm(nn.InstanceNorm1d, 1, { trackRunningStats: true }), RUNNING],
  ['InstanceNorm2d affine=true', instanceNorm(nn.InstanceNorm2d, 2, { affine: true }), AFFINE],
  [
    'InstanceNorm2d affine=true trackRunningStats=true',
    instanceNorm(nn.InstanceNorm2d, 2, { affine: true, trackRunningStats: true }),
    [...AFFINE, ...RUNNING],
  ],
  [
    'InstanceNorm2d unbatched (C, H, W) trackRunningStats=true',
    instanceNorm(nn.InstanceNorm2d, 2, { trackRunningStats: true }, true),
    RUNNING,
  ],
  ['InstanceNorm3d', instanceNorm(nn.InstanceNorm3d, 3), []],
  [
    'InstanceNorm3d affine=true trackRunningStats=true momentum=null',
    instanceNorm(nn.InstanceNorm3d, 3, { affine: true, trackRunningStats: true, momentum: null }),
    [...AFFINE, ...RUNNING],
  ],
  [
    'InstanceNorm3d unbatched (C, D, H, W) affine=true',
    instanceNorm(nn.InstanceNorm3d, 3, { affine: true }, true),
    AFFINE,
  ],
  // GroupNorm: default affine=true.
  ['GroupNorm G=1 (N, C, H, W)', groupNorm('one', 2), AFFINE],
  ['GroupNorm G=C (N, C, H, W)', groupNorm('all', 2), AFFINE],
  ['GroupNorm 1<G<C (N, C, H, W)', groupNorm('between', 2), AFFINE],
  ['GroupNorm 1<G<C (N, C, H, W) affine=false', groupNorm('between', 2, { affine: false }), []],
  ['GroupNorm 1<G<C (N, C)', groupNorm('between', 0), AFFINE],
  ['GroupNorm G=C (N, C)', groupNorm('all', 0), AFFINE],
  ['GroupNorm G=1 (N, C, L) affine=false', groupNorm('one', 1, { affine: false }), []],
  // LayerNorm: defaults elementwiseAffine=true, bias=true.
  ['LayerNorm normalizedShape=[5]', layerNorm(1), AFFINE],
  ['LayerNorm normalizedShape=[3, 4]', layerNorm(2), AFFINE],
  ['LayerNorm normalizedShape=[2, 3, 2]', layerNorm(3), AFFINE],
  ['LayerNorm [5] elementwiseAffine=false', layerNorm(1, { elementwiseAffine: false }), []],
  ['LayerNorm [3, 4] bias=false', layerNorm(2, { bias: false }), ['weight']],
  ['LayerNorm [2, 3, 2] eps=1e-3', layerNorm(3, { eps: 1e-3 }), AFFINE],
  // RMSNorm: defaults eps=null (float32 machine epsilon), elementwiseAffine=true.
  ['RMSNorm normalizedShape=[5] eps=null', rmsNorm(1), ['weight']],
  ['RMSNorm [3, 4] eps=1e-3', rmsNorm(2, { eps: 1e-3 }), ['weight']],
  ['RMSNorm [2, 3, 2] eps=null', rmsNorm(3), ['weight']],
  ['RMSNorm [5] elementwiseAffine=false', rmsNorm(1, { elementwiseAffine: false }), []],
  ['RMSNorm [3, 4] eps=1e-6 elementwiseAffine=false', rmsNorm(2, { eps: 1e-6, elementwiseAffine: false }), []],
];

/** Every row in train and in eval mode. */
export const NORM_CASES: readonly NormCase[] = ROWS.flatMap(([name, layer, keys]) =>
  (['train', 'eval'] as const).map((mode) => ({ name: `${name} [${mode}]`, mode, layer, keys })),
);

/**
 * Gives an instance random state: weight ~ N(0, 1) (not 1, so that a wrong parameter index
 * shows), bias ~ N(0, 1), running mean ~ N(0, 1), running variance in [0.5, 1.5).
 */
export function randomizeState(inst: Instance, gen: Generator): void {
  const fill = (t: Tensor | null, draw: () => number): void => {
    if (t) for (let i = 0; i < t.size; i++) t.data[i] = draw();
  };
  fill(inst.weight, () => gen.normal());
  fill(inst.bias, () => gen.normal());
  fill(inst.runningMean, () => gen.normal());
  fill(inst.runningVar, () => 0.5 + gen.uniform());
}

/** A float64 leaf (requiresGrad) holding the same values as t, or null: input of a float64 reference. */
export function leaf64(t: Tensor | null | undefined): Tensor | null {
  return t ? new Tensor(Float64Array.from(t.data), t.shape, true) : null;
}

/** Standard normal values of `shape` from `gen`, times `scale` plus `offset`, as a float32 array. */
export function normalData(shape: readonly number[], gen: Generator, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: prod(shape) }, () => gen.normal() * scale + offset);
}
