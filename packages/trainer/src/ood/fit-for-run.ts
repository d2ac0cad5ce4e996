/**
 * The training flow's one call into open-set fitting: picks where the features come from
 * (features mode: the cached plain-view features it already holds; freeze and finetune: the
 * final checkpoint run over train and val), fits (@ferry/model's fitOpenSet), and writes the parameters into the
 * run directory for the exporter.
 */
import type { ModelSpec, OpenSetMethod, OpenSetSpec } from '@ferry/core';
import type { FeatureMatrix } from '@ferry/model';
import { fitOpenSet } from '@ferry/model';
import type * as tfTypes from '@tensorflow/tfjs';
import type { Sample } from '../data/dataset.js';
import { openPhotoScorer } from './collect.js';
import { writeOpenSetParams } from './store.js';

/** features mode's in-memory features: every view of every train photo, and the val rows. */
export interface HeldFeatures {
  /** Row-major [rows, dim], rows ordered as `trainLabels` / `trainViews`. */
  train: Float32Array;
  trainLabels: readonly number[];
  /** View index per row: 0 = plain eval view, the only one the scorer is fitted on. */
  trainViews: readonly number[];
  dim: number;
  /** Row-major [valSamples.length, dim]. */
  val: Float32Array;
  valSamples: readonly Sample[];
}

/** A val photo's answer at the best epoch (train/results.ts ValPrediction). */
export interface ValAnswer {
  path: string;
  label: number;
  probabilities: readonly number[];
}

export interface FitRunOpenSetOptions {
  tf: typeof tfTypes;
  runDir: string;
  /** The run's spec (without openSet); input and preprocess describe the checkpoint. */
  spec: ModelSpec;
  train: readonly Sample[];
  val: readonly Sample[];
  /** features mode: what its strategy held; with `valAnswers` in the same val order. */
  held?: HeldFeatures;
  valAnswers?: readonly ValAnswer[];
  /**
   * The best head on held features -> logits. Needed with `held`: energy is not invariant to the
   * per-row constant that separates log-probabilities from logits, so the fit must see the
   * logits the exported graph computes.
   */
  headLogits?: (features: Float32Array, rows: number) => number[][];
  method?: OpenSetMethod;
  /** One summary line (method, threshold, val rejected, ECE before/after, time taken). */
  log?: (message: string) => void;
}

function plainViewRows(c: HeldFeatures): { train: FeatureMatrix; labels: number[] } {
  const rows: number[] = [];
  c.trainViews.forEach((v, i) => {
    if (v === 0) rows.push(i);
  });
  const data = new Float32Array(rows.length * c.dim);
  rows.forEach((r, i) => data.set(c.train.subarray(r * c.dim, (r + 1) * c.dim), i * c.dim));
  return { train: { data, rows: rows.length, dim: c.dim }, labels: rows.map((r) => c.trainLabels[r]!) };
}

export async function fitRunOpenSet(
  o: FitRunOpenSetOptions,
): Promise<{ spec: OpenSetSpec; valScores: number[] }> {
  const started = performance.now();

  let fit: ReturnType<typeof fitOpenSet>;
  const classes = o.spec.labels.length;
  const held = o.held;
  const answers = o.valAnswers;
  // The held val rows and the best epoch's answers must be the same photos in the same order.
  const aligned =
    held &&
    answers?.length === held.valSamples.length &&
    answers.every((a, i) => a.path === held.valSamples[i]!.path);
  if (held && answers && aligned && o.headLogits) {
    const { train, labels } = plainViewRows(held);
    fit = fitOpenSet({
      train,
      trainLabels: labels,
      classes,
      val: { data: held.val, rows: held.valSamples.length, dim: held.dim },
      valLogits: o.headLogits(held.val, held.valSamples.length),
      valLabels: answers.map((a) => a.label),
      ...(o.method ? { method: o.method } : {}),
    });
  } else {
    const scorer = await openPhotoScorer(o.runDir, o.spec, { tf: o.tf });
    try {
      const tr = await scorer.collect(o.train);
      const va = await scorer.collect(o.val);
      fit = fitOpenSet({
        train: tr.features,
        trainLabels: tr.samples.map((s) => s.label),
        classes,
        val: va.features,
        valLogits: va.logits,
        valLabels: va.samples.map((s) => s.label),
        ...(o.method ? { method: o.method } : {}),
      });
    } finally {
      await scorer.dispose();
    }
  }
  await writeOpenSetParams(o.runDir, fit.params);
  const os = fit.spec;
  const pct = (x = 0) => `${(x * 100).toFixed(1)}%`;
  o.log?.(
    `open set: ${os.method}, unknown above ${os.threshold.toPrecision(4)} (${pct(os.valRejected)} of val); temperature ${os.temperature.toPrecision(3)}, val ECE ${os.eceBefore?.toFixed(3)} -> ${os.eceAfter?.toFixed(3)} (${Math.round(performance.now() - started)} ms)`,
  );
  return { spec: os, valScores: Array.from(fit.valScores) };
}
