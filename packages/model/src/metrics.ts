/** Classification metrics from (true, predicted) label indices: accuracy, confusion, P/R/F1. */
import type { ClassMetrics } from '@ferry/core';

export interface Metrics {
  accuracy: number;
  /** confusion[true][predicted] counts. */
  confusion: number[][];
  perClass: Record<string, ClassMetrics>;
  macroF1: number;
  count: number;
}

export function computeMetrics(
  labels: readonly string[],
  truth: readonly number[],
  predicted: readonly number[],
): Metrics {
  if (truth.length !== predicted.length) throw new Error('truth and predictions differ in length');
  const n = labels.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let correct = 0;
  truth.forEach((t, i) => {
    const p = predicted[i]!;
    confusion[t]![p]! += 1;
    if (t === p) correct++;
  });
  const perClass: Record<string, ClassMetrics> = {};
  let f1Sum = 0;
  labels.forEach((label, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c]!, 0);
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    f1Sum += f1;
    perClass[label] = { precision, recall, f1, support };
  });
  return {
    accuracy: truth.length === 0 ? 0 : correct / truth.length,
    confusion,
    perClass,
    macroF1: f1Sum / n,
    count: truth.length,
  };
}

export function formatMetrics(labels: readonly string[], m: Metrics): string {
  const width = Math.max(8, ...labels.map((l) => l.length));
  const lines = [
    `accuracy ${m.accuracy.toFixed(4)} on ${m.count} images, macro F1 ${m.macroF1.toFixed(4)}`,
    '',
    `${'class'.padEnd(width)}  precision  recall  f1      support`,
    ...labels.map((l) => {
      const c = m.perClass[l]!;
      return `${l.padEnd(width)}  ${c.precision.toFixed(4).padStart(9)}  ${c.recall.toFixed(4).padStart(6)}  ${c.f1.toFixed(4)}  ${String(c.support).padStart(7)}`;
    }),
    '',
    `confusion (rows = true, columns = predicted): ${labels.join(', ')}`,
    ...m.confusion.map(
      (row, i) => `${labels[i]!.padEnd(width)}  ${row.map((v) => String(v).padStart(5)).join(' ')}`,
    ),
  ];
  return lines.join('\n');
}
