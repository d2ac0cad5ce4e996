/**
 * The real-data model: MobileNetV2 0.35 (from FERRY_MODELS_DIR) with a 2-class ants/bees head,
 * trained for a few cheap feature-mode epochs by the trainer and exported to ONNX by the
 * trainer's exporter, i.e. the same path as `ferry train` + `ferry export`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '@ferry/trainer';
import { exportRunToOnnx } from '@ferry/trainer/export';

export async function trainRealModel(hymenopteraDir: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'ferry-edge-real-')), 'run');
  const { runDir } = await train({
    data: hymenopteraDir,
    out,
    backbone: 'mobilenet_v2_0.35_224',
    mode: 'features',
    epochs: 8,
    augViews: 0,
    backend: 'wasm',
    // Exported below, not by train(): train() turns an export failure into a warning line,
    // and the test should fail with the exporter's own message instead.
    exportOnnx: false,
    report: false,
    seed: 1,
  });
  const result = await exportRunToOnnx({ runDir, out: join(runDir, 'model.onnx') });
  return result.path;
}
