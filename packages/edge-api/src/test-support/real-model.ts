/**
 * The real-data model: MobileNetV2 0.35 (from FERRY_MODELS_DIR) with a 2-class ants/bees head,
 * trained for a few cheap feature-mode epochs by the trainer and exported to ONNX by it.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface TrainerApi {
  train(options: Record<string, unknown>): Promise<{ runDir?: string }>;
}

export async function trainRealModel(hymenopteraDir: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'ferry-edge-real-')), 'run');
  const trainerId = '@ferry/trainer';
  const trainer = (await import(trainerId)) as TrainerApi;
  await trainer.train({
    data: hymenopteraDir,
    out,
    backbone: 'mobilenet_v2_0.35_224',
    mode: 'features',
    epochs: 8,
    augViews: 0,
    backend: 'wasm',
    exportOnnx: true,
    report: false,
    seed: 1,
  });
  const model = join(out, 'model.onnx');
  if (!existsSync(model)) throw new Error(`trainer wrote no ${model}`);
  return model;
}
