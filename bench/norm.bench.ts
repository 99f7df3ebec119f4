/**
 * Normalization layers: forward (training-mode statistics) and forward+backward at the issue's
 * shapes, with effective bandwidth and the ratio to a memcpy of the same bytes in the same run.
 *
 * Effective bytes: forward reads x and writes y (2 x 4 bytes per element); forward+backward adds
 * reading x and dy and writing dx (5 x 4 bytes per element). The memcpy reference copies x once
 * (read + write = 2 x 4 bytes per element), so "x memcpy" is time / memcpy time.
 *
 * Run: npm run bench   (TYPEGRAD_BACKEND=js|wasm picks the kernels; default: the library's)
 */
import { getBackend, manualSeed, nn, noGrad, randn, setBackend, type Module, type Tensor } from '../src/index.js';
import { machine, medians, printTable, type Row } from './harness.js';

if (process.env.TYPEGRAD_BACKEND) setBackend(process.env.TYPEGRAD_BACKEND);
manualSeed(0);

interface Case {
  name: string;
  shape: number[];
  make: () => Module;
}

const cases: Case[] = [
  { name: 'BatchNorm2d', shape: [32, 64, 32, 32], make: () => new nn.BatchNorm2d(64) },
  { name: 'LayerNorm', shape: [8, 512, 768], make: () => new nn.LayerNorm(768) },
  { name: 'GroupNorm(32)', shape: [8, 64, 32, 32], make: () => new nn.GroupNorm(32, 64) },
  { name: 'InstanceNorm2d', shape: [8, 64, 32, 32], make: () => new nn.InstanceNorm2d(64) },
  { name: 'RMSNorm', shape: [8, 512, 768], make: () => new nn.RMSNorm(768) },
];

const rows: Row[] = [];
for (const c of cases) {
  const layer = c.make().train();
  const x = randn(c.shape);
  const xg = x.detach().requiresGrad_();
  const dy = randn(c.shape);
  const copy = new Float32Array(x.size);
  const t = await medians({
    memcpy: () => copy.set(x.data as Float32Array),
    forward: () => noGrad(() => layer.forward(x)),
    'forward+backward': () => {
      xg.grad = null;
      layer.zeroGrad();
      (layer.forward(xg) as Tensor).backward(dy);
    },
  });
  const bytes = x.size * 4;
  rows.push({
    layer: c.name,
    shape: `[${c.shape.join(', ')}]`,
    'fwd ms': t.forward!,
    'fwd GB/s': (2 * bytes) / (t.forward! * 1e6),
    'fwd x memcpy': t.forward! / t.memcpy!,
    'fwd+bwd ms': t['forward+backward']!,
    'fwd+bwd GB/s': (5 * bytes) / (t['forward+backward']! * 1e6),
    'fwd+bwd / fwd': t['forward+backward']! / t.forward!,
    'memcpy ms': t.memcpy!,
  });
}
console.log(`\nNormalization layers, backend '${getBackend()}', ${machine()}, medians of tinybench runs\n`);
printTable(rows);
