/** `ferry eval --run RUN_DIR --data DIR`: the training metrics for any labelled folder. */
import { parseArgs } from 'node:util';
import { softmaxWithTemperature } from '@ferry/core';
import { formatMetrics } from '@ferry/model';
import type { BackendName } from '../backend/names.js';
import { CliError } from '../cli-support.js';
import { DatasetError } from '../data/dataset.js';
import { ModelFileError } from '../io/layers-model-io.js';
import { evaluateOpenSet, formatOpenSetEvaluation } from '../ood/evaluate-ood.js';
import { openSetSection, updateReportOpenSet } from '../report/report-html.js';
import { evaluateRun } from '../train/evaluate.js';
import { RunDirError } from '../train/train.js';

export const usage = `Usage: ferry eval --run RUN_DIR --data DIR [--ood OOD_DIR] [--backend B] [--json]

Classifies DIR/<label>/* (DIR/val/<label>/* when DIR has train/ and val/) with the run's
checkpoint and spec, and prints accuracy, per-class precision/recall/F1 and the confusion matrix.

--ood OOD_DIR  also runs the run's model.onnx on every image under OOD_DIR (photos of none of
               the model's classes) and on DIR's photos, and reports how its open-set answer
               separates them: AUROC, FPR at 95 % TPR, the share of each set answered "unknown"
               and the accuracy on the known photos it accepts.`;

export async function run(argv: string[]): Promise<number> {
  let values: { run?: string; data?: string; ood?: string; backend?: string; json?: boolean };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        run: { type: 'string' },
        data: { type: 'string' },
        ood: { type: 'string' },
        backend: { type: 'string' },
        json: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`);
  }
  if (!values.run) throw new CliError('missing --run RUN_DIR (see ferry eval --help)');
  if (!values.data) throw new CliError('missing --data DIR (see ferry eval --help)');
  try {
    const result = await evaluateRun({
      runDir: values.run,
      data: values.data,
      backend: (values.backend ?? 'auto') as BackendName,
    });
    const ood = values.ood
      ? await evaluateOpenSet({
          runDir: values.run,
          known: result.predictions.map((p) => ({ path: p.path, label: p.label })),
          oodDir: values.ood,
        })
      : undefined;
    // report.html's open-set section gets the unknown photos' score distribution beside the known.
    const reportUpdated = ood
      ? await updateReportOpenSet(
          values.run,
          openSetSection(ood.openSet, {
            knownScores: ood.knownScores,
            unknownScores: ood.unknownScores,
            labels: ood.knownLabels,
            // The model reports softmax(logits / T); softmax(T log p) recovers the plain softmax.
            before: ood.knownProbabilities.map((p) =>
              softmaxWithTemperature(
                p.map((x) => Math.log(Math.max(x, 1e-30))),
                1 / ood.openSet.temperature,
              ),
            ),
            after: ood.knownProbabilities,
          }),
        )
      : false;
    if (values.json) {
      const oodJson = ood
        ? {
            ood: {
              method: ood.openSet.method,
              threshold: ood.openSet.threshold,
              auroc: ood.auroc,
              fpr95: ood.fpr95,
              unknownRejected: ood.unknownRejected,
              knownRejected: ood.knownRejected,
              acceptedAccuracy: ood.acceptedAccuracy,
              overallAccuracy: ood.overallAccuracy,
              unknown: ood.unknown,
              known: ood.known,
              skipped: ood.skipped,
            },
          }
        : {};
      process.stdout.write(
        `${JSON.stringify({
          accuracy: result.metrics.accuracy,
          macroF1: result.metrics.macroF1,
          perClass: result.metrics.perClass,
          confusion: result.metrics.confusion,
          labels: result.labels,
          count: result.metrics.count,
          skipped: result.skipped,
          ...oodJson,
        })}\n`,
      );
    } else {
      process.stdout.write(`${formatMetrics(result.labels, result.metrics)}\n`);
      for (const s of result.skipped) process.stdout.write(`skipped ${s.path}: ${s.reason}\n`);
      if (ood) {
        process.stdout.write(`\n${formatOpenSetEvaluation(ood)}\n`);
        if (reportUpdated) process.stdout.write(`report.html: open-set section updated with these photos\n`);
        for (const s of ood.skipped) process.stdout.write(`skipped ${s.path}: ${s.reason}\n`);
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof RunDirError || error instanceof DatasetError || error instanceof ModelFileError) {
      throw new CliError(error.message, 1);
    }
    throw error;
  }
}
