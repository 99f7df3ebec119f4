/**
 * `nn.init`: torch.nn.init's initialisers. Each fills a tensor in place (no graph is recorded; the
 * tensor's storage is written directly) and returns it; the random ones draw from the seeded
 * default generator, or from `generator`.
 *
 * Fans, as torch's `_calculate_fan_in_and_fan_out`, for a weight [out, in, k1, k2, ...]:
 *   receptive = k1 * k2 * ...   (1 for a 2-D weight)
 *   fanIn = in * receptive,  fanOut = out * receptive   (fewer than 2 dimensions: an error)
 * Bounds and standard deviations:
 *   xavierUniform_   U(-a, a),        a = gain * sqrt(6 / (fanIn + fanOut))
 *   xavierNormal_    N(0, std^2),     std = gain * sqrt(2 / (fanIn + fanOut))
 *   kaimingUniform_  U(-b, b),        b = gain * sqrt(3 / fan)
 *   kaimingNormal_   N(0, std^2),     std = gain / sqrt(fan)
 * with fan = fanIn or fanOut (`mode`) and gain = calculateGain(nonlinearity, a).
 * truncNormal_ draws N(mean, std^2) restricted to [a, b] by torch's inverse-CDF method: u uniform
 * in [Phi(alpha), Phi(beta)], x = mean + std * Phi^-1(u), then clamped to [a, b].
 */
import { describeValue } from '../tensor/check.js';
import { floatData } from '../autograd/dtypeCheck.js';
import type { Tensor } from '../autograd/tensor.js';
import { erf } from '../tensor/kernels/special.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { fmtShape } from '../tensor/shape.js';

/**
 * A nonlinearity `calculateGain` knows, in camelCase or torch's snake_case spelling.
 * @example calculateGain('leakyRelu', 0.2)
 */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'leaky_relu'
  | 'selu';

/**
 * Which fan the Kaiming initialisers keep the variance of: 'fanIn' (the forward pass, default) or
 * 'fanOut' (the backward pass). torch's 'fan_in' / 'fan_out' are accepted too.
 * @example kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' })
 */
export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';

/**
 * The option every random initialiser takes.
 * @example normal_(w, 0, 0.02, { generator: new Generator(1) })
 */
export interface InitOptions {
  /** Where the random numbers come from (default: the generator `manualSeed` seeds). */
  generator?: Generator;
}

/**
 * Options of `xavierUniform_` and `xavierNormal_`.
 * @example xavierUniform_(w, { gain: calculateGain('tanh') })
 */
export interface XavierOptions extends InitOptions {
  /** Scaling factor (default 1). */
  gain?: number;
}

/**
 * Options of `kaimingUniform_` and `kaimingNormal_`.
 * @example kaimingUniform_(w, { a: Math.sqrt(5) })  // torch's default Linear weight init
 */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer, for 'leakyRelu' (default 0). */
  a?: number;
  /** 'fanIn' (default) or 'fanOut'. */
  mode?: FanMode;
  /** The nonlinearity after this layer (default 'leakyRelu', as torch's). */
  nonlinearity?: Nonlinearity;
}

/**
 * Options of `truncNormal_`.
 * @example truncNormal_(w, { std: 0.02 })  // ViT-style init: N(0, 0.02^2) cut at [-2, 2]
 */
export interface TruncNormalOptions extends InitOptions {
  /** Mean of the normal distribution (default 0). */
  mean?: number;
  /** Standard deviation of the normal distribution (default 1). */
  std?: number;
  /** Lower cutoff (default -2). */
  a?: number;
  /** Upper cutoff (default 2). */
  b?: number;
}

function checkTensor(t: Tensor, where: string): void {
  if (t === null || typeof t !== 'object' || !('data' in t) || !('shape' in t)) {
    throw new Error(`${where}: tensor must be a Tensor, got ${describeValue(t)}`);
  }
}

function checkNumber(v: unknown, name: string, where: string): number {
  if (typeof v !== 'number' || Number.isNaN(v))
    throw new Error(`${where}: ${name} must be a number, got ${describeValue(v)}`);
  return v;
}

/**
 * The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain: 1 for linear, conv
 * and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leakyRelu (slope
 * `param`, default 0.01), 3/4 for selu.
 * @example calculateGain('relu')  // 1.4142...
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu':
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new Error(`calculateGain: negative slope must be a finite number, got ${describeValue(slope)}`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4; // torch's value (Klambauer et al.'s self-normalising init uses gain 1 via 'linear')
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * `[fanIn, fanOut]` of a weight, as torch's `_calculate_fan_in_and_fan_out`: dimension 1 is the
 * input, dimension 0 the output, and every further dimension multiplies both (a kernel's
 * receptive field).
 * @example calculateFanInAndFanOut(zeros([16, 3, 5, 5]))  // [75, 400]
 */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  checkTensor(t, 'calculateFanInAndFanOut');
  if (t.shape.length < 2) {
    throw new Error(
      `calculateFanInAndFanOut: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions` +
        `, got shape ${fmtShape(t.shape)}`,
    );
  }
  let receptive = 1;
  for (let d = 2; d < t.shape.length; d++) receptive *= t.shape[d]!;
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fanOf(t: Tensor, mode: FanMode, where: string): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fanIn' || mode === 'fan_in') return fanIn;
  if (mode === 'fanOut' || mode === 'fan_out') return fanOut;
  throw new Error(`${where}: mode must be 'fanIn' or 'fanOut', got '${String(mode)}'`);
}

/**
 * Fills `t` from U(a, b); returns `t`.
 * @example uniform_(w, -0.1, 0.1)
 */
export function uniform_(t: Tensor, a = 0, b = 1, opts: InitOptions = {}): Tensor {
  checkTensor(t, 'uniform_');
  checkNumber(a, 'a', 'uniform_');
  checkNumber(b, 'b', 'uniform_');
  if (!(a <= b)) throw new Error(`uniform_: expects a <= b, got a=${a} and b=${b}`);
  const gen = opts.generator ?? defaultGenerator;
  const data = floatData(t, 'uniform_', 'tensor');
  for (let i = 0; i < data.length; i++) data[i] = a + (b - a) * gen.uniform();
  return t;
}

/**
 * Fills `t` from N(mean, std^2); returns `t`.
 * @example normal_(w, 0, 0.02)
 */
export function normal_(t: Tensor, mean = 0, std = 1, opts: InitOptions = {}): Tensor {
  checkTensor(t, 'normal_');
  checkNumber(mean, 'mean', 'normal_');
  checkNumber(std, 'std', 'normal_');
  if (!(std >= 0)) throw new Error(`normal_: expects std >= 0.0, got ${std}`);
  const gen = opts.generator ?? defaultGenerator;
  const data = floatData(t, 'normal_', 'tensor');
  for (let i = 0; i < data.length; i++) data[i] = mean + std * gen.normal();
  return t;
}

/**
 * Fills `t` with `value`; returns `t`.
 * @example constant_(bias, 0.1)
 */
export function constant_(t: Tensor, value: number): Tensor {
  checkTensor(t, 'constant_');
  if (typeof value !== 'number') throw new Error(`constant_: value must be a number, got ${describeValue(value)}`);
  t.data.fill(value);
  return t;
}

/**
 * Fills `t` with 0; returns `t`.
 * @example zeros_(linear.bias!)
 */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/**
 * Fills `t` with 1; returns `t`.
 * @example ones_(norm.weight!)
 */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut)); returns `t`.
 * @example xavierUniform_(w)
 */
export function xavierUniform_(t: Tensor, opts: XavierOptions = {}): Tensor {
  const gain = checkNumber(opts.gain ?? 1, 'gain', 'xavierUniform_');
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, opts);
}

/**
 * Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)); returns `t`.
 * @example xavierNormal_(w, { gain: calculateGain('tanh') })
 */
export function xavierNormal_(t: Tensor, opts: XavierOptions = {}): Tensor {
  const gain = checkNumber(opts.gain ?? 1, 'gain', 'xavierNormal_');
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), opts);
}

/** gain / sqrt(fan) of the Kaiming initialisers, or null for a tensor with no elements (left as is, as torch). */
function kaimingStd(t: Tensor, opts: KaimingOptions, where: string): number | null {
  checkTensor(t, where);
  if (t.data.length === 0) return null;
  const fan = fanOf(t, opts.mode ?? 'fanIn', where);
  const gain = calculateGain(opts.nonlinearity ?? 'leakyRelu', checkNumber(opts.a ?? 0, 'a', where));
  return gain / Math.sqrt(fan);
}

/**
 * He uniform: U(-b, b), b = gain * sqrt(3 / fan); returns `t`.
 * @example kaimingUniform_(conv.weight, { nonlinearity: 'relu' })
 */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const std = kaimingStd(t, opts, 'kaimingUniform_');
  if (std === null) return t;
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, opts);
}

/**
 * He normal: N(0, std^2), std = gain / sqrt(fan); returns `t`.
 * @example kaimingNormal_(conv.weight, { mode: 'fanOut', nonlinearity: 'relu' })  // ResNet's init
 */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const std = kaimingStd(t, opts, 'kaimingNormal_');
  if (std === null) return t;
  return normal_(t, 0, std, opts);
}

/** The standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2. */
function normCdf(x: number): number {
  return (1 + erf(x / Math.SQRT2)) / 2;
}

/**
 * erf^-1(y) for y in (-1, 1): Giles' single-precision approximation ("Approximating the erfinv
 * function", GPU Computing Gems, 2011), then two Newton steps on erf(x) - y, whose derivative is
 * 2/sqrt(pi) e^(-x^2), to float64 accuracy.
 */
const CENTRAL = [
  3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
];
const TAIL = [
  0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
];
function erfinv(y: number): number {
  if (y <= -1) return -Infinity;
  if (y >= 1) return Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of CENTRAL) p = c + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of TAIL) p = c + p * w;
  }
  let x = p * y;
  for (let k = 0; k < 2; k++) {
    const slope = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
    if (slope === 0) break;
    x -= (erf(x) - y) / slope;
  }
  return x;
}

/**
 * Fills `t` from N(mean, std^2) truncated to [a, b] (torch's inverse-CDF method); returns `t`.
 * @example truncNormal_(w, { std: 0.02 })
 */
export function truncNormal_(t: Tensor, opts: TruncNormalOptions = {}): Tensor {
  checkTensor(t, 'truncNormal_');
  const mean = checkNumber(opts.mean ?? 0, 'mean', 'truncNormal_');
  const std = checkNumber(opts.std ?? 1, 'std', 'truncNormal_');
  const a = checkNumber(opts.a ?? -2, 'a', 'truncNormal_');
  const b = checkNumber(opts.b ?? 2, 'b', 'truncNormal_');
  if (!(std > 0)) throw new Error(`truncNormal_: std must be > 0, got ${std}`);
  if (!(a < b)) throw new Error(`truncNormal_: expects a < b, got a=${a} and b=${b}`);
  const gen = opts.generator ?? defaultGenerator;
  const data = floatData(t, 'truncNormal_', 'tensor');
  // u in [2 Phi(alpha) - 1, 2 Phi(beta) - 1]; x = mean + std * sqrt(2) * erfinv(u), clamped to [a, b]
  const lo = 2 * normCdf((a - mean) / std) - 1;
  const hi = 2 * normCdf((b - mean) / std) - 1;
  for (let i = 0; i < data.length; i++) {
    const u = lo + (hi - lo) * gen.uniform();
    const x = mean + std * Math.SQRT2 * erfinv(u);
    data[i] = Math.min(Math.max(x, a), b);
  }
  return t;
}
