/**
 * The small digit CNN of examples/cnn.ts in its BatchNorm2d variant, as a function that examples/onnx.ts
 * and the ONNX export tests (test/onnx/models.ts) share:
 *
 *   conv 3x3 1->8, BatchNorm2d, ReLU, maxpool 2     [N, 8, 14, 14]
 *   conv 3x3 8->16, BatchNorm2d, ReLU, maxpool 2    [N, 16, 7, 7]
 *   flatten, linear 784 -> 10
 */
import { nn } from '../src/index.js';

export function digitCnn(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    new nn.BatchNorm2d(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    new nn.BatchNorm2d(16),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 7 * 7, 10),
  );
}
