/**
 * A small classifier ONNX file for the always-on tests, produced by the real exporter:
 * `createTinyRun` (a random-weight tfjs run directory) then `exportRunToOnnx`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface TrainerTesting {
  createTinyRun(dir: string, options: { labels: string[]; seed?: number }): Promise<unknown>;
}
interface TrainerExport {
  exportRunToOnnx(options: { runDir: string; out?: string }): Promise<{ path: string }>;
}

export const TINY_LABELS = ['ants', 'bees', 'wasps'];

export async function makeTinyModel(labels = TINY_LABELS, seed = 7): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-edge-tiny-'));
  const runDir = join(dir, 'run');
  // Specifiers in variables: the trainer is a devDependency built before these tests run.
  const testingId = '@ferry/trainer/testing';
  const exportId = '@ferry/trainer/export';
  let testing: TrainerTesting;
  let exporter: TrainerExport;
  try {
    testing = (await import(testingId)) as TrainerTesting;
    exporter = (await import(exportId)) as TrainerExport;
  } catch {
    // TEMPORARY until the exporter lands: a python3-onnx model with the same spec format.
    console.warn('\n!!! exporter not available: using the python3-onnx development model\n');
    const out = join(dir, 'model.onnx');
    const { writePythonTinyModel } = await import('./python-onnx-model.js');
    writePythonTinyModel(out, labels, 64, seed);
    return out;
  }
  await testing.createTinyRun(runDir, { labels, seed });
  const out = join(dir, 'model.onnx');
  await exporter.exportRunToOnnx({ runDir, out });
  return out;
}
