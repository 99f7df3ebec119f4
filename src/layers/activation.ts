/**
 * Activation layers: `ReLU`, `GELU`, `Tanh`, `Sigmoid`, `Softmax`, `LogSoftmax`, `LeakyReLU`,
 * `SiLU`, `ELU`, `Softplus`. Each is the elementwise (or per-axis) function as a parameter-free
 * module, like torch.nn's: its forward calls the functional form (src/layers/functional/activation.ts
 * or the op), which checks the input.
 */
import { eluAs, leakyReluAs, siluAs, softplusAs } from '../autograd/ops/activation.js';
import { logSoftmaxAs, softmaxAs } from '../autograd/ops/softmax.js';
import type { Tensor } from '../autograd/tensor.js';
import { checkOptions, describeValue } from '../tensor/check.js';
import { checkApproximate, geluAs, reluAs, sigmoidAs, tanhAs } from './functional/activation.js';
import { Module } from './module.js';

/**
 * y = max(x, 0).
 * @example new ReLU().forward(tensor([-1, 2]))  // [0, 2]
 */
export class ReLU extends Module {
  /** Elementwise max(x, 0). */
  forward(x: Tensor): Tensor {
    return reluAs('ReLU', x);
  }
}

/**
 * Options of `GELU`.
 * @example new GELU({ approximate: 'tanh' })
 */
export interface GELUOptions {
  /** 'none' (default): exact x * Phi(x); 'tanh': torch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/**
 * y = x * Phi(x) (exact, torch's default), or with `approximate: 'tanh'`
 * y = x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).
 * @example new GELU().forward(tensor([1]))  // [0.8413]
 */
export class GELU extends Module {
  /** 'none' (exact) or 'tanh'. */
  readonly approximate: 'none' | 'tanh';

  constructor(opts: GELUOptions = {}) {
    super();
    opts = checkOptions(opts, 'GELU');
    this.approximate = checkApproximate(opts.approximate ?? 'none', 'GELU');
  }

  /** Elementwise GELU. */
  forward(x: Tensor): Tensor {
    return geluAs('GELU', x, { approximate: this.approximate });
  }
}

/**
 * y = tanh(x).
 * @example new Tanh().forward(tensor([0]))  // [0]
 */
export class Tanh extends Module {
  /** Elementwise tanh. */
  forward(x: Tensor): Tensor {
    return tanhAs('Tanh', x);
  }
}

/**
 * y = 1 / (1 + e^-x).
 * @example new Sigmoid().forward(tensor([0]))  // [0.5]
 */
export class Sigmoid extends Module {
  /** Elementwise logistic sigmoid. */
  forward(x: Tensor): Tensor {
    return sigmoidAs('Sigmoid', x);
  }
}

/** The shared shape of `Softmax` and `LogSoftmax`: a function applied along one axis, `dim`. */
abstract class AlongDim extends Module {
  /** The axis the function runs along (negative counts from the end). */
  readonly dim: number;

  constructor(dim: number) {
    super();
    if (!Number.isInteger(dim)) {
      throw new Error(`${new.target.name}: dim must be an integer axis, got ${describeValue(dim)}`);
    }
    this.dim = dim;
  }
}

/**
 * y = e^x / sum(e^x) along `dim` (stable: the maximum is subtracted first).
 * @example new Softmax(1).forward(logits)  // each row sums to 1
 */
export class Softmax extends AlongDim {
  /** Softmax along `dim`. */
  forward(x: Tensor): Tensor {
    return softmaxAs('Softmax', x, this.dim);
  }
}

/**
 * y = x - log(sum(e^x)) along `dim` (stable).
 * @example new LogSoftmax(1).forward(logits)  // log-probabilities
 */
export class LogSoftmax extends AlongDim {
  /** Log-softmax along `dim`. */
  forward(x: Tensor): Tensor {
    return logSoftmaxAs('LogSoftmax', x, this.dim);
  }
}

/**
 * y = x where x > 0, else negativeSlope * x (default 0.01).
 * @example new LeakyReLU(0.2).forward(tensor([-1, 2]))  // [-0.2, 2]
 */
export class LeakyReLU extends Module {
  /** The slope for negative inputs. */
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || Number.isNaN(negativeSlope)) {
      throw new Error(`LeakyReLU: negativeSlope must be a number, got ${describeValue(negativeSlope)}`);
    }
    this.negativeSlope = negativeSlope;
  }

  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }

  /** Elementwise leaky rectifier. */
  forward(x: Tensor): Tensor {
    return leakyReluAs('LeakyReLU', x, this.negativeSlope);
  }
}

/**
 * y = x * sigmoid(x) (SiLU, also called swish).
 * @example new SiLU().forward(tensor([1]))  // [0.7311]
 */
export class SiLU extends Module {
  /** Elementwise x * sigmoid(x). */
  forward(x: Tensor): Tensor {
    return siluAs('SiLU', x);
  }
}

/**
 * y = x where x > 0, else alpha * (e^x - 1) (default alpha 1).
 * @example new ELU().forward(tensor([-1, 2]))  // [-0.6321, 2]
 */
export class ELU extends Module {
  /** The value approached for very negative inputs is -alpha. */
  readonly alpha: number;

  constructor(alpha = 1) {
    super();
    if (typeof alpha !== 'number' || Number.isNaN(alpha)) {
      throw new Error(`ELU: alpha must be a number, got ${describeValue(alpha)}`);
    }
    this.alpha = alpha;
  }

  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }

  /** Elementwise ELU. */
  forward(x: Tensor): Tensor {
    return eluAs('ELU', x, this.alpha);
  }
}

/**
 * y = ln(1 + e^(beta x)) / beta, and x where beta x > threshold (defaults beta 1, threshold 20).
 * @example new Softplus().forward(tensor([0]))  // [0.6931]
 */
export class Softplus extends Module {
  /** Sharpness: larger beta is closer to ReLU. */
  readonly beta: number;
  /** Above beta x > threshold the output is x. */
  readonly threshold: number;

  constructor(beta = 1, threshold = 20) {
    super();
    for (const [name, v] of [
      ['beta', beta],
      ['threshold', threshold],
    ] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) {
        throw new Error(`Softplus: ${name} must be a number, got ${describeValue(v)}`);
      }
    }
    this.beta = beta;
    this.threshold = threshold;
  }

  protected override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }

  /** Elementwise softplus. */
  forward(x: Tensor): Tensor {
    return softplusAs('Softplus', x, this.beta, this.threshold);
  }
}
