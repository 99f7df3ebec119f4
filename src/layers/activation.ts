/**
 * Activation layers: `ReLU`, `GELU`, `Tanh`, `Sigmoid`, `Softmax`, `LogSoftmax`. Each is the
 * elementwise (or per-axis) function as a parameter-free module, like torch.nn's.
 */
import { logSoftmax, softmax } from '../autograd/ops/softmax.js';
import type { Tensor } from '../autograd/tensor.js';
import { Module } from './module.js';

/**
 * y = max(x, 0).
 * @example new ReLU().forward(tensor([-1, 2]))  // [0, 2]
 */
export class ReLU extends Module {
  /** Elementwise max(x, 0). */
  forward(x: Tensor): Tensor {
    return x.relu();
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

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

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
    const approximate = opts.approximate ?? 'none';
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new Error(`GELU: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
    }
    this.approximate = approximate;
  }

  /** Elementwise GELU. */
  forward(x: Tensor): Tensor {
    if (this.approximate === 'none') return x.gelu();
    const inner = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
    return x.mul(0.5).mul(inner.tanh().add(1));
  }
}

/**
 * y = tanh(x).
 * @example new Tanh().forward(tensor([0]))  // [0]
 */
export class Tanh extends Module {
  /** Elementwise tanh. */
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}

/**
 * y = 1 / (1 + e^-x).
 * @example new Sigmoid().forward(tensor([0]))  // [0.5]
 */
export class Sigmoid extends Module {
  /** Elementwise logistic sigmoid. */
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** The shared shape of `Softmax` and `LogSoftmax`: a function applied along one axis, `dim`. */
abstract class AlongDim extends Module {
  /** The axis the function runs along (negative counts from the end). */
  readonly dim: number;

  constructor(dim: number) {
    super();
    if (!Number.isInteger(dim)) throw new Error(`${new.target.name}: dim must be an integer axis, got ${String(dim)}`);
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
    return softmax(x, this.dim);
  }
}

/**
 * y = x - log(sum(e^x)) along `dim` (stable).
 * @example new LogSoftmax(1).forward(logits)  // log-probabilities
 */
export class LogSoftmax extends AlongDim {
  /** Log-softmax along `dim`. */
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}
