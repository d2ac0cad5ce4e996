/**
 * `ferry eval`: a finished run's checkpoint + spec on any labelled folder, with the same metrics
 * as training. Labels come from the spec (the model's output order); unknown class folders are
 * an error, missing ones are fine.
 */

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { argmax, type ModelSpec, parseModelSpec, softmax } from '@ferry/core';
import { computeMetrics, type Metrics } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import type { BackendName } from '../backend/index.js';
import { selectBackend } from '../backend/index.js';
import { DatasetError, IMAGE_EXTENSIONS, type Sample } from '../data/dataset.js';
import { defaultConcurrency, loadSamples, type SkippedFile, stackInputs } from '../data/loader.js';
import { batches } from '../data/prefetch.js';
import { loadLayersModelFromDir } from '../io/layers-model-io.js';
import type { ValPrediction } from './results.js';
import { RunDirError } from './run-state.js';

export interface EvalResult {
  labels: string[];
  metrics: Metrics;
  predictions: ValPrediction[];
  skipped: SkippedFile[];
}

async function readSpec(runDir: string): Promise<ModelSpec> {
  const path = join(runDir, 'spec.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RunDirError(`${runDir} is not a finished ferry run (no spec.json)`);
  }
  try {
    return parseModelSpec(JSON.parse(text));
  } catch (error) {
    throw new RunDirError(`${path} is not a valid model spec: ${(error as Error).message}`);
  }
}

/** Samples of DIR/<label>/* (or DIR/val/<label>/* when DIR has train/ and val/) for known labels. */
export async function listEvalSamples(dir: string, labels: string[]): Promise<Sample[]> {
  let root = resolve(dir);
  if (!existsSync(root)) throw new DatasetError(`data directory ${root} does not exist`);
  if (existsSync(join(root, 'val')) && existsSync(join(root, 'train'))) root = join(root, 'val');
  const entries = (await readdir(root, { withFileTypes: true })).filter(
    (e) => e.isDirectory() && !e.name.startsWith('.'),
  );
  const unknown = entries.map((e) => e.name).filter((n) => !labels.includes(n));
  if (unknown.length > 0) {
    throw new DatasetError(
      `class folder(s) the model does not know: ${unknown.join(', ')} (model labels: ${labels.join(', ')})`,
    );
  }
  const samples: Sample[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const files = (await readdir(join(root, e.name)))
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort();
    for (const f of files) samples.push({ path: join(root, e.name, f), label: labels.indexOf(e.name) });
  }
  if (samples.length === 0) throw new DatasetError(`no images found under ${root}/<label>/`);
  return samples;
}

export async function evaluateRun(options: {
  runDir: string;
  data: string;
  backend?: BackendName;
  batchSize?: number;
}): Promise<EvalResult> {
  const runDir = resolve(options.runDir);
  const spec = await readSpec(runDir);
  const samples = await listEvalSamples(options.data, spec.labels);
  const { tf } = await selectBackend(options.backend ?? 'auto');
  const model = await loadLayersModelFromDir(tf, join(runDir, 'checkpoint'));
  const skipped: SkippedFile[] = [];
  const predictions: ValPrediction[] = [];
  const { width, height } = spec.input;
  const stream = loadSamples(
    samples,
    { pipeline: spec.preprocess, normalization: spec.input.normalization, concurrency: defaultConcurrency() },
    (s) => skipped.push(s),
  );
  for await (const batch of batches(stream, options.batchSize ?? 32)) {
    const x = tf.tensor4d(stackInputs(batch), [batch.length, height, width, 3]);
    const logits = tf.tidy(() => model.predict(x) as tfTypes.Tensor2D);
    const rows = (await logits.array()) as number[][];
    tf.dispose([x, logits]);
    batch.forEach((b, i) => {
      const probabilities = Array.from(softmax(Float32Array.from(rows[i]!)));
      predictions.push({
        path: b.sample.path,
        label: b.sample.label,
        predicted: argmax(probabilities),
        probabilities,
      });
    });
  }
  model.dispose();
  const metrics = computeMetrics(
    spec.labels,
    predictions.map((p) => p.label),
    predictions.map((p) => p.predicted),
  );
  return { labels: spec.labels, metrics, predictions, skipped };
}
