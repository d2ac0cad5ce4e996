/**
 * The hybrids, `knn-cosine+max-softmax` (the default) and `knn-cosine+energy`: the kNN distance
 * plus a weighted logit baseline, both standardised on the in-distribution val photos. Distance
 * in feature space catches unrelated photos; between close classes the logits separate better
 * (fit.ts DEFAULT_OPEN_SET_METHOD has the measurements).
 */

import { energy } from './energy.js';
import { scalar } from './graph-ops.js';
import { fitKnnBank, type KnnCosineParams, knnCosine, knnCosineScores } from './knn-cosine.js';
import { type LogitParams, maxSoftmax } from './max-softmax.js';
import type { OpenSetMethodDefinition } from './types.js';

export type HybridMethod = 'knn-cosine+max-softmax' | 'knn-cosine+energy';

export interface HybridParams extends Omit<KnnCosineParams, 'method'> {
  method: HybridMethod;
  /**
   * [mean, std] of the kNN score then of the logit score on the in-distribution val photos; the
   * score is the sum of both standardised scores, times the kNN score's std (same ranking, the
   * kNN score's units, so float32 errors of either part are not magnified by 1/std).
   */
  standardize: [number, number, number, number];
  /** The standardised logit score's weight. Absent in parameters fitted before it: 1. */
  logitWeight?: number;
}

/**
 * A hybrid's weight on its logit score, from the number of classes: 1 - 1/classes (1/2 for a
 * two-class model, 10/11 for eleven). A two-class head's softmax says little about photos of
 * none of its classes (ants/bees vs 51 unrelated photos: max-softmax alone AUROC 0.65, kNN alone
 * 0.95) while a many-class head's says much (flowers, one species left out: max-softmax 0.88,
 * kNN 0.85). Measured (bench/REPORT.md section 7, 2026-12-01), knn-cosine k=3 + w max-softmax:
 *   w                   ants/bees vs 51 photos   vs 960 flowers   flowers LOCO mean, > max-softmax
 *   1                   0.924                    0.817            0.877, 7/12
 *   1 - 1/classes       0.952                    0.825            0.877, 7/12
 */
export function hybridLogitWeight(classes: number): number {
  return classes > 1 ? 1 - 1 / classes : 1;
}

/** The factor on the centred logit score: logitWeight * sa / sb (the graph's `logit_weight`). */
export function hybridScale(p: HybridParams): number {
  const [, sa, , sb] = p.standardize;
  return (p.logitWeight ?? 1) * (sa / sb);
}

function meanStd(xs: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i] as number;
  m /= Math.max(1, xs.length);
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += ((xs[i] as number) - m) ** 2;
  const sd = Math.sqrt(v / Math.max(1, xs.length));
  return [m, sd > 1e-12 ? sd : 1];
}

function hybrid<L extends 'max-softmax' | 'energy'>(
  method: HybridMethod,
  logit: L,
  logitPart: OpenSetMethodDefinition<LogitParams<L>>,
): OpenSetMethodDefinition<HybridParams> {
  const logitParams = (p: { dim: number; classes: number }): LogitParams<L> => ({
    method: logit,
    dim: p.dim,
    classes: p.classes,
  });
  // (a - ma) + w (sa / sb) (b - mb)
  const combine = (p: HybridParams, a: Float64Array, b: Float64Array): Float64Array => {
    const [ma, , mb] = p.standardize;
    const w = hybridScale(p);
    return a.map((x, i) => x - ma + w * ((b[i] as number) - mb));
  };
  return {
    fit(input) {
      const bank = fitKnnBank(input.train, input.k);
      // Each part scored once on val: the fit's cost is one kNN pass, not three.
      const a = knnCosineScores(bank.bank, bank.k, input.val);
      const b = logitPart.score(logitParams(bank), {
        features: input.val,
        logits: input.valLogits,
        temperature: input.temperature,
      });
      const [ma, sa] = meanStd(a);
      const [mb, sb] = meanStd(b);
      const params: HybridParams = {
        method,
        ...bank,
        standardize: [ma, sa, mb, sb],
        logitWeight: input.logitWeight ?? hybridLogitWeight(input.valLogits[0]?.length ?? 0),
      };
      return { params, valScores: combine(params, a, b) };
    },
    score: (p, input) =>
      combine(p, knnCosineScores(p.bank, p.k, input.features), logitPart.score(logitParams(p), input)),
    graph(b, p, input) {
      const [ma, , mb] = p.standardize;
      const a = b.op(
        'Sub',
        [knnCosine.graph(b, { ...p, method: 'knn-cosine' }, input), scalar(b, 'feature_mean', ma)],
        'open_set/feature_centered',
      );
      const l = b.op(
        'Sub',
        [logitPart.graph(b, logitParams(p), input), scalar(b, 'logit_mean', mb)],
        'open_set/logit_centered',
      );
      const weighted = b.op('Mul', [l, scalar(b, 'logit_weight', hybridScale(p))], 'open_set/logit_weighted');
      return b.op('Add', [a, weighted], 'open_set/sum');
    },
  };
}

export const knnCosineMaxSoftmax = hybrid('knn-cosine+max-softmax', 'max-softmax', maxSoftmax);
export const knnCosineEnergy = hybrid('knn-cosine+energy', 'energy', energy);
