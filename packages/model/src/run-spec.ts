/**
 * The spec a finished run embeds in its model.onnx, built the same way by `ferry train`
 * (trainer `train/outputs.ts`) and the page's train view: the backbone's input and
 * normalization, the eval pipeline (and so the decode rule), the head, and the training's
 * settings and outcome. Where and when it ran (dataset, backend, duration, date) is the
 * caller's provenance, the only part two runs on the same photos differ in.
 */
import {
  type ClassMetrics,
  createModelSpec,
  FERRY_VERSION,
  type ModelSpec,
  type Normalization,
  type TrainingProvenance,
  type TransformStep,
} from '@ferry/core';

export interface RunSpecInput {
  labels: string[];
  width: number;
  height: number;
  backbone: { id: string; featureLayer: string; source: string; normalization: Normalization };
  evalPipeline: TransformStep[];
  head: { hiddenUnits: number[]; dropout: number };
  /** The run's settings; mode-specific fields (finetune's) ride in `extra`. */
  settings: {
    mode: 'features' | 'freeze' | 'finetune';
    epochs: number;
    batchSize: number;
    optimizer: string;
    lr: number;
    schedule: string;
    weightDecay: number;
    labelSmoothing: number;
    augViews: number;
    mirrorView?: boolean;
    seed: number;
    extra?: Record<string, unknown>;
  };
  outcome: {
    bestEpoch: number;
    trainCount: number;
    valCount: number;
    valAccuracy: number;
    perClass: Record<string, ClassMetrics>;
  };
  provenance: { dataset: string; backend: string; durationSeconds: number; createdAt: string };
}

export function runModelSpec(i: RunSpecInput): ModelSpec {
  const s = i.settings;
  const training: TrainingProvenance = {
    mode: s.mode,
    epochs: s.epochs,
    bestEpoch: i.outcome.bestEpoch,
    batchSize: s.batchSize,
    optimizer: s.optimizer,
    learningRate: s.lr,
    ...s.extra,
    schedule: s.schedule,
    weightDecay: s.weightDecay,
    labelSmoothing: s.labelSmoothing,
    augViews: s.augViews,
    ...(s.mode === 'features' ? { mirrorView: s.mirrorView ?? false } : {}),
    seed: s.seed,
    dataset: i.provenance.dataset,
    trainCount: i.outcome.trainCount,
    valCount: i.outcome.valCount,
    valAccuracy: i.outcome.valAccuracy,
    perClass: i.outcome.perClass,
    backend: i.provenance.backend,
    durationSeconds: i.provenance.durationSeconds,
    createdAt: i.provenance.createdAt,
    ferryVersion: FERRY_VERSION,
  };
  return createModelSpec({
    name: `ferry-${i.labels.join('-')}`.slice(0, 64),
    labels: i.labels,
    width: i.width,
    height: i.height,
    normalization: i.backbone.normalization,
    preprocess: i.evalPipeline,
    backbone: { id: i.backbone.id, featureLayer: i.backbone.featureLayer, source: i.backbone.source },
    head: { type: 'dense', hiddenUnits: i.head.hiddenUnits, dropout: i.head.dropout, pooling: 'avg' },
    training,
  });
}
