/**
 * The small digit CNN of the examples, as a function that examples/cnn.ts (with each of its norms),
 * examples/onnx.ts and the ONNX export tests (test/onnx/models.ts) share:
 *
 *   conv 3x3 1->8, norm, ReLU, maxpool 2     [N, 8, 14, 14]
 *   conv 3x3 8->16, norm, ReLU, maxpool 2    [N, 16, 7, 7]
 *   flatten, linear 784 -> 10
 *
 * `norm(channels)` gives the layers after each conv (default: one BatchNorm2d; `() => []` for none).
 * The norms draw no random numbers, so every variant starts from the same conv and linear weights.
 */
import { nn, type Module } from '../src/index.js';

export function digitCnn(norm: (channels: number) => Module[] = (c) => [new nn.BatchNorm2d(c)]): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }),
    ...norm(8),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }),
    ...norm(16),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(16 * 7 * 7, 10),
  );
}
