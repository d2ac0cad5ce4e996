/**
 * How an exported file does on the run's own validation set: accuracy from onnxruntime-node next
 * to the trainer's tfjs accuracy and top-1 agreement with the trainer's predictions.csv, so a
 * user sees what fp16/int8 cost before shipping them.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseCsv } from '../data/dataset.js';
import { DecodeError, decodeImageFile } from '../data/decode.js';
import { loadOnnxClassifier } from './onnx-classifier.js';

export interface ExportEvaluation {
  /** Validation images classified. */
  count: number;
  /** Accuracy of the exported file (onnxruntime-node). */
  accuracy: number;
  /** Accuracy the trainer recorded for the same images (tfjs). */
  trainerAccuracy: number;
  /** Images where the export's top-1 equals the trainer's. */
  agreement: number;
  /** Rows whose image could not be read any more (moved dataset, deleted file). */
  missing: string[];
}

export class EvaluationUnavailable extends Error {
  override name = 'EvaluationUnavailable';
}

interface ValRow {
  path: string;
  label: string;
  predicted: string;
}

async function readValRows(runDir: string): Promise<ValRow[]> {
  const file = join(runDir, 'predictions.csv');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new EvaluationUnavailable(`${file} is missing`);
  }
  const [header, ...rows] = parseCsv(text);
  const col = (name: string) => header?.indexOf(name) ?? -1;
  const [p, l, q] = [col('path'), col('label'), col('predicted')];
  if (p < 0 || l < 0 || q < 0) throw new EvaluationUnavailable(`${file} has no path,label,predicted columns`);
  return rows.filter((r) => r.length > q).map((r) => ({ path: r[p]!, label: r[l]!, predicted: r[q]! }));
}

export async function evaluateExport(options: {
  runDir: string;
  modelPath: string;
  onProgress?: (done: number, total: number) => void;
}): Promise<ExportEvaluation> {
  const rows = await readValRows(options.runDir);
  if (rows.length === 0) throw new EvaluationUnavailable('the run has no validation predictions');
  const model = await loadOnnxClassifier(options.modelPath);
  try {
    const dataset = model.spec.training?.dataset;
    if (typeof dataset !== 'string') throw new EvaluationUnavailable('the spec does not name the dataset');
    let correct = 0;
    let trainerCorrect = 0;
    let agreement = 0;
    const missing: string[] = [];
    const batchSize = 16;
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const decoded = await Promise.all(
        batch.map((r) =>
          decodeImageFile(resolve(dataset, r.path), model.spec.decode).then(
            (d) => d.image,
            (e: unknown) => {
              if (e instanceof DecodeError) return undefined;
              throw e;
            },
          ),
        ),
      );
      const present = batch.filter((_, i) => decoded[i] !== undefined);
      for (const [i, r] of batch.entries()) if (!decoded[i]) missing.push(r.path);
      const results = await model.classifier.classifyBatch(
        decoded.filter((d) => d !== undefined),
        { topK: 1 },
      );
      for (const [i, r] of present.entries()) {
        const top = results[i]!.predictions[0]!.label;
        if (top === r.label) correct++;
        if (r.predicted === r.label) trainerCorrect++;
        if (top === r.predicted) agreement++;
      }
      options.onProgress?.(Math.min(start + batchSize, rows.length), rows.length);
    }
    const count = rows.length - missing.length;
    if (count === 0) {
      throw new EvaluationUnavailable(
        `none of the ${rows.length} validation images under ${dataset} can be read`,
      );
    }
    return { count, accuracy: correct / count, trainerAccuracy: trainerCorrect / count, agreement, missing };
  } finally {
    await model.release();
  }
}
