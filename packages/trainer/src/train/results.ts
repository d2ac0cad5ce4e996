/**
 * What a training run produces, as values: one record per epoch, the val predictions of the best
 * epoch, the warm start's summary and the `TrainResult` that `train()` returns. Types only, so
 * every stage (and the report) can name them without importing the stages.
 */

import type { Metrics } from '@ferry/model';
import type { SkippedFile } from '../data/loader.js';
import type { ExtractStats } from './features.js';

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  lr: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface ValPrediction {
  path: string;
  label: number;
  predicted: number;
  probabilities: number[];
}

/** What finetune's warm start did: kept in `.state/state.json` (resume), metrics.json and spec.json. */
export interface WarmStartSummary {
  mode: 'features';
  epochs: number;
  epochsRun: number;
  bestEpoch: number;
  valAccuracy: number;
  learningRate: number;
  batchSize: number;
  augViews: number;
  weightDecay: number;
  durationSeconds: number;
  featureCache?: ExtractStats;
  history: EpochRecord[];
}

export interface TrainResult {
  runDir: string;
  labels: string[];
  valAccuracy: number;
  bestEpoch: number;
  epochsRun: number;
  metrics: Metrics;
  history: EpochRecord[];
  predictions: ValPrediction[];
  durationSeconds: number;
  skipped: SkippedFile[];
  featureCache?: ExtractStats;
  /** finetune: the head-only features-mode phase the all-layer epochs started from. */
  warmStart?: WarmStartSummary;
  backend: string;
  interrupted: boolean;
  onnxPath?: string;
  /** The open-set scores of the val photos under the fitted scorer (report.html's histogram). */
  openSetValScores?: number[];
}
