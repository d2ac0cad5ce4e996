/** `ferry eval --run RUN_DIR --data DIR`: the training metrics for any labelled folder. */
import { parseArgs } from 'node:util';
import type { BackendName } from '../backend/index.js';
import { CliError } from '../cli-support.js';
import { DatasetError } from '../data/dataset.js';
import { ModelFileError } from '../io/layers-model-io.js';
import { evaluateRun } from '../train/evaluate.js';
import { formatMetrics } from '../train/metrics.js';
import { RunDirError } from '../train/train.js';

export const usage = `Usage: ferry eval --run RUN_DIR --data DIR [--backend B] [--json]

Classifies DIR/<label>/* (DIR/val/<label>/* when DIR has train/ and val/) with the run's
checkpoint and spec, and prints accuracy, per-class precision/recall/F1 and the confusion matrix.`;

export async function run(argv: string[]): Promise<number> {
  let values: { run?: string; data?: string; backend?: string; json?: boolean };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        run: { type: 'string' },
        data: { type: 'string' },
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
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({
          accuracy: result.metrics.accuracy,
          macroF1: result.metrics.macroF1,
          perClass: result.metrics.perClass,
          confusion: result.metrics.confusion,
          labels: result.labels,
          count: result.metrics.count,
          skipped: result.skipped,
        })}\n`,
      );
    } else {
      process.stdout.write(`${formatMetrics(result.labels, result.metrics)}\n`);
      for (const s of result.skipped) process.stdout.write(`skipped ${s.path}: ${s.reason}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof RunDirError || error instanceof DatasetError || error instanceof ModelFileError) {
      throw new CliError(error.message, 1);
    }
    throw error;
  }
}
