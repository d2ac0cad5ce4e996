/**
 * `train(options)`: the whole transfer-learning run behind `ferry train`, usable without a
 * subprocess (demo, benchmarks), as a list of stages, one module each:
 *
 *   1. resolve-run.ts   options, or a resumed run's saved options and state
 *   2. load-data.ts     the labelled photos, split, and the log of skipped files
 *      run-views.ts     features mode: the photos start decoding on worker threads already
 *   3. load-models.ts   backend, pretrained backbone cut at its feature layer, head, classifier
 *   4. run-context.ts   the run as one value; a resumed run's weights (checkpoints.ts)
 *   5. fit-run.ts       the mode's strategy (modes/) through the shared fit loop (fit.ts) with its
 *                       callbacks (callbacks/); finetune first fits its head (warm-start.ts)
 *   6. outputs.ts       checkpoint/, spec.json, predictions.csv, metrics.json, report.html
 *   7. outputs.ts       model.onnx, and the `done` event
 *
 * Writes the run directory contract: spec.json, checkpoint/, metrics.json, predictions.csv,
 * report.html, model.onnx (when the exporter is available). Every model and tensor the run makes
 * is disposed before the export.
 */
import { fitRun } from './fit-run.js';
import { loadRunData } from './load-data.js';
import { loadModels, resolveRunBackbone } from './load-models.js';
import type { TrainOptions } from './options.js';
import { finishRun, prepareRunOutputs, writeRunOutputs } from './outputs.js';
import { resolveRun } from './resolve-run.js';
import type { TrainResult } from './results.js';
import { openRun, runConcurrency } from './run-context.js';
import { discardEarlyViews, startEarlyViews } from './run-views.js';

export async function train(options: TrainOptions): Promise<TrainResult> {
  const resolved = await resolveRun(options);
  const data = await loadRunData(resolved.options, resolved.emit);
  const backbone = await resolveRunBackbone(resolved.options, options.onDownload);
  const early = await startEarlyViews(resolved.options, data, backbone, runConcurrency(resolved.options));
  const run = await loadModels(resolved.options, backbone, data.dataset.labels.length)
    .then((models) => openRun(resolved, data, models, early))
    .catch(async (error: unknown) => {
      await discardEarlyViews(early);
      throw error;
    });
  let outcome: Awaited<ReturnType<typeof writeRunOutputs>>;
  try {
    run.emit({
      type: 'start',
      mode: run.options.mode,
      backend: run.models.backend.description,
      labels: data.dataset.labels,
      trainCount: data.dataset.train.length,
      valCount: data.dataset.val.length,
    });
    const outputsLoaded = prepareRunOutputs(run);
    await fitRun(run);
    await outputsLoaded;
    outcome = await writeRunOutputs(run);
  } finally {
    run.dispose();
  }
  if (outcome.finished) await finishRun(run, outcome.result, outcome.exported);
  return outcome.result;
}

export { predictionsCsv } from './outputs.js';
export { featureTrainPipeline, finetunePlainView } from './pipelines.js';
export type { EpochRecord, TrainResult, ValPrediction, WarmStartSummary } from './results.js';
export { RunDirError } from './run-state.js';
