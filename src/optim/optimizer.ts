/**
 * `Optimizer`: torch.optim.Optimizer's bookkeeping (parameter groups, per-parameter state, state
 * dicts) around one per-parameter update rule that each subclass supplies.
 *
 * State dicts keep PyTorch's structure and state key names, so that they read like torch's:
 *   { state: { 0: { momentum_buffer } | { step, exp_avg, exp_avg_sq, max_exp_avg_sq } },
 *     param_groups: [{ lr, ...options, params: [0, 1, ...] }] }
 * Parameters are numbered across groups in order, as in torch. The options inside a group use
 * typegrad's camelCase names (`weightDecay`, not `weight_decay`), the names the constructor takes;
 * `step` is a plain number where torch keeps a 0-d tensor (`loadStateDict` accepts either).
 */
import { checkTensor } from '../autograd/check.js';
import { floatData } from '../autograd/dtypeCheck.js';
import { describeValue } from '../tensor/check.js';
import { bumpVersion } from '../autograd/saved.js';
import { Tensor } from '../autograd/tensor.js';
import type { FloatArray } from '../tensor/dtype.js';
import { describe, emptyRecord, isPlainObject } from '../tensor/records.js';
import { fmtShape } from '../tensor/shape.js';

/**
 * Per-parameter optimizer state: buffers (tensors of the parameter's shape) and counters.
 * @example
 * opt.stateDict().state[0]; // Adam: { step, exp_avg, exp_avg_sq }
 */
export type ParamState = Record<string, Tensor | number>;

/**
 * What one field of a parameter's state may hold, checked by `loadStateDict`: `'step'` a count (a
 * non-negative integer, or a one-element tensor holding one, as torch saves it), `'buffer'` a
 * tensor of the parameter's shape, `'nonNegativeBuffer'` such a tensor with no negative element
 * (a second moment; NaN is let through, it is what a diverged run holds).
 * @example
 * { step: 'step', exp_avg: 'buffer', exp_avg_sq: 'nonNegativeBuffer' } // Adam's
 */
export type StateField = 'step' | 'buffer' | 'nonNegativeBuffer';

/**
 * The fields of one parameter's state: every key allowed, and those a non-empty state must have.
 * @example
 * { fields: { momentum_buffer: 'buffer' }, required: [] } // SGD's
 */
export interface StateSchema {
  /** Every state key the optimizer knows, with what it may hold. */
  fields: Record<string, StateField>;
  /** Keys that a state with any entry must have (Adam: step and both moments). */
  required: readonly string[];
}

/**
 * A parameter group as passed in: its tensors, and options that override the defaults.
 * @example
 * new optim.SGD([{ params: encoder.parameters() }, { params: head.parameters(), lr: 0.1 }], { lr: 0.01 });
 */
export type ParamGroupInput<O> = {
  /** The tensors this group's options apply to. */
  params: readonly Tensor[];
} & Partial<O>;

/**
 * A parameter group as the optimizer holds it: every option resolved.
 * @example
 * for (const group of opt.paramGroups) group.lr *= 0.5; // decay the learning rate
 */
export type ParamGroup<O> = O & {
  /** The tensors this group's options apply to. */
  params: Tensor[];
};

/**
 * What an optimizer takes: a list of parameters, or a list of parameter groups.
 * @example
 * new optim.SGD(model.parameters(), { lr: 0.1 });                                  // one group
 * new optim.SGD([{ params: a.parameters() }, { params: b.parameters(), lr: 1 }], { lr: 0.1 }); // two
 */
export type Params<O> = readonly Tensor[] | readonly ParamGroupInput<O>[];

/**
 * An optimizer's state dict, in PyTorch's layout (see the module comment).
 * @example
 * const saved = opt.stateDict();
 * opt.loadStateDict(saved);
 */
export interface OptimizerStateDict<O> {
  /** Per-parameter state (momentum buffers, Adam moments, step), keyed by the parameter's index. */
  state: Record<number, ParamState>;
  /** Each group's options, with its parameters as indices into `state`. */
  param_groups: (O & {
    /** Indices of the group's parameters, counted across all groups in order. */
    params: number[];
  })[];
}

/** A copy of a group's options, arrays (like `betas`) included, without `params`. */
function copyOptions<O extends object>(group: O): O {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(group)) if (k !== 'params') out[k] = Array.isArray(v) ? [...v] : v;
  return out as O;
}

/** A deep copy of one parameter's state (tensors cloned, numbers copied). */
function copyState(state: ParamState): ParamState {
  const out = emptyRecord<Tensor | number>();
  for (const [k, v] of Object.entries(state)) out[k] = v instanceof Tensor ? v.clone() : v;
  return out;
}

/**
 * The base of SGD, Adam and AdamW: a subclass supplies `validate` (its options) and `update` (its
 * rule for one parameter); groups, state, `step`, `zeroGrad` and state dicts live here.
 * @example
 * for (const [x, y] of loader) {
 *   opt.zeroGrad();
 *   functional.mseLoss(model.forward(x), y).backward();
 *   opt.step();
 * }
 */
export abstract class Optimizer<O extends object> {
  /** The parameter groups, each with every option resolved. Edit `lr` here to schedule it. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();

  /**
   * @param name the optimizer's name, for error messages
   * @param defaults every option's value where a group does not set it
   * @param given the options object the user passed, checked for unknown names
   */
  protected constructor(
    protected readonly name: string,
    params: Params<O>,
    readonly defaults: O,
    given: object,
  ) {
    checkKnownOptions(given, defaults, name);
    this.validate(defaults, name);
    if (params instanceof Tensor || !Array.isArray(params)) {
      throw new Error(
        `${name}: params must be an array of Tensors or of parameter groups {params, ...options}, got ` +
          `${describeValue(params)}`,
      );
    }
    if (params.length === 0) throw new Error(`${name}: params is an empty list; expected at least one parameter`);
    const groups = params.every((p) => p instanceof Tensor)
      ? [{ params: params as readonly Tensor[] } as ParamGroupInput<O>]
      : (params as readonly ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Throws unless the resolved options of a group are valid (torch's conditions). */
  protected abstract validate(options: O, where: string): void;

  /** The fields a parameter's state may have, for `loadStateDict` to check a loaded one. */
  protected abstract readonly stateSchema: StateSchema;

  /**
   * Updates one parameter in place from its gradient. `grad` is read only; `state` is this
   * parameter's state (empty on its first update) and may be filled.
   */
  protected abstract update(param: Tensor, grad: FloatArray, state: ParamState, options: O): void;

  /**
   * Adds a group of parameters with its own options (the others come from the defaults).
   * @example opt.addParamGroup({ params: head.parameters(), lr: 1e-2 });
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const where = `${this.name}: param group ${this.paramGroups.length}`;
    if (group === null || typeof group !== 'object' || !Array.isArray(group.params)) {
      throw new Error(`${where}: expected {params: Tensor[], ...options}, got ${describeValue(group)}`);
    }
    checkKnownOptions(group, this.defaults, where);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    group.params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${where}: params[${i}] must be a Tensor, got ${describeValue(p)}`);
      if (!p.isLeaf)
        throw new Error(
          `${where}: params[${i}] is not a leaf tensor (made by '${p.gradFn!.name}'); only leaves can be optimized`,
        );
      if (!p.isContiguous()) {
        // updates write p.data, which for a non-contiguous view is a copy: they would be lost
        throw new Error(
          `${where}: params[${i}] must be contiguous (it is a strided view, strides ${fmtShape(p.stride())}); ` +
            'call contiguous() before requiresGrad_()',
        );
      }
      if (seen.has(p))
        throw new Error(`${where}: params[${i}] appears more than once among the optimizer's parameters`);
      seen.add(p);
    });
    const options = { ...copyOptions(this.defaults), ...copyOptions(group as object) } as O;
    this.validate(options, where);
    this.paramGroups.push({ ...options, params: [...group.params] });
  }

  /** Performs one update of every parameter that has a gradient (the others are skipped). */
  step(): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null || p.grad === undefined) continue;
        // .grad is public and writable: a Float32Array or a wrong shape set by hand fails here, by name.
        checkTensor(p.grad, `${this.name}.step`, `the gradient of a parameter of shape ${fmtShape(p.shape)}`, p.shape);
        let state = this.state.get(p);
        if (state === undefined) {
          state = {};
          this.state.set(p, state);
        }
        this.update(p, floatData(p.grad, `${this.name}.step`, 'grad'), state, group);
        bumpVersion(p); // p was written in place: a graph that saved it can no longer backward
      }
    }
  }

  /** Sets the gradient of every parameter to null (torch's default `set_to_none=True`). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const p of group.params) p.grad = null;
  }

  /**
   * A copy of the optimizer's state in PyTorch's layout: parameters are numbered across groups in
   * order; state tensors are cloned, so later steps do not change the returned dict. `state` and
   * each parameter's entry are prototype-free records.
   * @example const saved = opt.stateDict(); ... opt.loadStateDict(saved);
   */
  stateDict(): OptimizerStateDict<O> {
    const state = emptyRecord<ParamState>();
    let index = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const ids = group.params.map((p) => {
        const s = this.state.get(p);
        if (s !== undefined) state[index] = copyState(s);
        return index++;
      });
      return { ...copyOptions(group), params: ids };
    });
    return { state, param_groups: paramGroups as (O & { params: number[] })[] };
  }

  /**
   * Restores options and state from `stateDict()`'s output (copied, never aliased). The groups must
   * match this optimizer's in number and sizes, with distinct parameter indices, and every option
   * must pass the constructor's checks. Every state field is checked against the optimizer's schema:
   * known keys only, all required ones present (Adam: step, exp_avg, exp_avg_sq), a step a
   * non-negative integer, every buffer a tensor of its parameter's shape (second moments >= 0).
   * Everything is checked before anything is changed, so a failed load leaves the optimizer as it was.
   * @example opt.loadStateDict(saved);
   */
  loadStateDict(sd: OptimizerStateDict<O>): void {
    const where = `${this.name}.loadStateDict`;
    if (!isPlainObject(sd)) {
      throw new Error(`${where}: expected a plain object {state, param_groups}, got ${describe(sd)}`);
    }
    if (!Array.isArray(sd.param_groups)) {
      throw new Error(`${where}: param_groups must be an array, got ${describe(sd.param_groups)}`);
    }
    if (!isPlainObject(sd.state)) {
      throw new Error(`${where}: state must be a plain object of index -> state, got ${describe(sd.state)}`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new Error(
        `${where}: the state dict has ${sd.param_groups.length} parameter groups, this optimizer has ` +
          `${this.paramGroups.length}`,
      );
    }
    const byId = new Map<string, Tensor>();
    const options = sd.param_groups.map((saved: unknown, g) => {
      const at = `${where}: param group ${g}`;
      if (!isPlainObject(saved)) {
        throw new Error(`${at}: expected a plain object {params, ...options}, got ${describe(saved)}`);
      }
      const own = this.paramGroups[g]!;
      const ids = saved['params'];
      if (!Array.isArray(ids) || ids.length !== own.params.length) {
        const count = Array.isArray(ids) ? ids.length : 'no';
        throw new Error(
          `${where}: parameter group ${g} has ${count} parameters in the state dict, ` +
            `${own.params.length} in this optimizer`,
        );
      }
      ids.forEach((id: unknown, i) => {
        if (!(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) {
          throw new Error(`${at}: params[${i}] must be a parameter index (an integer >= 0), got ${describe(id)}`);
        }
        if (byId.has(String(id))) {
          throw new Error(`${at}: parameter index ${id} appears more than once in param_groups`);
        }
        byId.set(String(id), own.params[i]!);
      });
      checkKnownOptions(saved, this.defaults, at);
      const o = { ...copyOptions(this.defaults), ...copyOptions(saved) } as O;
      this.validate(o, at);
      return o;
    });
    const states = new Map<Tensor, ParamState>();
    for (const [key, saved] of Object.entries(sd.state)) {
      const p = byId.get(key);
      if (p === undefined) {
        const named = JSON.stringify(key);
        throw new Error(`${where}: state has an entry for parameter ${named}, which no parameter group lists`);
      }
      states.set(p, this.loadParamState(saved, p, `${where}: state[${key}]`));
    }
    options.forEach((o, g) => Object.assign(this.paramGroups[g]!, o));
    this.state.clear();
    for (const [p, s] of states) this.state.set(p, s);
  }

  /** A checked copy of one parameter's saved state (see `loadStateDict`); throws naming the field. */
  private loadParamState(saved: unknown, p: Tensor, at: string): ParamState {
    if (!isPlainObject(saved)) {
      throw new Error(`${at} must be a plain object of field -> value, got ${describe(saved)}`);
    }
    const { fields, required } = this.stateSchema;
    const copy = emptyRecord<Tensor | number>();
    for (const [k, v] of Object.entries(saved)) {
      const kind = Object.hasOwn(fields, k) ? fields[k] : undefined;
      if (kind === undefined) {
        const known = Object.keys(fields).join(', ');
        throw new Error(`${at}: unknown field ${JSON.stringify(k)}; ${this.name} keeps ${known}`);
      }
      const field = `${at}.${k}`;
      copy[k] = kind === 'step' ? loadStep(v, field) : loadBuffer(v, p, kind === 'nonNegativeBuffer', field);
    }
    const absent = required.filter((k) => !Object.hasOwn(copy, k));
    if (Object.keys(copy).length > 0 && absent.length > 0) {
      const all = required.join(', ');
      throw new Error(`${at}: missing ${absent.join(', ')}; a ${this.name} state needs ${all} together`);
    }
    return copy;
  }
}

/** A saved step count: a non-negative integer, or a one-element tensor holding one (torch's form). */
function loadStep(v: unknown, at: string): number {
  const n = v instanceof Tensor && v.size === 1 ? v.item() : v;
  if (!(typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) {
    const holding = v instanceof Tensor && v.size === 1 ? ` holding ${String(n)}` : '';
    const given = v instanceof Tensor ? `a tensor of shape ${fmtShape(v.shape)}${holding}` : describe(v);
    throw new Error(`${at} must be a step count (an integer >= 0), got ${given}`);
  }
  return n;
}

/** A saved buffer: a tensor of the parameter's shape, copied in the parameter's dtype. */
function loadBuffer(v: unknown, p: Tensor, nonNegative: boolean, at: string): Tensor {
  if (!(v instanceof Tensor)) throw new Error(`${at} must be a Tensor, got ${describe(v)}`);
  if (v.shape.join(',') !== p.shape.join(',')) {
    throw new Error(`${at} has shape ${fmtShape(v.shape)}, expected the parameter's shape ${fmtShape(p.shape)}`);
  }
  if (nonNegative) {
    const bad = v.data.findIndex((x) => x < 0);
    if (bad >= 0) {
      throw new Error(`${at} must have no negative element (a second moment), got ${v.data[bad]} at index ${bad}`);
    }
  }
  return v.dtype === p.dtype ? v.clone() : v.to(p.dtype).detach(); // buffers take the parameter's dtype
}

/** Throws if `given` has an option name that `defaults` does not (a typo such as `weight_decay`). */
function checkKnownOptions(given: object, defaults: object, where: string): void {
  for (const key of Object.keys(given)) {
    if (key !== 'params' && !Object.hasOwn(defaults, key)) {
      throw new Error(`${where}: unknown option "${key}"; expected one of ${Object.keys(defaults).join(', ')}`);
    }
  }
}

/** Throws unless `value` is a finite number >= 0, naming the option. */
export function checkNonNegative(value: unknown, option: string, where: string): void {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new Error(`${where}: ${option} must be a finite number >= 0, got ${describeValue(value)}`);
  }
}

/** Throws unless `value` is a boolean, naming the option. */
export function checkBoolean(value: unknown, option: string, where: string): void {
  if (typeof value !== 'boolean') {
    throw new Error(`${where}: ${option} must be true or false, got ${describeValue(value)}`);
  }
}
