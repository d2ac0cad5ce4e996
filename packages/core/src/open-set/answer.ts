import type { OpenSetSpec } from '../spec/model-spec.js';

/** The open-set verdict for one photo: unknown when its score is above the model's threshold. */
export function isUnknown(score: number, openSet: Pick<OpenSetSpec, 'threshold'>): boolean {
  // NaN (a broken score) is treated as unknown: never a confident answer from a bad number.
  return !(score <= openSet.threshold);
}
