/** `ferry predict --model FILE.onnx IMAGE|DIR...`: top-k labels per image with onnxruntime-node. */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Image, Prediction } from '@ferry/core';
import { CliError } from '../cli-support.js';
import { IMAGE_EXTENSIONS } from '../data/dataset.js';
import { DecodeError, decodeImageFile } from '../data/decode.js';
import { loadOnnxClassifier, ModelLoadError } from '../predict/onnx-classifier.js';

export const usage = `Usage: ferry predict --model FILE.onnx IMAGE|DIR... [--top-k N] [--json]

Classifies each image (a directory stands for the images directly inside it) with an ONNX file
written by \`ferry export\` / \`ferry train\`. Preprocessing and labels come from the file itself.

Options:
  --model FILE   exported .onnx model (required)
  --top-k N      predictions per image (default 5, at most the number of labels)
  --json         one JSON object per image on stdout: {path, predictions} or {path, error};
                 models with an open-set answer add unknown (true|false) and ood_score

A model trained by this Ferry also knows when a photo is none of its labels: its score is above
the threshold fitted on val (at most 5 % of val photos rejected), and the image is marked
"unknown (closest: LABEL P %)". Probabilities are then temperature-calibrated.

Exit status: 0 when every image was classified, 1 when some could not be read, 2 on misuse.`;

async function expandInputs(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info?.isDirectory()) {
      const entries = (await readdir(input, { withFileTypes: true }))
        .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
        .map((e) => join(input, e.name))
        .sort();
      if (entries.length === 0) throw new CliError(`${input} contains no images`);
      files.push(...entries);
    } else {
      // Missing files are reported per image below, like unreadable ones.
      files.push(input);
    }
  }
  return files;
}

function bar(p: number, width = 24): string {
  const cells = p * width;
  const full = Math.floor(cells);
  const partial = ' ▏▎▍▌▋▊▉'[Math.round((cells - full) * 8)] ?? '';
  return '█'.repeat(full) + (full < width ? partial.trim() : '');
}

/** "unknown (closest: bees 73 %)": the open-set verdict with the label it would have said. */
export function describeUnknown(predictions: readonly Prediction[]): string {
  const top = predictions[0];
  return top ? `unknown (closest: ${top.label} ${Math.round(top.probability * 100)} %)` : 'unknown';
}

function formatPredictions(path: string, predictions: Prediction[], unknown?: boolean): string {
  const width = Math.max(...predictions.map((p) => p.label.length));
  return [
    path,
    ...(unknown ? [`  ${describeUnknown(predictions)}`] : []),
    ...predictions.map(
      (p) => `  ${p.label.padEnd(width)}  ${p.probability.toFixed(4)}  ${bar(p.probability)}`,
    ),
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  let parsed: { values: { model?: string; 'top-k'?: string; json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { model: { type: 'string' }, 'top-k': { type: 'string' }, json: { type: 'boolean' } },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${usage}`);
  }
  const { values, positionals } = parsed;
  if (!values.model) throw new CliError('missing --model FILE.onnx (see ferry predict --help)');
  if (positionals.length === 0) throw new CliError('no images given (see ferry predict --help)');
  let topK = 5;
  if (values['top-k'] !== undefined) {
    topK = Number(values['top-k']);
    if (!Number.isInteger(topK) || topK < 1) {
      throw new CliError(`--top-k must be a positive integer, got "${values['top-k']}"`);
    }
  }

  let model: Awaited<ReturnType<typeof loadOnnxClassifier>>;
  try {
    model = await loadOnnxClassifier(values.model);
  } catch (error) {
    if (error instanceof ModelLoadError) throw new CliError(error.message, 1);
    throw error;
  }
  const files = await expandInputs(positionals);
  topK = Math.min(topK, model.spec.labels.length);
  let failures = 0;
  try {
    // Decode the next image while the current one runs: sharp works off the main thread. The
    // model's decode rule shrinks large JPEGs exactly as the edge API and the page do.
    const decode = (path: string): Promise<Image | DecodeError> =>
      decodeImageFile(path, model.spec.decode).then(
        (r) => r.image,
        (e: unknown) => {
          if (e instanceof DecodeError) return e;
          throw e;
        },
      );
    let next = decode(files[0]!);
    for (let i = 0; i < files.length; i++) {
      const path = files[i]!;
      const decoded = await next;
      if (i + 1 < files.length) {
        next = decode(files[i + 1]!);
      }
      if (decoded instanceof DecodeError) {
        failures++;
        if (values.json) process.stdout.write(`${JSON.stringify({ path, error: decoded.reason })}\n`);
        else process.stderr.write(`ferry predict: ${path}: ${decoded.reason}\n`);
        continue;
      }
      const { predictions, timing_ms, unknown, oodScore } = await model.classifier.classify(decoded, {
        topK,
      });
      if (values.json) {
        const openSet = unknown === undefined ? {} : { unknown, ood_score: oodScore };
        process.stdout.write(`${JSON.stringify({ path, predictions, ...openSet, timing_ms })}\n`);
      } else {
        process.stdout.write(`${formatPredictions(path, predictions, unknown)}\n`);
      }
    }
  } finally {
    await model.release();
  }
  return failures > 0 ? 1 : 0;
}
