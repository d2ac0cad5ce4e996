/** The messages between the train view and its worker (worker/index.ts), one union each way. */
import type { ClassMetrics, Normalization, OpenSetSpec } from '@ferry/core';

/** Where the backbone comes from: the site's copy first, else the public URL the trainer uses. */
export interface BackboneRequest {
  id: string;
  /** model.json URLs tried in order (the site's own copy, then the public one). */
  urls: string[];
  featureLayer: string;
  normalization: Normalization;
  /** Provenance written into the spec: the URL `ferry train` downloads it from. */
  source: string;
}

export interface PhotoJob {
  id: string;
  name: string;
  file: Blob;
}

/** One photo of the dataset the head trains on: its features are found by `key`. */
export interface TrainSample {
  id: string;
  path: string;
  /** The feature cache key the worker answered for the photo. */
  key: string;
  label: number;
}

export interface TrainJob {
  labels: string[];
  train: TrainSample[];
  val: TrainSample[];
  /** The dataset's name, as spec.training.dataset records it. */
  dataset: string;
  seed: number;
}

export interface EpochProgress {
  epoch: number;
  epochs: number;
  trainLoss: number;
  valAccuracy: number;
  valLoss: number;
  best: boolean;
}

export interface ValAnswer {
  id: string;
  path: string;
  label: number;
  predicted: number;
  probabilities: number[];
  oodScore: number;
  unknown: boolean;
}

export interface TrainOutcome {
  model: Uint8Array;
  labels: string[];
  valAccuracy: number;
  bestEpoch: number;
  epochs: number;
  confusion: number[][];
  perClass: ClassMetrics[];
  val: ValAnswer[];
  openSet: OpenSetSpec;
  trainCount: number;
  seconds: number;
}

export type ToWorker =
  | { type: 'init'; ortBase: string; backbone: BackboneRequest }
  | { type: 'photos'; jobs: PhotoJob[] }
  | { type: 'cancel' }
  | { type: 'train'; job: TrainJob };

export type FromWorker =
  | { type: 'ready'; backbone: string; featureKey: string; runtime: string }
  | { type: 'init-error'; message: string }
  | {
      type: 'photo';
      id: string;
      hash?: string;
      /** The features' cache key (features store); its thumbnail is in `thumbs` by hash. */
      key?: string;
      cached?: boolean;
      error?: string;
    }
  | { type: 'cancelled'; ids: string[] }
  | { type: 'epoch'; progress: EpochProgress }
  | { type: 'trained'; outcome: TrainOutcome }
  | { type: 'train-error'; message: string };
