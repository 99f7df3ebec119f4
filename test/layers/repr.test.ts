/**
 * `Module.toString()` prints the module tree in torch's layout (`print(model)`), with each layer's
 * constructor arguments from `extraRepr()`.
 */
import { describe, expect, it } from 'vitest';
import { nn } from '../../src/index.js';

describe('Module.toString', () => {
  it("prints nested containers with indented (key): lines and each layer's arguments", () => {
    const model = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { padding: 1 }),
      new nn.BatchNorm2d(8),
      new nn.ReLU(),
      new nn.Sequential(new nn.LayerNorm([4]), new nn.RMSNorm([2, 2], { eps: 1e-6 })),
      new nn.GroupNorm(2, 8, { affine: false }),
      new nn.InstanceNorm1d(3),
      new nn.MaxPool2d(2),
      new nn.AvgPool2d(3, { stride: 2 }),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.Linear(8, 10, { bias: false }),
      new nn.Dropout(0.1),
      new nn.BatchNorm1d(4, { momentum: null }),
    );
    expect(String(model)).toBe(
      [
        'Sequential(',
        '  (0): Conv2d(1, 8, kernelSize=[3, 3], stride=[1, 1], padding=[1, 1], dilation=[1, 1], groups=1, bias=true)',
        '  (1): BatchNorm2d(8, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)',
        '  (2): ReLU()',
        '  (3): Sequential(',
        '    (0): LayerNorm([4], eps=0.00001, elementwiseAffine=true)',
        '    (1): RMSNorm([2, 2], eps=0.000001, elementwiseAffine=true)',
        '  )',
        '  (4): GroupNorm(2, 8, eps=0.00001, affine=false)',
        '  (5): InstanceNorm1d(3, eps=0.00001, momentum=0.1, affine=false, trackRunningStats=false)',
        '  (6): MaxPool2d(kernelSize=[2, 2])',
        '  (7): AvgPool2d(kernelSize=[3, 3], stride=2)',
        '  (8): AdaptiveAvgPool2d(outputSize=1)',
        '  (9): Flatten()',
        '  (10): Linear(inFeatures=8, outFeatures=10, bias=false)',
        '  (11): Dropout(p=0.1)',
        '  (12): BatchNorm1d(4, eps=0.00001, momentum=null, affine=true, trackRunningStats=true)',
        ')',
      ].join('\n'),
    );
  });
});
