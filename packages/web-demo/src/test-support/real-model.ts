/**
 * A model with real weights for the real-data browser test: MobileNetV2 0.35 (FERRY_MODELS_DIR)
 * with an ants/bees head trained for a few feature-mode epochs by the trainer (features are
 * cached under FERRY_CACHE_DIR, so later runs take seconds), exported by the trainer's exporter:
 * the same path as `ferry train` + `ferry export`.
 */
import { join } from 'node:path';
import { train } from '@ferry/trainer';
import { exportRunToOnnx } from '@ferry/trainer/export';

export async function trainRealModel(hymenopteraDir: string, scratch: string): Promise<string> {
  const { runDir } = await train({
    data: hymenopteraDir,
    out: join(scratch, 'real-run'),
    backbone: 'mobilenet_v2_0.35_224',
    mode: 'features',
    epochs: 8,
    augViews: 0,
    backend: 'wasm',
    // Exported below so an exporter failure fails the test with its own message (train() would
    // turn it into a warning line).
    exportOnnx: false,
    report: false,
    seed: 1,
  });
  const result = await exportRunToOnnx({ runDir, out: join(runDir, 'model.onnx') });
  return result.path;
}
