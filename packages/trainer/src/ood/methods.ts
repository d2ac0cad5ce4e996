/**
 * Open-set scorers fitted on the pooled backbone features of the training photos. Each one maps
 * features (and, for the baselines, logits) to a score where higher means "less like the
 * training photos". Math is float64 here; the ONNX graph (export/open-set-graph.ts) computes the
 * same formulas in float32 from the parameters these fits produce.
 */
import { type OpenSetMethod, softmaxWithTemperature } from '@ferry/core';

/** Rows of a row-major [n, dim] matrix. */
export interface FeatureMatrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

export interface OpenSetParams {
  method: OpenSetMethod;
  dim: number;
  classes: number;
  /** knn-cosine: L2-normalised training features [n, dim]. */
  bank?: Float32Array;
  k?: number;
  /** mahalanobis: class means [classes, dim] (centroid-cosine: L2-normalised means). */
  means?: Float32Array;
  /** mahalanobis: A = L^-1 Xc with L L^T = Xc Xc^T + lambda I ([rank, dim]); see fitMahalanobis. */
  whiten?: Float32Array;
  rank?: number;
  lambda?: number;
  /**
   * Hybrid methods (`knn-cosine+...`): [mean, std] of the feature score then of the logit score
   * on the in-distribution val photos; the score is the sum of both standardised scores, times
   * the feature score's std (same ranking, the feature score's units).
   */
  standardize?: [number, number, number, number];
  /**
   * Hybrids: weight of the standardised logit score in the sum (hybridLogitWeight). Absent in
   * parameters fitted before it existed: those summed both parts with weight 1.
   */
  logitWeight?: number;
}

export type SingleMethod = 'knn-cosine' | 'mahalanobis' | 'centroid-cosine' | 'max-softmax' | 'energy';

/** A hybrid's two parts: the feature-space scorer and the logit baseline it is summed with. */
export function hybridParts(method: OpenSetMethod): [SingleMethod, SingleMethod] | undefined {
  if (method === 'knn-cosine+max-softmax') return ['knn-cosine', 'max-softmax'];
  if (method === 'knn-cosine+energy') return ['knn-cosine', 'energy'];
  return undefined;
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

/**
 * Hybrids: the standardisation of both parts from in-distribution (val) features and logits,
 * and the logit part's weight (hybridLogitWeight of the logits' width unless given).
 */
export function fitStandardization(
  p: OpenSetParams,
  features: FeatureMatrix,
  logits: readonly ArrayLike<number>[],
  temperature: number,
  matMulT?: MatMulT,
  logitWeight?: number,
): { params: OpenSetParams; scores: Float64Array } {
  const parts = hybridParts(p.method);
  if (!parts) return { params: p, scores: scoreOpenSet(p, features, logits, temperature, matMulT) };
  // Each part scored once: the fit's cost is the kNN pass over val, not three of them.
  const a = scoreSingle(parts[0], p, features, logits, temperature, matMulT);
  const b = scoreSingle(parts[1], p, features, logits, temperature, matMulT);
  const [ma, sa] = meanStd(a);
  const [mb, sb] = meanStd(b);
  const params: OpenSetParams = {
    ...p,
    standardize: [ma, sa, mb, sb],
    logitWeight: logitWeight ?? hybridLogitWeight(logits[0]?.length ?? 0),
  };
  return { params, scores: combineParts(params, a, b) };
}

/** sa * (za + w zb): see scoreOpenSet. */
function combineParts(p: OpenSetParams, a: Float64Array, b: Float64Array): Float64Array {
  const [ma, , mb] = p.standardize!;
  // The standardised sum, kept in the feature score's units so float32 errors of either part
  // are not magnified by 1/sa (runtimes agree on the score as on its parts).
  const w = hybridScale(p);
  return a.map((x, i) => x - ma + w * ((b[i] as number) - mb));
}

/** The factor on the centred logit score: logitWeight * sa / sb (the graph's `logit_weight`). */
export function hybridScale(p: OpenSetParams): number {
  const [, sa, , sb] = p.standardize!;
  return (p.logitWeight ?? 1) * (sa / sb);
}

/**
 * a [aRows, dim] times b [bRows, dim] transposed -> [aRows, bRows], row-major. The training flow
 * passes its tfjs backend's matMul (wasm, SIMD): the fit's kNN pass is every val photo against
 * every training photo, 48 M multiply-adds for ants/bees, which plain JS loops do 10x slower.
 */
export type MatMulT = (
  a: Float32Array,
  aRows: number,
  b: Float32Array,
  bRows: number,
  dim: number,
) => Float32Array;

/** Default neighbour rank of knn-cosine and the hybrids (see fit.ts DEFAULT_OPEN_SET_METHOD for why). */
export const DEFAULT_KNN_K = 3;

function l2Normalize(v: Float32Array | Float64Array, out: Float32Array, offset: number): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
  for (let i = 0; i < v.length; i++) out[offset + i] = (v[i] as number) * inv;
}

export function normalizeRows(m: FeatureMatrix): Float32Array {
  const out = new Float32Array(m.rows * m.dim);
  for (let r = 0; r < m.rows; r++) l2Normalize(m.data.subarray(r * m.dim, (r + 1) * m.dim), out, r * m.dim);
  return out;
}

function classMeans(m: FeatureMatrix, labels: readonly number[], classes: number): Float64Array {
  const sums = new Float64Array(classes * m.dim);
  const counts = new Float64Array(classes);
  for (let r = 0; r < m.rows; r++) {
    const c = labels[r] as number;
    counts[c]!++;
    for (let j = 0; j < m.dim; j++) sums[c * m.dim + j]! += m.data[r * m.dim + j] as number;
  }
  for (let c = 0; c < classes; c++)
    for (let j = 0; j < m.dim; j++) sums[c * m.dim + j]! /= Math.max(1, counts[c] as number);
  return sums;
}

/** In-place Cholesky of a symmetric positive-definite [n, n] matrix (lower triangle). */
function cholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j] as number;
    for (let k = 0; k < j; k++) d -= (a[j * n + k] as number) ** 2;
    if (!(d > 0)) throw new Error('open set: covariance is not positive definite');
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (a[i * n + k] as number) * (a[j * n + k] as number);
      a[i * n + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[j * n + k] = 0;
  }
}

/**
 * Class-conditional Gaussians with one shared covariance S = Xc^T Xc / n (Xc: features minus
 * their class mean), shrunk to S + lambda I with lambda = shrinkage * trace(S) / dim: with a few
 * hundred photos and 1280 dimensions S alone is singular. Woodbury turns the [dim, dim] inverse
 * into an [n, n] one: (Xc^T Xc / n + lambda I)^-1 = (I - A^T A) / lambda with
 * A = L^-1 Xc / sqrt(n), L L^T = Xc Xc^T / n + lambda I. The squared distance to class c is then
 * (|f - mu_c|^2 - |A (f - mu_c)|^2) / lambda: two norms and one [n, dim] matrix in the graph.
 */
export function fitMahalanobis(
  m: FeatureMatrix,
  labels: readonly number[],
  classes: number,
  shrinkage = 0.1,
): OpenSetParams {
  const { rows: n, dim } = m;
  const means = classMeans(m, labels, classes);
  const xc = new Float64Array(n * dim);
  let trace = 0;
  const scale = 1 / Math.sqrt(n);
  for (let r = 0; r < n; r++) {
    const c = labels[r] as number;
    for (let j = 0; j < dim; j++) {
      const v = ((m.data[r * dim + j] as number) - (means[c * dim + j] as number)) * scale;
      xc[r * dim + j] = v;
      trace += v * v;
    }
  }
  const lambda = (shrinkage * trace) / dim;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += (xc[i * dim + j] as number) * (xc[k * dim + j] as number);
      g[i * n + k] = s;
      g[k * n + i] = s;
    }
    g[i * n + i]! += lambda;
  }
  cholesky(g, n);
  // Forward substitution, row by row: A[i] = (Xc[i] - sum_k L[i,k] A[k]) / L[i,i].
  const a = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      let s = xc[i * dim + j] as number;
      for (let k = 0; k < i; k++) s -= (g[i * n + k] as number) * (a[k * dim + j] as number);
      a[i * dim + j] = s / (g[i * n + i] as number);
    }
  }
  return {
    method: 'mahalanobis',
    dim,
    classes,
    means: Float32Array.from(means),
    whiten: Float32Array.from(a),
    rank: n,
    lambda,
  };
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

export function fitKnnCosine(m: FeatureMatrix, k = DEFAULT_KNN_K): OpenSetParams {
  const kept = evenRows(m, MAX_KNN_BANK_ROWS);
  return {
    method: 'knn-cosine',
    dim: m.dim,
    classes: 0,
    bank: normalizeRows(kept),
    k: Math.min(k, kept.rows),
  };
}

export function fitCentroidCosine(
  m: FeatureMatrix,
  labels: readonly number[],
  classes: number,
): OpenSetParams {
  const means = classMeans(m, labels, classes);
  const out = new Float32Array(classes * m.dim);
  for (let c = 0; c < classes; c++) l2Normalize(means.subarray(c * m.dim, (c + 1) * m.dim), out, c * m.dim);
  return { method: 'centroid-cosine', dim: m.dim, classes, means: out };
}

export function fitOpenSetMethod(
  method: OpenSetMethod,
  train: FeatureMatrix,
  labels: readonly number[],
  classes: number,
  options: { k?: number } = {},
): OpenSetParams {
  switch (method) {
    case 'knn-cosine':
      return fitKnnCosine(train, options.k);
    case 'knn-cosine+max-softmax':
    case 'knn-cosine+energy':
      // The standardisation comes later, from val (fitStandardization).
      return { ...fitKnnCosine(train, options.k), method };
    case 'mahalanobis':
      return fitMahalanobis(train, labels, classes);
    case 'centroid-cosine':
      return fitCentroidCosine(train, labels, classes);
    case 'max-softmax':
    case 'energy':
      return { method, dim: train.dim, classes };
  }
}

/** Four running sums: the fit scores every val photo against every training photo (1280-d). */
function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += (a[ao + i] as number) * (b[bo + i] as number);
    s1 += (a[ao + i + 1] as number) * (b[bo + i + 1] as number);
    s2 += (a[ao + i + 2] as number) * (b[bo + i + 2] as number);
    s3 += (a[ao + i + 3] as number) * (b[bo + i + 3] as number);
  }
  for (; i < n; i++) s0 += (a[ao + i] as number) * (b[bo + i] as number);
  return s0 + s1 + s2 + s3;
}

/**
 * Scores for every row of `features` (and its `logits` row, for the baselines). `temperature`
 * applies to max-softmax and energy, as the exported graph applies it.
 */
export function scoreOpenSet(
  p: OpenSetParams,
  features: FeatureMatrix,
  logits: readonly ArrayLike<number>[],
  temperature = 1,
  matMulT?: MatMulT,
): Float64Array {
  const parts = hybridParts(p.method);
  if (!parts) return scoreSingle(p.method as SingleMethod, p, features, logits, temperature, matMulT);
  if (!p.standardize) throw new Error(`open set: ${p.method} needs its standardisation (fitStandardization)`);
  return combineParts(
    p,
    scoreSingle(parts[0], p, features, logits, temperature, matMulT),
    scoreSingle(parts[1], p, features, logits, temperature, matMulT),
  );
}

function scoreSingle(
  method: SingleMethod,
  p: OpenSetParams,
  features: FeatureMatrix,
  logits: readonly ArrayLike<number>[],
  temperature: number,
  matMulT?: MatMulT,
): Float64Array {
  const out = new Float64Array(features.rows);
  const { dim } = p;
  if (method === 'max-softmax' || method === 'energy') {
    logits.forEach((row, r) => {
      if (method === 'max-softmax') out[r] = 1 - Math.max(...softmaxWithTemperature(row, temperature));
      else {
        let max = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < row.length; i++) max = Math.max(max, (row[i] as number) / temperature);
        let s = 0;
        for (let i = 0; i < row.length; i++) s += Math.exp((row[i] as number) / temperature - max);
        out[r] = -temperature * (max + Math.log(s));
      }
    });
    return out;
  }
  const f = normalizeRows(features);
  const raw = features.data;
  if (method === 'knn-cosine' && matMulT) {
    const bank = p.bank as Float32Array;
    const n = bank.length / dim;
    const k = p.k ?? 1;
    const sims = matMulT(f, features.rows, bank, n, dim);
    for (let r = 0; r < features.rows; r++) {
      const row = Float64Array.from(sims.subarray(r * n, (r + 1) * n)).sort();
      out[r] = 1 - (row[n - k] as number);
    }
    return out;
  }
  for (let r = 0; r < features.rows; r++) {
    if (method === 'knn-cosine') {
      const bank = p.bank as Float32Array;
      const n = bank.length / dim;
      const k = p.k ?? 1;
      if (k === 1) {
        let best = Number.NEGATIVE_INFINITY;
        for (let i = 0; i < n; i++) best = Math.max(best, dot(f, r * dim, bank, i * dim, dim));
        out[r] = 1 - best;
      } else {
        const sims = new Float64Array(n);
        for (let i = 0; i < n; i++) sims[i] = dot(f, r * dim, bank, i * dim, dim);
        sims.sort();
        out[r] = 1 - (sims[n - k] as number);
      }
    } else if (method === 'centroid-cosine') {
      const means = p.means as Float32Array;
      let best = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < p.classes; c++) best = Math.max(best, dot(f, r * dim, means, c * dim, dim));
      out[r] = 1 - best;
    } else {
      const means = p.means as Float32Array;
      const a = p.whiten as Float32Array;
      const rank = p.rank as number;
      let best = Number.POSITIVE_INFINITY;
      const v = new Float32Array(dim);
      for (let c = 0; c < p.classes; c++) {
        let norm = 0;
        for (let j = 0; j < dim; j++) {
          v[j] = (raw[r * dim + j] as number) - (means[c * dim + j] as number);
          norm += (v[j] as number) ** 2;
        }
        let proj = 0;
        for (let i = 0; i < rank; i++) proj += dot(a, i * dim, v, 0, dim) ** 2;
        best = Math.min(best, (norm - proj) / (p.lambda as number));
      }
      out[r] = Math.sqrt(Math.max(0, best));
    }
  }
  return out;
}
