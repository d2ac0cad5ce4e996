/**
 * Stages 6 and 7 of `train()`: what a finished run leaves in its directory. The best checkpoint
 * first (also for an interrupted run), then `RUN_OUTPUTS` in order (spec.json, predictions.csv,
 * metrics.json, report.html), the state marked completed, and model.onnx from the checkpoint and
 * spec (started as soon as spec.json is written, so it converts while report.html's thumbnails are
 * made). A new artifact is one more entry in `RUN_OUTPUTS` (or a step in `finishRun`).
 */
import { join } from 'node:path';
import type { DecodeRule, ModelSpec, TransformStep } from '@ferry/core';
import { computeMetrics, denseLogits, runModelSpec } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import { loadSharp } from '../commonjs-packages.js';
import { type Dataset, describeBalance, displayPath } from '../data/dataset.js';
import type { TransformPool } from '../data/transform-pool.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { fitRunOpenSet } from '../ood/fit-for-run.js';
import { writeReport } from '../report/report-html.js';
import { removeStateWeights } from './checkpoints.js';
import { trainedViews } from './pipelines.js';
import type { TrainResult, ValPrediction, WarmStartSummary } from './results.js';
import { elapsedSeconds, saveProgress, type TrainRun } from './run-context.js';
import { RunDirError } from './run-state.js';

export interface RunOutputContext {
  run: TrainRun;
  result: TrainResult;
  spec: ModelSpec;
}

export interface RunOutput {
  /** File name in the run directory. */
  name: string;
  write(context: RunOutputContext): Promise<void>;
}

const writeJson = (path: string, value: unknown) =>
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);

export const RUN_OUTPUTS: RunOutput[] = [
  { name: 'spec.json', write: ({ run, spec }) => writeJson(join(run.runDir, 'spec.json'), spec) },
  {
    name: 'predictions.csv',
    write: ({ run, result }) =>
      writeFileAtomic(join(run.runDir, 'predictions.csv'), predictionsCsv(run.dataset, result.predictions)),
  },
  {
    name: 'metrics.json',
    write: ({ run, result }) => writeJson(join(run.runDir, 'metrics.json'), metricsJson(run.dataset, result)),
  },
  {
    name: 'report.html',
    async write({ run, result, spec }) {
      if (!run.options.report) return;
      const { evalPipeline } = run.models.pipelines;
      const { mode, augViews, mirrorView } = run.options;
      const { trainPipeline, plainView } = trainedViews(mode, augViews, mirrorView, run.models.pipelines);
      await writeReport({
        runDir: run.runDir,
        dataset: run.dataset,
        result,
        trainPipeline,
        ...(plainView ? { plainView } : {}),
        evalPipeline,
        seed: run.options.seed,
        ...(spec.openSet ? { openSet: spec.openSet } : {}),
        ...(run.transformPool ? { transformImage: poolTransform(run.transformPool) } : {}),
      });
    },
  },
];

/**
 * Loads what the outputs need — libvips (sharp) for report.html's thumbnails, the ONNX exporter
 * — while the run fits: loading sharp alone is ~70 ms of main-thread work that the features
 * stage, waiting for decoded photos, has to spare and the outputs stage would add to the run.
 */
export function prepareRunOutputs(run: TrainRun): Promise<void> {
  const loads: Promise<unknown>[] = [];
  if (run.options.report) loads.push(Promise.resolve().then(loadSharp));
  if (run.options.exportOnnx) loads.push(import('../export/index.js'));
  // A failed load shows where the module is used (report.html, the export), with its handling.
  return Promise.allSettled(loads).then(() => undefined);
}

/** report.html's thumbnails on the (warm) decoding workers; null for a photo that no longer decodes. */
function poolTransform(pool: TransformPool) {
  return (path: string, decode: DecodeRule, steps: readonly TransformStep[]) =>
    pool.image({ kind: 'image', path, decode, steps }).then((r) => ('image' in r ? r.image : null));
}

/** The result of the fit as train() returns it. */
export function runResult(run: TrainRun): TrainResult {
  const { progress, warmStart } = run;
  const metrics = computeMetrics(
    run.dataset.labels,
    progress.bestPredictions.map((p) => p.label),
    progress.bestPredictions.map((p) => p.predicted),
  );
  return {
    runDir: run.runDir,
    labels: run.dataset.labels,
    valAccuracy: metrics.accuracy,
    bestEpoch: progress.bestEpoch,
    epochsRun: progress.epochsDone,
    metrics,
    history: progress.history,
    predictions: progress.bestPredictions,
    durationSeconds: elapsedSeconds(run),
    skipped: run.skips.list(),
    ...(run.featureCache ? { featureCache: run.featureCache } : {}),
    ...(warmStart?.featureCache ? { featureCache: warmStart.featureCache } : {}),
    ...(warmStart ? { warmStart } : {}),
    backend: run.models.backend.name,
    interrupted: progress.interrupted,
  };
}

/**
 * Stage 6: checkpoint/ from the best epoch, then (unless interrupted) every run output and the
 * state marked completed. Returns the result; `finished` false for an interrupted run.
 */
export async function writeRunOutputs(
  run: TrainRun,
): Promise<{ result: TrainResult; finished: boolean; exported?: Promise<string | undefined> }> {
  const result = runResult(run);
  await run.best.writeCheckpoint();
  if (result.interrupted) return { result, finished: false };
  if (result.bestEpoch === 0) throw new RunDirError('training finished no epoch');
  const spec = runSpec(run, result);
  // The open-set answer and temperature (ood/), fitted on the best model's features.
  const openSet = await fitRunOpenSet({
    tf: run.models.tf,
    runDir: run.runDir,
    spec,
    train: run.dataset.train,
    val: run.dataset.val,
    log: run.log,
    ...(run.openSetFeatures
      ? {
          held: run.openSetFeatures,
          valAnswers: result.predictions,
          // writeCheckpoint left the best head in the head model (frozen modes hold features).
          headLogits: (x: Float32Array, rows: number) => headLogits(run, x, rows),
        }
      : {}),
    ...(run.options.openSetMethod ? { method: run.options.openSetMethod } : {}),
  });
  spec.openSet = openSet.spec;
  result.openSetValScores = openSet.valScores;
  let exported: Promise<string | undefined> | undefined;
  for (const output of RUN_OUTPUTS) {
    await output.write({ run, result, spec });
    // model.onnx needs checkpoint/, the open-set parameters and spec.json, all on disk now: it is
    // converted on this thread while report.html's thumbnails are made on the decoding workers.
    if (output.name === 'spec.json' && run.options.exportOnnx) exported = exportModel(run);
  }
  await saveProgress(run, result.epochsRun, true);
  await removeStateWeights(run.runDir);
  return { result, finished: true, ...(exported ? { exported } : {}) };
}

/**
 * The best head's logits on held features. A single dense layer (the default head) is computed by
 * @ferry/model's `denseLogits`, as the page's train view computes it; deeper heads through tfjs.
 */
function headLogits(run: TrainRun, x: Float32Array, rows: number): number[][] {
  const { tf, head } = run.models;
  if (run.options.hiddenUnits.length === 0) {
    const [kernel, bias] = head.getWeights().map((w) => w.dataSync() as Float32Array);
    return denseLogits(kernel!, bias!, x, rows);
  }
  return tf.tidy(() =>
    (head.predict(tf.tensor2d(x, [rows, x.length / rows])) as tfTypes.Tensor2D).arraySync(),
  );
}

/** Stage 7's model.onnx, started by stage 6: its path, or undefined after a warning. */
async function exportModel(run: TrainRun): Promise<string | undefined> {
  try {
    const { exportRunToOnnx } = await import('../export/index.js');
    return (await exportRunToOnnx({ runDir: run.runDir })).path;
  } catch (error) {
    run.log(`warning: ONNX export skipped: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * Stage 7: waits for model.onnx — the export writeRunOutputs started once spec.json was written
 * (undefined with --no-export; a failed export warned and kept the run) — then done.
 */
export async function finishRun(
  run: TrainRun,
  result: TrainResult,
  exported: Promise<string | undefined> | undefined,
): Promise<void> {
  const onnxPath = await exported;
  if (onnxPath) result.onnxPath = onnxPath;
  result.durationSeconds = elapsedSeconds(run);
  run.emit({
    type: 'done',
    valAccuracy: result.valAccuracy,
    bestEpoch: result.bestEpoch,
    durationSeconds: result.durationSeconds,
    runDir: run.runDir,
  });
}

function runSpec(run: TrainRun, result: TrainResult): ModelSpec {
  const { options: r, dataset, models, warmStart } = run;
  const { backbone, pipelines } = models;
  return runModelSpec({
    labels: dataset.labels,
    width: models.width,
    height: models.height,
    backbone,
    evalPipeline: pipelines.evalPipeline,
    head: { hiddenUnits: r.hiddenUnits, dropout: r.dropout },
    settings: {
      ...r,
      ...(r.mode === 'finetune'
        ? {
            extra: {
              backboneLearningRate: r.backboneLr,
              freezeEpochs: r.freezeEpochs,
              plainViewProbability: pipelines.plainView?.probability,
              // Provenance of the head the all-layer epochs started from (false: random init).
              warmStart: warmStart ? warmStartProvenance(warmStart) : false,
            },
          }
        : {}),
    },
    outcome: {
      bestEpoch: result.bestEpoch,
      trainCount: dataset.train.length - result.skipped.filter((s) => isTrainFile(dataset, s.path)).length,
      valCount: result.predictions.length,
      valAccuracy: result.valAccuracy,
      perClass: result.metrics.perClass,
    },
    provenance: {
      dataset: dataset.root,
      backend: result.backend,
      durationSeconds: result.durationSeconds,
      createdAt: new Date().toISOString(),
    },
  });
}

const isTrainFile = (dataset: Dataset, path: string) => dataset.train.some((t) => t.path === path);

/** spec.json's view of the warm start: its settings and outcome, not its epoch history. */
function warmStartProvenance(w: WarmStartSummary) {
  const { history: _h, featureCache: _f, ...rest } = w;
  return rest;
}

function csvCell(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function predictionsCsv(dataset: Dataset, predictions: ValPrediction[]): string {
  const lines = ['path,label,predicted,probability'];
  for (const p of predictions) {
    lines.push(
      [
        csvCell(displayPath(dataset, p.path)),
        csvCell(dataset.labels[p.label]!),
        csvCell(dataset.labels[p.predicted]!),
        p.probabilities[p.predicted]!.toFixed(6),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

function metricsJson(dataset: Dataset, result: TrainResult) {
  return {
    labels: result.labels,
    valAccuracy: result.valAccuracy,
    bestEpoch: result.bestEpoch,
    epochsRun: result.epochsRun,
    macroF1: result.metrics.macroF1,
    perClass: result.metrics.perClass,
    confusionMatrix: result.metrics.confusion,
    history: result.history,
    skipped: result.skipped.map((s) => ({ path: displayPath(dataset, s.path), reason: s.reason })),
    classCounts: {
      train: describeBalance(dataset, dataset.train).counts,
      val: describeBalance(dataset, dataset.val).counts,
    },
    featureCache: result.featureCache ?? null,
    warmStart: result.warmStart ?? null,
    backend: result.backend,
    durationSeconds: result.durationSeconds,
  };
}
