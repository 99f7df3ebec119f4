/**
 * Optimizer state in one safetensors file, so training can stop and resume exactly.
 *
 * Layout: every state tensor is stored as `state.<i>.<name>` (i: the parameter's index across
 * groups, as in `stateDict()`; name: `exp_avg`, `momentum_buffer`, ...). The rest is JSON in the
 * header's `__metadata__` strings:
 *   format        'typegrad.optimizer'
 *   optimizer     the class name ('AdamW'), checked on load
 *   param_groups  the groups' options with their parameter indices (stateDict().param_groups)
 *   state         the per-parameter numbers ({ "0": { "step": 3 } })
 *   lr_scheduler  a scheduler's stateDict(), when one is given
 */
import { Tensor } from '../autograd/tensor.js';
import { readSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { LRScheduler } from './lrScheduler.js';
import type { Optimizer, OptimizerStateDict, ParamState } from './optimizer.js';

const FORMAT = 'typegrad.optimizer';

/**
 * Options of `saveOptimizerState` and `loadOptimizerState`.
 * @example saveOptimizerState(opt, { scheduler: sched })
 */
export interface OptimizerStateFileOptions {
  /** A learning-rate scheduler whose state travels in the same file. */
  scheduler?: LRScheduler;
}

/**
 * The optimizer's state (and a scheduler's) as the bytes of one safetensors file.
 * @example
 * const bytes = optim.saveOptimizerState(opt, { scheduler: sched });
 * // later, with a fresh model, optimizer and scheduler built the same way:
 * optim.loadOptimizerState(opt2, bytes, { scheduler: sched2 });
 */
export function saveOptimizerState(opt: Optimizer<object>, opts: OptimizerStateFileOptions = {}): Uint8Array {
  const sd = opt.stateDict();
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, number>> = {};
  for (const [i, state] of Object.entries(sd.state)) {
    for (const [name, v] of Object.entries(state)) {
      if (v instanceof Tensor) tensors[`state.${i}.${name}`] = v;
      else (scalars[i] ??= {})[name] = v;
    }
  }
  const metadata: Record<string, string> = {
    format: FORMAT,
    optimizer: opt.constructor.name,
    param_groups: JSON.stringify(sd.param_groups),
    state: JSON.stringify(scalars),
  };
  if (opts.scheduler !== undefined) metadata['lr_scheduler'] = JSON.stringify(opts.scheduler.stateDict());
  return saveSafetensors(tensors, metadata);
}

/**
 * Restores what `saveOptimizerState` wrote into `opt` (and `scheduler`), through their
 * `loadStateDict`, which checks the groups, sizes and shapes.
 * @example optim.loadOptimizerState(opt, bytes);
 */
export function loadOptimizerState(
  opt: Optimizer<object>,
  bytes: Uint8Array,
  opts: OptimizerStateFileOptions = {},
): void {
  const where = 'loadOptimizerState';
  const { tensors, metadata } = readSafetensors(bytes);
  if (metadata['format'] !== FORMAT) {
    throw new Error(
      `${where}: not an optimizer state file (metadata format is ${JSON.stringify(metadata['format'])}` +
        `, expected "${FORMAT}")`,
    );
  }
  if (metadata['optimizer'] !== opt.constructor.name) {
    throw new Error(
      `${where}: the file holds the state of a ${metadata['optimizer']}, not of a ${opt.constructor.name}`,
    );
  }
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(metadata[key] ?? '');
    } catch {
      throw new Error(`${where}: metadata "${key}" is not valid JSON`);
    }
  };
  const state: Record<number, ParamState> = {};
  const scalars = parse('state');
  if (scalars === null || typeof scalars !== 'object') throw new Error(`${where}: metadata "state" must be an object`);
  for (const [i, values] of Object.entries(scalars as Record<string, ParamState>)) state[Number(i)] = { ...values };
  for (const [key, t] of Object.entries(tensors)) {
    const m = /^state\.(\d+)\.(.+)$/.exec(key);
    if (m === null) throw new Error(`${where}: unexpected tensor "${key}"; expected state.<index>.<name>`);
    (state[Number(m[1])] ??= {})[m[2]!] = t;
  }
  const sd = { state, param_groups: parse('param_groups') } as OptimizerStateDict<object>;
  if (opts.scheduler !== undefined) {
    if (metadata['lr_scheduler'] === undefined) {
      throw new Error(`${where}: a scheduler was given but the file holds no scheduler state`);
    }
    opt.loadStateDict(sd);
    opts.scheduler.loadStateDict(parse('lr_scheduler') as Record<string, unknown>);
    return;
  }
  opt.loadStateDict(sd);
}
