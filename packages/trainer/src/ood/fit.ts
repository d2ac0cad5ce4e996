/**
 * Fits the open-set answer of a finished run: the OOD scorer on the training photos' pooled
 * features, then, on val, the temperature (temperature scaling) and the threshold that rejects
 * at most MAX_VAL_REJECTED of the in-distribution val photos.
 */
import {
  DEFAULT_IO_NAMES,
  expectedCalibrationError,
  fitTemperature,
  type OpenSetMethod,
  type OpenSetSpec,
  rejectedShare,
  softmaxWithTemperature,
  thresholdForRejectRate,
} from '@ferry/core';
import {
  DEFAULT_KNN_K,
  type FeatureMatrix,
  fitOpenSetMethod,
  type OpenSetParams,
  scoreOpenSet,
} from './methods.js';

/** The threshold's budget: at most this share of in-distribution val photos answered "unknown". */
export const MAX_VAL_REJECTED = 0.05;

/**
 * The default method, chosen by measurement (bench/REPORT.md "Open set", `node bench/run.js
 * --only open-set`): on ants/bees vs unrelated photos and on flowers leave-one-class-out,
 * cosine distance to the nearest training photo in L2-normalised feature space separated unknown
 * photos best of the feature-space scorers and far better than the max-softmax and energy
 * baselines, which only see the 2..12 logits a small head squeezes everything into. It also
 * needs no matrix inverse (Mahalanobis needs a shrunk covariance from a few hundred photos in
 * 1280 dimensions) and its score is bounded in [0, 2], which keeps runtimes within 1e-4.
 */
export const DEFAULT_OPEN_SET_METHOD: OpenSetMethod = 'knn-cosine';

export interface OpenSetFitInput {
  /** Pooled features of the training photos (plain eval view). */
  train: FeatureMatrix;
  trainLabels: readonly number[];
  classes: number;
  val: FeatureMatrix;
  valLogits: readonly ArrayLike<number>[];
  valLabels: readonly number[];
  method?: OpenSetMethod;
  k?: number;
}

export interface OpenSetFit {
  params: OpenSetParams;
  spec: OpenSetSpec;
  /** Val scores under the fitted scorer (same order as the val rows). */
  valScores: Float64Array;
}

export function fitOpenSet(input: OpenSetFitInput): OpenSetFit {
  const method = input.method ?? DEFAULT_OPEN_SET_METHOD;
  const temperature = fitTemperature(input.valLogits, input.valLabels);
  const before = input.valLogits.map((l) => softmaxWithTemperature(l, 1));
  const after = input.valLogits.map((l) => softmaxWithTemperature(l, temperature));
  const params = fitOpenSetMethod(method, input.train, input.trainLabels, input.classes, {
    k: input.k ?? DEFAULT_KNN_K,
  });
  const valScores = scoreOpenSet(params, input.val, input.valLogits, temperature);
  const scores = Array.from(valScores);
  const threshold = thresholdForRejectRate(scores, MAX_VAL_REJECTED);
  const spec: OpenSetSpec = {
    method,
    scoreOutput: DEFAULT_IO_NAMES.oodScore,
    probabilitiesOutput: DEFAULT_IO_NAMES.calibratedProbabilities,
    threshold,
    temperature,
    valRejected: rejectedShare(scores, threshold),
    eceBefore: expectedCalibrationError(before, input.valLabels),
    eceAfter: expectedCalibrationError(after, input.valLabels),
    ...(params.k !== undefined ? { k: params.k } : {}),
  };
  return { params, spec, valScores };
}
