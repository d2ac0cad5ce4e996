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
  fitStandardization,
  type MatMulT,
  type OpenSetParams,
} from './methods.js';

/** The threshold's budget: at most this share of in-distribution val photos answered "unknown". */
export const MAX_VAL_REJECTED = 0.05;

/**
 * The default method, chosen by measurement (bench/open-set.mjs, bench/REPORT.md "Open set"):
 * default ants/bees runs and flowers leave-one-class-out runs (train on 11 species, the 12th is
 * unknown), AUROC of unknown vs in-distribution val photos:
 *                        ants/bees vs 31 unrelated photos   flowers LOCO: mean, species > MSP
 *   max-softmax          0.769                               0.896, -
 *   energy               0.803                               0.886, 7/12
 *   centroid-cosine      0.924                               0.863, 5/12
 *   mahalanobis          0.892                               0.769, 3/12
 *   knn-cosine (k=1)     0.935                               0.864, 5/12
 *   knn-cosine+energy    0.932                               0.900, 8/12
 * Distance in normalised feature space is what catches unrelated photos (the 2-logit head maps
 * a giraffe confidently onto ants or bees), but between flower species the features of the
 * frozen backbone overlap and the logits separate better; the standardised sum keeps nearly all
 * of kNN's gain on unrelated photos and beats max-softmax on most left-out species. k=1 beat
 * k=5 and k=10 on the flower species; Mahalanobis (shrunk shared covariance from a few hundred
 * photos in 1280 dimensions) was worst and costs a Cholesky at fit time.
 */
export const DEFAULT_OPEN_SET_METHOD: OpenSetMethod = 'knn-cosine+energy';

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
  /** A fast [a x b^T] for the kNN pass (the training's tfjs backend); plain JS without it. */
  matMulT?: MatMulT;
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
  const { params, scores: valScores } = fitStandardization(
    fitOpenSetMethod(method, input.train, input.trainLabels, input.classes, { k: input.k ?? DEFAULT_KNN_K }),
    input.val,
    input.valLogits,
    temperature,
    input.matMulT,
  );
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
