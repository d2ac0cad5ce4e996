import type { DecodeRule } from '../decode-scale.js';
import type { TransformStep } from '../transforms/pipeline.js';
import type { Layout, Normalization } from '../transforms/to-tensor.js';

export const MODEL_SPEC_FORMAT = 'ferry.model-spec';
export const MODEL_SPEC_VERSION = 1;

/**
 * Keys of the ONNX `metadata_props` a Ferry export writes. `ferry.model_spec` holds the whole
 * spec as JSON; the others duplicate common fields for tools that only show plain metadata.
 */
export const ONNX_METADATA_KEYS = {
  spec: 'ferry.model_spec',
  specVersion: 'ferry.spec_version',
  labels: 'ferry.labels',
} as const;

/** Names of the graph inputs/outputs every exported classifier has. */
export const DEFAULT_IO_NAMES = {
  input: 'input',
  logits: 'logits',
  probabilities: 'probabilities',
  oodScore: 'ood_score',
  calibratedProbabilities: 'calibrated_probabilities',
} as const;

/**
 * How an open-set score is computed from the pooled backbone features (or the logits, for the
 * baselines). Higher always means "less like the training photos".
 * - `knn-cosine`: 1 - cosine similarity to the k-th nearest training photo;
 * - `mahalanobis`: distance to the nearest class mean under a shared, shrunk covariance;
 * - `centroid-cosine`: 1 - cosine similarity to the nearest class mean;
 * - `max-softmax`: 1 - the top calibrated probability; `energy`: -T logsumexp(logits / T);
 * - `knn-cosine+max-softmax`, `knn-cosine+energy`: the sum of the two scores, each standardised
 *   by its mean and standard deviation on the in-distribution val photos, the logit score weighted
 *   by 1 - 1/classes (the feature distance sees unrelated photos, the logits see near classes the
 *   features alone cannot tell apart; a two-class softmax says little). The weight lives in the
 *   graph; files fitted before it summed both with weight 1 and still do.
 */
export const OPEN_SET_METHODS = [
  'knn-cosine',
  'mahalanobis',
  'centroid-cosine',
  'max-softmax',
  'energy',
  'knn-cosine+max-softmax',
  'knn-cosine+energy',
] as const;
export type OpenSetMethod = (typeof OPEN_SET_METHODS)[number];

export interface OpenSetSpec {
  method: OpenSetMethod;
  /** Graph output [batch] with the score (higher = less like the training photos). */
  scoreOutput: string;
  /** Graph output [batch, classes] with softmax(logits / temperature). */
  probabilitiesOutput: string;
  /** score > threshold: the photo is none of the labels. Calibrated on val (see valRejected). */
  threshold: number;
  /** Temperature fitted on val (temperature scaling); the calibrated output divides logits by it. */
  temperature: number;
  /** Share of val photos the threshold rejects (the budget was at most 5 %). */
  valRejected?: number;
  /** Expected calibration error on val before / after temperature scaling. */
  eceBefore?: number;
  eceAfter?: number;
  /** Neighbour rank for knn-cosine and the hybrids. */
  k?: number;
}

export interface ModelInputSpec {
  /** Graph input name. */
  name: string;
  width: number;
  height: number;
  channels: 3;
  channelOrder: 'RGB';
  layout: Layout;
  dtype: 'float32';
  normalization: Normalization;
}

export interface BackboneSpec {
  /** Registry id (e.g. `mobilenet_v2_0.35_224`) or a path/URL for custom backbones. */
  id: string;
  featureLayer: string;
  /** Where the weights came from (URL or local path). */
  source?: string;
}

export interface HeadSpec {
  type: 'dense';
  /** Hidden layer widths between pooled features and the logits; empty for a linear head. */
  hiddenUnits: number[];
  dropout: number;
  pooling: 'avg' | 'max' | 'none';
}

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface TrainingProvenance {
  mode?: 'features' | 'freeze' | 'finetune';
  epochs?: number;
  batchSize?: number;
  optimizer?: string;
  learningRate?: number;
  seed?: number;
  dataset?: string;
  trainCount?: number;
  valCount?: number;
  valAccuracy?: number;
  perClass?: Record<string, ClassMetrics>;
  backend?: string;
  durationSeconds?: number;
  createdAt?: string;
  ferryVersion?: string;
  [extra: string]: unknown;
}

export interface ModelSpec {
  format: typeof MODEL_SPEC_FORMAT;
  version: typeof MODEL_SPEC_VERSION;
  name: string;
  task: 'image-classification';
  /** Class labels in output order: logits[i] belongs to labels[i]. */
  labels: string[];
  input: ModelInputSpec;
  /** Eval pipeline from a decoded image to input.width x input.height (deterministic steps only). */
  preprocess: TransformStep[];
  /**
   * How large to decode before `preprocess` (JPEG DCT scaling, see decode-scale.ts). Absent in
   * model files from before the rule: those decode at full size.
   */
  decode?: DecodeRule;
  output: { logits: string; probabilities: string };
  backbone?: BackboneSpec;
  head?: HeadSpec;
  training?: TrainingProvenance;
  /** Open-set answer and calibrated confidence; absent in models exported before Ferry had them. */
  openSet?: OpenSetSpec;
}
