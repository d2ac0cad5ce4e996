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
 * The default method, chosen by measurement (`node bench/run.js --only open-set`, bench/REPORT.md
 * section 7, 2026-12-01): default ants/bees and flowers leave-one-class-out runs (train on 11
 * species, the 12th is unknown); AUROC of unknown vs in-distribution val photos:
 *                             ants/bees vs 31     ants/bees vs    flowers LOCO: mean,
 *                             unrelated photos    960 flowers     species above max-softmax
 *   max-softmax               0.768               0.771           0.891, -
 *   energy                    0.811               0.750           0.877, 6/12
 *   centroid-cosine           0.924               0.852           0.863, 5/12
 *   mahalanobis               0.892               0.793           0.769, 4/12
 *   knn-cosine (k=1)          0.935               0.718           0.864, 5/12
 *   knn-cosine+max-softmax    0.934               0.781           0.891, 9/12
 *   knn-cosine+energy         0.926               0.761           0.897, 8/12
 * Distance in normalised feature space is what catches unrelated photos (the 2-logit head maps
 * a giraffe confidently onto ants or bees), but between flower species the frozen backbone's
 * features overlap and the logits separate better; the standardised sums keep nearly all of
 * kNN's gain on unrelated photos and beat max-softmax on most left-out species. knn+energy has
 * the best mean over the species and the best accuracy on accepted val photos (93.2 % vs 92.2 %
 * overall); knn+max-softmax is within noise of it. k=1 beat k=5 and k=10 on the species;
 * Mahalanobis (a shrunk shared covariance from a few hundred photos in 1280 dimensions) was the
 * weakest and the slowest to fit. None reaches AUROC 0.95 on the unrelated photos.
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
