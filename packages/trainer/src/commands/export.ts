/** `ferry export --run RUN_DIR`: the run's checkpoint -> one self-describing ONNX file (or an HF folder). */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_OPSET, ExportError, MAX_OPSET, MIN_OPSET, PRECISIONS, type Precision } from '@ferry/model';
import { CliError } from '../cli-support.js';
import { EXPORT_FORMATS, type ExportFormat, exportRunToOnnx } from '../export/run-export.js';
import { EvaluationUnavailable, type ExportEvaluation, evaluateExport } from '../predict/evaluate-export.js';
import { ModelLoadError } from '../predict/onnx-classifier.js';

export const usage = `Usage: ferry export --run RUN_DIR [--out PATH] [--opset N] [--precision fp32|fp16|int8]
                    [--format onnx|hf] [--no-eval] [--json]

Converts the run's TensorFlow.js checkpoint to ONNX with the model spec (labels, input size,
normalization, eval pipeline, training provenance) embedded in metadata_props, then classifies
the run's validation images with onnxruntime-node and compares with the trainer's predictions.

Options:
  --run DIR        run directory written by \`ferry train\` (required)
  --out PATH       output file (default RUN_DIR/model.onnx, or RUN_DIR/model.<precision>.onnx);
                   with --format hf the output folder (default RUN_DIR/hf)
  --opset N        ONNX opset, ${MIN_OPSET}..${MAX_OPSET} (default ${DEFAULT_OPSET})
  --precision P    fp32 (default); fp16 (weights stored as float16); int8 (weights per-channel
                   int8 via DequantizeLinear, activations stay float)
  --format F       onnx (default): one .onnx file; hf: a folder for Hugging Face transformers.js
                   (config.json, preprocessor_config.json, onnx/model.onnx)
  --no-eval        skip the validation-set check
  --json           print the result as one JSON object`;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

function defaultOut(runDir: string, format: ExportFormat, precision: Precision): string {
  if (format === 'hf') return join(runDir, precision === 'fp32' ? 'hf' : `hf-${precision}`);
  return join(runDir, precision === 'fp32' ? 'model.onnx' : `model.${precision}.onnx`);
}

function progress(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    const width = 30;
    const fill = Math.round((done / total) * width);
    process.stderr.write(
      `\r\x1b[2Kvalidating [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${done}/${total}`,
    );
    if (done === total) process.stderr.write('\r\x1b[2K');
  };
}

export async function run(argv: string[]): Promise<number> {
  let values: {
    run?: string;
    out?: string;
    opset?: string;
    precision?: string;
    format?: string;
    'no-eval'?: boolean;
    json?: boolean;
  };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        run: { type: 'string' },
        out: { type: 'string' },
        opset: { type: 'string' },
        precision: { type: 'string' },
        format: { type: 'string' },
        'no-eval': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`);
  }
  if (!values.run) throw new CliError('missing --run RUN_DIR (see ferry export --help)');
  const precision = (values.precision ?? 'fp32') as Precision;
  if (!PRECISIONS.includes(precision)) {
    throw new CliError(`--precision must be one of ${PRECISIONS.join(', ')}, got "${values.precision}"`);
  }
  const format = (values.format ?? 'onnx') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    throw new CliError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${values.format}"`);
  }
  let opset = DEFAULT_OPSET;
  if (values.opset !== undefined) {
    opset = Number(values.opset);
    if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new CliError(
        `--opset must be an integer from ${MIN_OPSET} to ${MAX_OPSET}, got "${values.opset}"`,
      );
    }
  }
  const out = values.out ?? defaultOut(values.run, format, precision);

  let result: Awaited<ReturnType<typeof exportRunToOnnx>>;
  try {
    result = await exportRunToOnnx({ runDir: values.run, out, opset, precision, format });
  } catch (error) {
    if (error instanceof ExportError) throw new CliError(error.message, 1);
    throw error;
  }

  let evaluation: ExportEvaluation | undefined;
  let evaluationNote: string | undefined;
  if (!values['no-eval']) {
    try {
      const onProgress = values.json ? undefined : progress();
      evaluation = await evaluateExport({
        runDir: values.run,
        modelPath: result.modelPath,
        ...(onProgress ? { onProgress } : {}),
      });
    } catch (error) {
      if (!(error instanceof EvaluationUnavailable || error instanceof ModelLoadError)) throw error;
      evaluationNote = `validation check skipped: ${error.message}`;
    }
  }

  // fp16/int8 are judged against the fp32 file `ferry train` left in the run, when it is there.
  const fp32Path = join(values.run, 'model.onnx');
  const fp32Bytes = precision !== 'fp32' ? statSync(fp32Path, { throwIfNoEntry: false })?.size : undefined;

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        path: result.path,
        modelPath: result.modelPath,
        format: result.format,
        bytes: result.bytes,
        ...(fp32Bytes ? { fp32Bytes } : {}),
        opset: result.opset,
        precision: result.precision,
        labels: result.spec.labels,
        stats: result.stats,
        ...(evaluation ? { evaluation } : {}),
        ...(evaluationNote ? { evaluationNote } : {}),
      })}\n`,
    );
    return 0;
  }
  const lines = [
    `wrote ${result.path}${format === 'hf' ? ` (onnx/model.onnx ${mib(result.bytes)})` : ` (${mib(result.bytes)})`}`,
    `  opset ${result.opset}, ${result.precision} weights, ${result.stats.nodes} nodes, ` +
      `${result.stats.foldedBatchNorms} BatchNorms and ${result.stats.foldedPads} pads folded`,
    `  labels: ${result.spec.labels.join(', ')}`,
  ];
  if (fp32Bytes) {
    lines.push(
      `  size: ${((100 * result.bytes) / fp32Bytes).toFixed(0)}% of the fp32 model.onnx (${mib(fp32Bytes)})`,
    );
  }
  if (evaluation) {
    const delta = evaluation.accuracy - evaluation.trainerAccuracy;
    lines.push(
      `  validation (${evaluation.count} images, onnxruntime-node): accuracy ${evaluation.accuracy.toFixed(4)} ` +
        `vs ${evaluation.trainerAccuracy.toFixed(4)} in training (${delta >= 0 ? '+' : ''}${delta.toFixed(4)}); ` +
        `top-1 agrees with the trainer on ${evaluation.agreement}/${evaluation.count}`,
    );
    if (evaluation.missing.length > 0) {
      lines.push(
        `  ${evaluation.missing.length} validation images could not be read (e.g. ${evaluation.missing[0]})`,
      );
    }
  }
  if (evaluationNote) lines.push(`  ${evaluationNote}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
