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
interface TrainerExport {
  exportRunToOnnx(options: { runDir: string; out?: string }): Promise<{ path: string }>;
}

export async function trainRealModel(hymenopteraDir: string): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), 'ferry-edge-real-')), 'run');
  const trainerId = '@ferry/trainer';
  const exportId = '@ferry/trainer/export';
  const trainer = (await import(trainerId)) as TrainerApi;
  const exporter = (await import(exportId)) as TrainerExport;
  await trainer.train({
    data: hymenopteraDir,
    out,
    backbone: 'mobilenet_v2_0.35_224',
    mode: 'features',
    epochs: 8,
    augViews: 0,
    backend: 'wasm',
    // Exported below, not by train(): train() turns an export failure into a warning line.
    exportOnnx: false,
    report: false,
    seed: 1,
  });
  const model = join(out, 'model.onnx');
  await exporter.exportRunToOnnx({ runDir: out, out: model });
  if (!existsSync(model)) throw new Error(`exporter wrote no ${model}`);
  return model;
}
