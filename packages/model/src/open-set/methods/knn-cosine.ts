/**
 * knn-cosine: one minus the cosine similarity to the k-th nearest training photo. The bank of
 * L2-normalised training features travels inside model.onnx.
 */
import { matMulTransposed } from '../../head/head-kernels.js';
import { nearestCosineDistance, OPEN_SET_PREFIX } from './graph-ops.js';
import { normalizeRows } from './math.js';
import type { FeatureMatrix, OpenSetMethodDefinition } from './types.js';

export interface KnnCosineParams {
  method: 'knn-cosine';
  dim: number;
  /** Unused by kNN; kept (0) so params.json reads as it always did. */
  classes: number;
  /** L2-normalised training features [n, dim]. */
  bank: Float32Array;
  k: number;
}

/**
 * The most training photos the kNN bank keeps. The bank travels inside model.onnx and is scored
 * against every photo, so it must not grow with the dataset: 8,000 training photos made a 41 MB
 * bank (a model file past what a Workers isolate holds beside onnxruntime-web) and took
 * `ferry train` to a 1.8 GB peak. 2,048 rows are 10 MB of float32 at MobileNetV2's 1280
 * features; ants/bees (244) and the flowers (720) are far below it, so their figures are the
 * full bank's.
 */
export const MAX_KNN_BANK_ROWS = 2048;

/**
 * At most `max` rows, evenly spaced through the matrix: training rows come in class order, so
 * every class keeps its share; the same rows every run (no seed involved).
 */
export function evenRows(m: FeatureMatrix, max: number): FeatureMatrix {
  if (m.rows <= max) return m;
  const data = new Float32Array(max * m.dim);
  for (let i = 0; i < max; i++) {
    const r = Math.floor((i * m.rows) / max);
    data.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim);
  }
  return { data, rows: max, dim: m.dim };
}

/** The bank and k from the training features (the hybrids start from it too). */
export function fitKnnBank(train: FeatureMatrix, k: number): Omit<KnnCosineParams, 'method'> {
  const kept = evenRows(train, MAX_KNN_BANK_ROWS);
  return { dim: train.dim, classes: 0, bank: normalizeRows(kept), k: Math.min(k, kept.rows) };
}

/**
 * 1 - the k-th largest cosine similarity of each row to the bank. Every row against every bank
 * row on the linear head's SIMD kernel (head/head-kernels.wat): the flowers' val set is 240 x
 * 720 x 1280 multiply-adds.
 */
export function knnCosineScores(bank: Float32Array, k: number, features: FeatureMatrix): Float64Array {
  const { dim } = features;
  const n = bank.length / dim;
  const sims = matMulTransposed(normalizeRows(features), features.rows, bank, n, dim);
  const out = new Float64Array(features.rows);
  for (let r = 0; r < features.rows; r++) {
    const row = Float64Array.from(sims.subarray(r * n, (r + 1) * n)).sort();
    out[r] = 1 - (row[n - k] as number);
  }
  return out;
}

export const knnCosine: OpenSetMethodDefinition<KnnCosineParams> = {
  fit(input) {
    const params: KnnCosineParams = { method: 'knn-cosine', ...fitKnnBank(input.train, input.k) };
    return {
      params,
      valScores: knnCosine.score(params, { features: input.val, logits: [], temperature: 1 }),
    };
  },
  score: (params, input) => knnCosineScores(params.bank, params.k, input.features),
  graph(b, params, input) {
    const bank = b.addFloats(`${OPEN_SET_PREFIX}bank`, params.bank, [
      params.bank.length / params.dim,
      params.dim,
    ]);
    return nearestCosineDistance(b, input.features, bank, params.k, 'open_set/knn');
  },
};
