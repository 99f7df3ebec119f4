/**
 * Writes the exported test models to test/fixtures/onnx/NAME.onnx, for test/fixtures/onnx_check.py
 * (ONNX's checker). Run after changing the exporter or test/onnx/models.ts, then the Python script:
 *
 *   npx tsx test/onnx/writeModels.ts
 *   .venv-torch/bin/python test/fixtures/onnx_check.py
 *
 * test/onnx/export.test.ts fails while a committed file differs from what the exporter writes now.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportOnnx } from '../../src/onnx/export.js';
import { onnxCases } from './models.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'onnx');
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(dir)) if (f.endsWith('.onnx')) rmSync(join(dir, f));
for (const c of onnxCases()) writeFileSync(join(dir, `${c.name}.onnx`), exportOnnx(c.model, c.inputs, c.opts));
console.log(`wrote ${onnxCases().length} models to ${dir}`);
