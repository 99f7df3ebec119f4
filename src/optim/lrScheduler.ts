/**
 * `optim.lrScheduler`: torch.optim.lr_scheduler's schedulers, with torch's arithmetic step for step
 * (the recursive forms of `get_lr`, not the closed forms), so the learning rates are the numbers
 * torch produces. A scheduler writes `group.lr` of its optimizer's parameter groups.
 *
 *   StepLR             lr_t = lr_{t-1} * gamma            when t > 0 and t % stepSize == 0
 *   MultiStepLR        lr_t = lr_{t-1} * gamma^count(t)   when t is a milestone (count: repeats)
 *   ExponentialLR      lr_t = lr_{t-1} * gamma
 *   LinearLR           lr_0 = lr * startFactor,
 *                      lr_t = lr_{t-1} * (1 + (end - start) / (total * start + (t - 1) * (end - start)))
 *                      for 0 < t <= total
 *   CosineAnnealingLR  lr_t = etaMin + (1 + cos(pi t / T)) / (1 + cos(pi (t - 1) / T)) * (lr_{t-1} - etaMin),
 *                      and lr_t = lr_{t-1} + (base - etaMin) (1 - cos(pi / T)) / 2 when (t - 1 - T) % 2T == 0
 *   LambdaLR           lr_t = base * lambda(t)
 *   OneCycleLR         phases annealed (cos or linear) between initialLr = maxLr / divFactor, maxLr and
 *                      minLr = initialLr / finalDivFactor; momentum (SGD) or beta1 (Adam) the other way
 *   SequentialLR       one scheduler after another, switching at milestones
 * `t` is `lastEpoch`, 0 after construction. Construction performs the initial step (t = 0), as in
 * torch; call `step()` after each `optimizer.step()`.
 *
 * One deviation in where state lives: torch keeps `initial_lr` (and OneCycleLR's `max_lr`,
 * `min_lr`, momenta) inside the optimizer's parameter groups. Here the schedulers keep them (the
 * initial learning rate in a table shared by every scheduler of the same group, so that a second
 * scheduler starts from the first one's initial rate, as torch's `setdefault` does), so the
 * optimizer's groups and state dicts hold only the optimizer's own options.
 */
import { describeValue } from '../tensor/check.js';
import type { Optimizer } from './optimizer.js';

/**
 * The optimizers a scheduler drives: any with `lr` in its groups (momentum / betas for OneCycleLR).
 * @example
 * const opt: optim.lrScheduler.SchedulableOptimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
 */
export type SchedulableOptimizer = Optimizer<{
  /** The group's learning rate, which the scheduler writes. */
  lr: number;
}>;

/**
 * A scheduler's state: its counters, learning rates and options (plain JSON-ready values).
 * @example const saved = sched.stateDict(); fresh.loadStateDict(saved);
 */
export type SchedulerStateDict = Record<string, unknown>;

/** The learning rate each parameter group had when the first scheduler of that group was made. */
const initialLrs = new WeakMap<object, number>();

function checkPositiveInteger(v: unknown, name: string, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`${where}: ${name} must be a positive integer, got ${describeValue(v)}`);
  }
  return v;
}

function checkFinite(v: unknown, name: string, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`${where}: ${name} must be a finite number, got ${describeValue(v)}`);
  }
  return v;
}

/** One value per parameter group: a number repeated, or a list of the right length (torch's `_format_param`). */
function perGroup(v: number | readonly number[], name: string, groups: number, where: string): number[] {
  if (Array.isArray(v)) {
    if (v.length !== groups) {
      throw new Error(`${where}: ${name} must have one value per parameter group (${groups}), got ${v.length}`);
    }
    return v.map((x, i) => checkFinite(x, `${name}[${i}]`, where));
  }
  return new Array<number>(groups).fill(checkFinite(v, name, where));
}

/** The largest index i with sorted[i - 1] <= x, i.e. Python's bisect_right. */
function bisectRight(sorted: readonly number[], x: number): number {
  let i = 0;
  while (i < sorted.length && sorted[i]! <= x) i++;
  return i;
}

/**
 * The base of every scheduler: torch's `LRScheduler` (step counting, the initial step, state dicts).
 * A subclass sets its options, then calls `start(lastEpoch)`, and implements `getLr()`.
 * @example
 * const sched: optim.lrScheduler.LRScheduler = new optim.lrScheduler.StepLR(opt, { stepSize: 10 });
 */
export abstract class LRScheduler {
  /** The learning rate of each group at the start (torch's `base_lrs`). */
  baseLrs: number[] = [];
  /** The index of the last step taken: 0 after construction. */
  lastEpoch = -1;
  /** How many times `step` ran (the initial step included). */
  protected stepCount = 0;
  /** True during the initial step of the constructor. */
  protected isInitial = false;
  /** The learning rates the last step set. */
  protected lastLr: number[] = [];

  protected constructor(
    /** The optimizer whose learning rates this scheduler writes. */
    readonly optimizer: SchedulableOptimizer,
    /** The scheduler's class name, for error messages. */
    readonly name: string,
  ) {
    const groups = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
    if (optimizer === null || typeof optimizer !== 'object' || !Array.isArray(groups)) {
      throw new Error(`${name}: optimizer must be an Optimizer, got ${describeValue(optimizer)}`);
    }
  }

  /** Records the base learning rates and performs the initial step (torch's `__init__` tail). */
  protected start(lastEpoch = -1): void {
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new Error(`${this.name}: lastEpoch must be an integer >= -1, got ${describeValue(lastEpoch)}`);
    }
    this.optimizer.paramGroups.forEach((group, i) => {
      if (lastEpoch === -1) {
        if (!initialLrs.has(group)) initialLrs.set(group, group.lr);
      } else if (!initialLrs.has(group)) {
        throw new Error(
          `${this.name}: param group ${i} has no initial learning rate` +
            `; resume (lastEpoch >= 0) only with an optimizer a scheduler has driven`,
        );
      }
    });
    this.baseLrs = this.optimizer.paramGroups.map((g) => initialLrs.get(g)!);
    this.lastEpoch = lastEpoch;
    this.initialStep();
  }

  /** torch's `_initial_step`: step once with `isInitial` set. */
  initialStep(): void {
    this.stepCount = 0;
    this.isInitial = true;
    try {
      this.step();
    } finally {
      this.isInitial = false;
    }
  }

  /** The initial learning rate of a parameter group (the first scheduler's view of it). */
  protected initialLr(group: object): number {
    return initialLrs.get(group)!;
  }

  /** The learning rates for step `lastEpoch`, one per group, from the current ones (recursive form). */
  protected abstract getLr(): number[];

  /** The learning rates for `lastEpoch` from the base ones, where torch has a closed form. */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /**
   * Advances one step and writes the new learning rates into the optimizer's groups.
   * @example
   * opt.step();
   * sched.step();
   */
  step(): void {
    this.stepCount++;
    this.updateLr(null);
  }

  /** torch's `_update_lr(epoch)`: the next step, or a jump to `epoch` by the closed form. */
  updateLr(epoch: number | null): void {
    let values: number[];
    if (epoch === null) {
      this.lastEpoch++;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((group, i) => (group.lr = values[i]!));
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The learning rates the last step set, one per parameter group (a copy).
   * @example sched.getLastLr(); // [0.05]
   */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The current learning rate of each group. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The scheduler's state (counters, learning rates, options), JSON-ready.
   * @example const saved = sched.stateDict();
   */
  stateDict(): SchedulerStateDict {
    const { lastEpoch, stepCount } = this;
    return { lastEpoch, stepCount, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr], ...this.options() };
  }

  /**
   * Restores `stateDict()`'s output; the options must match this scheduler's.
   * @example fresh.loadStateDict(saved);
   */
  loadStateDict(sd: SchedulerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object') {
      throw new Error(`${where}: expected an object, got ${describeValue(sd)}`);
    }
    const groups = this.optimizer.paramGroups.length;
    const lrList = (key: string): number[] => {
      const v = sd[key];
      if (!Array.isArray(v) || v.length !== groups || !v.every((x) => typeof x === 'number')) {
        throw new Error(`${where}: ${key} must be a list of ${groups} numbers, got ${describeValue(v)}`);
      }
      return [...(v as number[])];
    };
    for (const key of ['lastEpoch', 'stepCount']) {
      if (!Number.isInteger(sd[key]))
        throw new Error(`${where}: ${key} must be an integer, got ${describeValue(sd[key])}`);
    }
    this.loadOptions(sd, where);
    this.baseLrs = lrList('baseLrs');
    this.lastLr = lrList('lastLr');
    this.lastEpoch = sd['lastEpoch'] as number;
    this.stepCount = sd['stepCount'] as number;
  }

  /** The options and extra state a subclass saves. */
  protected options(): Record<string, unknown> {
    return {};
  }

  /** Checks and sets the options (from the constructor, or from a state dict on load). */
  protected loadOptions(_o: Record<string, unknown>, _where: string): void {}
}

/**
 * Options of `StepLR`.
 * @example new optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 })
 */
export interface StepLROptions {
  /** Decay every `stepSize` steps. */
  stepSize: number;
  /** Factor of each decay (default 0.1). */
  gamma?: number;
  /** The last step taken, to resume (default -1: start). */
  lastEpoch?: number;
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` steps.
 * @example const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 10, gamma: 0.5 });
 */
export class StepLR extends LRScheduler {
  /** Steps between two decays. */
  stepSize!: number;
  /** Multiplicative decay factor. */
  gamma!: number;

  constructor(optimizer: SchedulableOptimizer, opts: StepLROptions) {
    super(optimizer, 'StepLR');
    this.loadOptions({ stepSize: opts?.stepSize, gamma: opts?.gamma ?? 0.1 }, 'StepLR');
    this.start(opts.lastEpoch);
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }

  protected override options(): Record<string, unknown> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected override loadOptions(o: Record<string, unknown>, where: string): void {
    this.stepSize = checkPositiveInteger(o['stepSize'], 'stepSize', where);
    this.gamma = checkFinite(o['gamma'], 'gamma', where);
  }
}

/**
 * Options of `MultiStepLR`.
 * @example new optim.lrScheduler.MultiStepLR(opt, { milestones: [30, 80], gamma: 0.1 })
 */
export interface MultiStepLROptions {
  /** Steps at which to decay; a milestone listed twice decays by gamma^2. */
  milestones: readonly number[];
  /** Factor of each decay (default 0.1). */
  gamma?: number;
  /** The last step taken, to resume (default -1: start). */
  lastEpoch?: number;
}

/**
 * Multiplies the learning rate by `gamma` at each milestone.
 * @example const sched = new optim.lrScheduler.MultiStepLR(opt, { milestones: [30, 80] });
 */
export class MultiStepLR extends LRScheduler {
  /** Epochs at which the rate decays, increasing. */
  milestones!: number[];
  /** Multiplicative decay factor at each milestone. */
  gamma!: number;

  constructor(optimizer: SchedulableOptimizer, opts: MultiStepLROptions) {
    super(optimizer, 'MultiStepLR');
    this.loadOptions({ milestones: opts?.milestones, gamma: opts?.gamma ?? 0.1 }, 'MultiStepLR');
    this.start(opts.lastEpoch);
  }

  protected getLr(): number[] {
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** bisectRight(this.milestones, this.lastEpoch));
  }

  protected override options(): Record<string, unknown> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }

  protected override loadOptions(o: Record<string, unknown>, where: string): void {
    const v = o['milestones'];
    if (!Array.isArray(v) || !v.every((m) => Number.isInteger(m))) {
      throw new Error(`${where}: milestones must be a list of integers, got ${describeValue(v)}`);
    }
    this.milestones = [...(v as number[])].sort((a, b) => a - b);
    this.gamma = checkFinite(o['gamma'], 'gamma', where);
  }
}

/**
 * Options of `ExponentialLR`.
 * @example new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.95 })
 */
export interface ExponentialLROptions {
  /** Factor of each step's decay. */
  gamma: number;
  /** The last step taken, to resume (default -1: start). */
  lastEpoch?: number;
}

/**
 * Multiplies the learning rate by `gamma` every step.
 * @example const sched = new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.9 });
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay factor per step. */
  gamma!: number;

  constructor(optimizer: SchedulableOptimizer, opts: ExponentialLROptions) {
    super(optimizer, 'ExponentialLR');
    this.loadOptions({ gamma: opts?.gamma }, 'ExponentialLR');
    this.start(opts.lastEpoch);
  }

  protected getLr(): number[] {
    if (this.isInitial) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }

  protected override options(): Record<string, unknown> {
    return { gamma: this.gamma };
  }

  protected override loadOptions(o: Record<string, unknown>, where: string): void {
    this.gamma = checkFinite(o['gamma'], 'gamma', where);
  }
}

/**
 * Options of `LinearLR`.
 * @example new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 100 })  // warm-up
 */
export interface LinearLROptions {
  /** Factor of the first step, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Factor reached after `totalIters` steps, in [0, 1] (default 1). */
  endFactor?: number;
  /** Steps to go from startFactor to endFactor (default 5). */
  totalIters?: number;
  /** The last step taken, to resume (default -1: start). */
  lastEpoch?: number;
}

/**
 * Scales the learning rate by a factor going linearly from `startFactor` to `endFactor` in
 * `totalIters` steps (a warm-up).
 * @example const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.01, totalIters: 10 });
 */
export class LinearLR extends LRScheduler {
  /** Factor applied to the base rate at step 0. */
  startFactor!: number;
  /** Factor reached after `totalIters` steps. */
  endFactor!: number;
  /** Steps to go from `startFactor` to `endFactor`. */
  totalIters!: number;

  constructor(optimizer: SchedulableOptimizer, opts: LinearLROptions = {}) {
    super(optimizer, 'LinearLR');
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = opts;
    this.loadOptions({ startFactor, endFactor, totalIters }, 'LinearLR');
    this.start(opts.lastEpoch);
  }

  protected getLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n, lastEpoch: t } = this;
    if (t === 0) return this.currentLrs().map((lr) => lr * s);
    if (this.isInitial || t > n) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * (1.0 + (e - s) / (n * s + (t - 1) * (e - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((e - s) * Math.min(n, this.lastEpoch)) / n));
  }

  protected override options(): Record<string, unknown> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected override loadOptions(o: Record<string, unknown>, where: string): void {
    const [start, end] = [o['startFactor'], o['endFactor']];
    if (typeof start !== 'number' || !(start > 0 && start <= 1)) {
      throw new Error(`${where}: startFactor must be in (0, 1], got ${describeValue(start)}`);
    }
    if (typeof end !== 'number' || !(end >= 0 && end <= 1)) {
      throw new Error(`${where}: endFactor must be in [0, 1], got ${describeValue(end)}`);
    }
    [this.startFactor, this.endFactor] = [start, end];
    this.totalIters = checkPositiveInteger(o['totalIters'], 'totalIters', where);
  }
}

/**
 * Options of `CosineAnnealingLR`.
 * @example new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 })
 */
export interface CosineAnnealingLROptions {
  /** Steps of half a cosine period (from the base rate down to etaMin). */
  tMax: number;
  /** The minimum learning rate (default 0). */
  etaMin?: number;
  /** The last step taken, to resume (default -1: start). */
  lastEpoch?: number;
}

/**
 * Anneals the learning rate from its base value to `etaMin` along half a cosine of `tMax` steps (and
 * back up after, as torch's recursive form does, without restarts).
 * @example const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 50 });
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Steps of half a cosine period. */
  tMax!: number;
  /** Minimum learning rate. */
  etaMin!: number;

  constructor(optimizer: SchedulableOptimizer, opts: CosineAnnealingLROptions) {
    super(optimizer, 'CosineAnnealingLR');
    this.loadOptions({ tMax: opts?.tMax, etaMin: opts?.etaMin ?? 0 }, 'CosineAnnealingLR');
    this.start(opts.lastEpoch);
  }

  protected getLr(): number[] {
    const { tMax: T, etaMin, lastEpoch: t } = this;
    if (this.isInitial) return this.currentLrs();
    if (this.stepCount === 1 && t > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((t * Math.PI) / T))) / 2);
    }
    if ((t - 1 - T) % (2 * T) === 0) {
      return this.currentLrs().map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    const ratio = (1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T));
    return this.currentLrs().map((lr) => ratio * (lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    const { etaMin, lastEpoch: t, tMax: T } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2);
  }

  protected override options(): Record<string, unknown> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected override loadOptions(o: Record<string, unknown>, where: string): void {
    this.tMax = checkPositiveInteger(o['tMax'], 'tMax', where);
    this.etaMin = checkFinite(o['etaMin'], 'etaMin', where);
  }
}

/**
 * Options of `LambdaLR`.
 * @example new optim.lrScheduler.LambdaLR(opt, { lrLambda: (t) => 0.95 ** t })
 */
export interface LambdaLROptions {
  /** The factor of step t, one function for every group or one per group. */
  lrLambda: ((step: number) => number) | readonly ((step: number) => number)[];
  /** The last step taken, to resume (default -1: start). */
  lastEpoch?: number;
}

/**
 * Sets the learning rate to `base * lrLambda(t)`.
 * @example const sched = new optim.lrScheduler.LambdaLR(opt, { lrLambda: (t) => Math.min(1, (t + 1) / 100) });
 */
export class LambdaLR extends LRScheduler {
  private readonly lrLambdas: ((step: number) => number)[];

  constructor(optimizer: SchedulableOptimizer, opts: LambdaLROptions) {
    super(optimizer, 'LambdaLR');
    const f = opts?.lrLambda;
    const groups = optimizer.paramGroups.length;
    if (Array.isArray(f)) {
      if (f.length !== groups) {
        throw new Error(`LambdaLR: expected ${groups} lrLambda functions (one per parameter group), got ${f.length}`);
      }
      this.lrLambdas = [...f];
    } else {
      this.lrLambdas = new Array<(step: number) => number>(groups).fill(f as (step: number) => number);
    }
    this.lrLambdas.forEach((fn, i) => {
      if (typeof fn !== 'function')
        throw new Error(`LambdaLR: lrLambda ${i} must be a function, got ${describeValue(fn)}`);
    });
    this.start(opts.lastEpoch);
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/**
 * Options of `OneCycleLR` (torch's names in camelCase).
 * @example new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.1, totalSteps: 1000 })
 */
export interface OneCycleLROptions {
  /** Peak learning rate, one for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs, with `stepsPerEpoch`, when `totalSteps` is not given. */
  epochs?: number;
  /** Steps per epoch, with `epochs`. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent raising the learning rate (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD) or beta1 (Adam, AdamW) inversely to the learning rate (default true). */
  cycleMomentum?: boolean;
  /** Lowest momentum (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** Highest momentum (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** initialLr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Three phases (up, down to initialLr, down to minLr) instead of two (default false). */
  threePhase?: boolean;
  /** The last step taken, to resume (default -1: start). */
  lastEpoch?: number;
}

/** One phase of OneCycleLR: where it ends, and which values it anneals between. */
interface Phase {
  endStep: number;
  startLr: 'initial' | 'max' | 'min';
  endLr: 'initial' | 'max' | 'min';
  startMomentum: 'max' | 'base';
  endMomentum: 'max' | 'base';
}

/**
 * The 1cycle policy (Smith & Topin): the learning rate rises from maxLr / divFactor to maxLr, then
 * falls to a minimum far below, annealed by cosine or linearly; momentum moves the other way.
 * @example
 * const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.01, epochs: 10, stepsPerEpoch: loader.length });
 */
export class OneCycleLR extends LRScheduler {
  /** Steps in the whole cycle. */
  readonly totalSteps: number;
  private readonly phases: Phase[];
  private readonly anneal: 'cos' | 'linear';
  private readonly cycleMomentum: boolean;
  private readonly useBeta1: boolean;
  private maxLrs: number[];
  private minLrs: number[];
  private maxMomentums: number[] = [];
  private baseMomentums: number[] = [];

  constructor(optimizer: SchedulableOptimizer, opts: OneCycleLROptions) {
    super(optimizer, 'OneCycleLR');
    const where = 'OneCycleLR';
    if (opts?.totalSteps !== undefined) {
      this.totalSteps = checkPositiveInteger(opts.totalSteps, 'totalSteps', where);
    } else if (opts?.epochs !== undefined && opts.stepsPerEpoch !== undefined) {
      const epochs = checkPositiveInteger(opts.epochs, 'epochs', where);
      this.totalSteps = epochs * checkPositiveInteger(opts.stepsPerEpoch, 'stepsPerEpoch', where);
    } else {
      throw new Error(`${where}: give either totalSteps or (epochs and stepsPerEpoch)`);
    }
    const pct = opts.pctStart ?? 0.3;
    if (typeof pct !== 'number' || !(pct >= 0 && pct <= 1)) {
      throw new Error(`${where}: pctStart must be a number in [0, 1], got ${describeValue(pct)}`);
    }
    const n = this.totalSteps;
    this.phases = opts.threePhase
      ? [
          { endStep: pct * n - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: 2 * pct * n - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
          { endStep: n - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
        ]
      : [
          { endStep: pct * n - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: n - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
        ];
    const anneal = opts.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') {
      throw new Error(`${where}: annealStrategy must be 'cos' or 'linear', got '${String(anneal)}'`);
    }
    this.anneal = anneal;
    const groups = optimizer.paramGroups;
    const divFactor = checkFinite(opts.divFactor ?? 25, 'divFactor', where);
    const finalDivFactor = checkFinite(opts.finalDivFactor ?? 1e4, 'finalDivFactor', where);
    this.maxLrs = perGroup(opts.maxLr, 'maxLr', groups.length, where);
    this.minLrs = [];
    const lastEpoch = opts.lastEpoch ?? -1;
    if (lastEpoch === -1) {
      groups.forEach((group, i) => {
        initialLrs.set(group, this.maxLrs[i]! / divFactor); // torch overwrites group['initial_lr'] here
        this.minLrs.push(initialLrs.get(group)! / finalDivFactor);
      });
    } else {
      this.minLrs = groups.map((g) => (initialLrs.get(g) ?? NaN) / finalDivFactor);
    }
    this.cycleMomentum = opts.cycleMomentum ?? true;
    const defaults = optimizer.defaults as Record<string, unknown>;
    this.useBeta1 = 'betas' in defaults;
    if (this.cycleMomentum) {
      if (!('momentum' in defaults) && !this.useBeta1) {
        throw new Error(`${where}: optimizer must support momentum or beta1 with the cycleMomentum option enabled`);
      }
      this.maxMomentums = perGroup(opts.maxMomentum ?? 0.95, 'maxMomentum', groups.length, where);
      this.baseMomentums = perGroup(opts.baseMomentum ?? 0.85, 'baseMomentum', groups.length, where);
      if (lastEpoch === -1) groups.forEach((g, i) => this.setMomentum(g, this.maxMomentums[i]!));
    }
    this.start(lastEpoch);
  }

  private setMomentum(group: object, m: number): void {
    const g = group as Record<string, unknown>;
    if (this.useBeta1) g['betas'] = [m, ...(g['betas'] as number[]).slice(1)];
    else g['momentum'] = m;
  }

  private annealBetween(start: number, end: number, pct: number): number {
    if (this.anneal === 'linear') return (end - start) * pct + start;
    const cosOut = Math.cos(Math.PI * pct) + 1;
    return end + ((start - end) / 2.0) * cosOut;
  }

  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) {
      throw new Error(
        `OneCycleLR: tried to step ${step} times; the specified number of total steps is ${this.totalSteps}`,
      );
    }
    return this.optimizer.paramGroups.map((group, i) => {
      const lrOf = { initial: this.initialLr(group), max: this.maxLrs[i]!, min: this.minLrs[i]! };
      const momentumOf = { max: this.maxMomentums[i]!, base: this.baseMomentums[i]! };
      let startStep = 0;
      for (let k = 0; k < this.phases.length; k++) {
        const phase = this.phases[k]!;
        if (step <= phase.endStep || k === this.phases.length - 1) {
          const pct = (step - startStep) / (phase.endStep - startStep);
          if (this.cycleMomentum) {
            const m = this.annealBetween(momentumOf[phase.startMomentum], momentumOf[phase.endMomentum], pct);
            this.setMomentum(group, m);
          }
          return this.annealBetween(lrOf[phase.startLr], lrOf[phase.endLr], pct);
        }
        startStep = phase.endStep;
      }
      throw new Error('OneCycleLR: unreachable');
    });
  }

  protected override options(): Record<string, unknown> {
    const copy = (v: number[]): number[] => [...v];
    return {
      totalSteps: this.totalSteps,
      maxLrs: copy(this.maxLrs),
      minLrs: copy(this.minLrs),
      maxMomentums: copy(this.maxMomentums),
      baseMomentums: copy(this.baseMomentums),
    };
  }

  protected override loadOptions(sd: Record<string, unknown>, where: string): void {
    if (sd['totalSteps'] !== this.totalSteps) {
      throw new Error(`${where}: totalSteps is ${this.totalSteps}, the state dict has ${String(sd['totalSteps'])}`);
    }
    const groups = this.optimizer.paramGroups.length;
    const list = (key: string, n: number): number[] => {
      const v = sd[key];
      if (!Array.isArray(v) || v.length !== n) {
        throw new Error(`${where}: ${key} must be a list of ${n} numbers, got ${describeValue(v)}`);
      }
      return v.map((x, i) => checkFinite(x, `${key}[${i}]`, where));
    };
    this.maxLrs = list('maxLrs', groups);
    this.minLrs = list('minLrs', groups);
    this.maxMomentums = list('maxMomentums', this.cycleMomentum ? groups : 0);
    this.baseMomentums = list('baseMomentums', this.cycleMomentum ? groups : 0);
  }
}

/**
 * Options of `SequentialLR`.
 * @example new optim.lrScheduler.SequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] })
 */
export interface SequentialLROptions {
  /** The schedulers, each driving the optimizer from its milestone on. */
  schedulers: readonly LRScheduler[];
  /** The steps at which to switch to the next scheduler (one fewer than schedulers). */
  milestones: readonly number[];
  /** The last step taken (default -1: start). */
  lastEpoch?: number;
}

/**
 * Runs schedulers one after another: scheduler i from milestone i-1 on, restarted at 0 there.
 * @example
 * const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 95 });
 * const sched = new optim.lrScheduler.SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 */
export class SequentialLR extends LRScheduler {
  private readonly schedulers: LRScheduler[];
  private readonly milestones: number[];

  constructor(optimizer: SchedulableOptimizer, opts: SequentialLROptions) {
    super(optimizer, 'SequentialLR');
    const where = 'SequentialLR';
    const schedulers = opts?.schedulers;
    if (!Array.isArray(schedulers) || schedulers.length < 1) {
      throw new Error(`${where}: expects at least one scheduler, got ${describeValue(schedulers)}`);
    }
    schedulers.forEach((s, i) => {
      if (!(s instanceof LRScheduler)) {
        throw new Error(`${where}: schedulers[${i}] must be a scheduler, got ${describeValue(s)}`);
      }
      if (s.optimizer !== optimizer) {
        throw new Error(
          `${where}: expects all schedulers to belong to the same optimizer` +
            `, but schedulers[${i}] (${s.name}) has a different one`,
        );
      }
    });
    const milestones = opts.milestones;
    if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1) {
      throw new Error(
        `${where}: expects one milestone fewer than schedulers` +
          `; got ${schedulers.length} schedulers and ${Array.isArray(milestones) ? milestones.length : 'no'} ` +
          `milestones`,
      );
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (opts.lastEpoch ?? -1) + 1;
    for (const group of optimizer.paramGroups) group.lr = this.initialLr(group);
    for (const s of this.schedulers) s.lastEpoch -= 1; // undo the initial steps of the schedulers
    const first = this.schedulers[bisectRight(this.milestones, 0)]!;
    first.initialStep();
    this.baseLrs = [...first.baseLrs];
    this.lastLr = first.getLastLr();
  }

  protected getLr(): number[] {
    return this.currentLrs(); // unused: step is overridden
  }

  /** Steps the scheduler whose turn it is (restarting it at 0 on its milestone). */
  override step(): void {
    this.lastEpoch++;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.updateLr(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    const schedulers = this.schedulers.map((s) => s.stateDict());
    return { ...super.stateDict(), milestones: [...this.milestones], schedulers };
  }

  protected override loadOptions(sd: Record<string, unknown>, where: string): void {
    const subs = sd['schedulers'];
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new Error(
        `${where}: schedulers must be a list of ${this.schedulers.length} state dicts, got ${describeValue(subs)}`,
      );
    }
    subs.forEach((s, i) => this.schedulers[i]!.loadStateDict(s as SchedulerStateDict));
  }
}
