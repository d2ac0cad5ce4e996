/**
 * Open-set figures of one scorer: how well it separates photos of none of the classes
 * (`unknown`) from the in-distribution val photos, at the threshold fitOpenSet would choose.
 */
import { auroc, fprAtTpr, type OpenSetMethod, rejectedShare } from '@ferry/core';
import { type FeatureMatrix, fitOpenSet, type OpenSetFitInput, scoreOpenSet } from '@ferry/model';

export interface OpenSetFigures {
  method: OpenSetMethod;
  k?: number;
  auroc: number;
  /** Share of unknown photos accepted at the threshold keeping 95 % of val photos. */
  fpr95: number;
  threshold: number;
  valRejected: number;
  unknownRejected: number;
  /** Top-1 accuracy on the val photos the threshold accepts. */
  acceptedAccuracy: number;
  /** Top-1 accuracy on all val photos (the model without an open-set answer). */
  overallAccuracy: number;
  eceBefore: number;
  eceAfter: number;
  temperature: number;
  inScores: number[];
  outScores: number[];
}

export function measureOpenSet(
  fitInput: OpenSetFitInput,
  unknown: { features: FeatureMatrix; logits: readonly ArrayLike<number>[] },
): OpenSetFigures {
  const fit = fitOpenSet(fitInput);
  const inScores = Array.from(fit.valScores);
  const outScores = Array.from(
    scoreOpenSet(fit.params, unknown.features, unknown.logits, fit.spec.temperature),
  );
  let accepted = 0;
  let acceptedRight = 0;
  let right = 0;
  fitInput.valLogits.forEach((row, i) => {
    let best = 0;
    for (let j = 1; j < row.length; j++) if ((row[j] as number) > (row[best] as number)) best = j;
    const ok = best === fitInput.valLabels[i];
    if (ok) right++;
    if ((inScores[i] as number) <= fit.spec.threshold) {
      accepted++;
      if (ok) acceptedRight++;
    }
  });
  return {
    method: fit.spec.method,
    ...(fit.spec.k !== undefined ? { k: fit.spec.k } : {}),
    auroc: auroc(inScores, outScores),
    fpr95: fprAtTpr(inScores, outScores, 0.95),
    threshold: fit.spec.threshold,
    valRejected: fit.spec.valRejected ?? rejectedShare(inScores, fit.spec.threshold),
    unknownRejected: rejectedShare(outScores, fit.spec.threshold),
    acceptedAccuracy: accepted ? acceptedRight / accepted : Number.NaN,
    overallAccuracy: fitInput.valLogits.length ? right / fitInput.valLogits.length : Number.NaN,
    eceBefore: fit.spec.eceBefore ?? Number.NaN,
    eceAfter: fit.spec.eceAfter ?? Number.NaN,
    temperature: fit.spec.temperature,
    inScores,
    outScores,
  };
}
