/**
 * The `optim` namespace: optimizers with torch.optim's update rules, options and state dicts.
 */
export {
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type Params,
} from './optimizer.js';
export type { StateField, StateSchema } from './optimizer.js';
export { SGD, type SGDGroupOptions, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamGroupOptions, type AdamOptions } from './adam.js';
export * as lrScheduler from './lrScheduler.js';
export { saveOptimizerState, loadOptimizerState, type OptimizerStateFileOptions } from './stateFile.js';
