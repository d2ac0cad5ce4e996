/**
 * mahalanobis: the distance to the nearest class mean under one shared, shrunk covariance.
 */
import { OPEN_SET_PREFIX, reduceSum, rowExtreme, scalar } from './graph-ops.js';
import { classMeans, dot } from './math.js';
import type { FeatureMatrix, OpenSetMethodDefinition } from './types.js';

export interface MahalanobisParams {
  method: 'mahalanobis';
  dim: number;
  classes: number;
  /** Class means [classes, dim]. */
  means: Float32Array;
  /** A = L^-1 Xc with L L^T = Xc Xc^T + lambda I ([rank, dim]); see fitMahalanobis. */
  whiten: Float32Array;
  rank: number;
  lambda: number;
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
): MahalanobisParams {
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

/** Transposed copy of a row-major [rows, cols] matrix: MatMul wants [dim, n] on the right. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

export const mahalanobis: OpenSetMethodDefinition<MahalanobisParams> = {
  fit(input) {
    const params = fitMahalanobis(input.train, input.trainLabels, input.classes);
    return {
      params,
      valScores: mahalanobis.score(params, { features: input.val, logits: [], temperature: 1 }),
    };
  },
  score(p, { features }) {
    const { dim } = p;
    const out = new Float64Array(features.rows);
    const v = new Float32Array(dim);
    for (let r = 0; r < features.rows; r++) {
      let best = Number.POSITIVE_INFINITY;
      for (let c = 0; c < p.classes; c++) {
        let norm = 0;
        for (let j = 0; j < dim; j++) {
          v[j] = (features.data[r * dim + j] as number) - (p.means[c * dim + j] as number);
          norm += (v[j] as number) ** 2;
        }
        let proj = 0;
        for (let i = 0; i < p.rank; i++) proj += dot(p.whiten, i * dim, v, 0, dim) ** 2;
        best = Math.min(best, (norm - proj) / p.lambda);
      }
      out[r] = Math.sqrt(Math.max(0, best));
    }
    return out;
  },
  graph(b, p, input) {
    const means = b.addFloats(`${OPEN_SET_PREFIX}means`, p.means, [p.classes, p.dim]);
    const whitenT = b.addFloats(`${OPEN_SET_PREFIX}whiten`, transpose(p.whiten, p.rank, p.dim), [
      p.dim,
      p.rank,
    ]);
    // [batch, 1, dim] - [classes, dim] -> [batch, classes, dim]
    const f3 = b.op(
      'Unsqueeze',
      [input.features, b.addInt64s(`${OPEN_SET_PREFIX}axis1`, [1])],
      'open_set/f3',
    );
    const v = b.op('Sub', [f3, means], 'open_set/centered');
    const n1 = reduceSum(b, b.op('Mul', [v, v], 'open_set/v2'), 2, false, 'open_set/norm');
    const projected = b.op('MatMul', [v, whitenT], 'open_set/project');
    const n2 = reduceSum(
      b,
      b.op('Mul', [projected, projected], 'open_set/p2'),
      2,
      false,
      'open_set/explained',
    );
    const d2 = b.op(
      'Mul',
      [b.op('Sub', [n1, n2], 'open_set/residual'), scalar(b, 'inv_lambda', 1 / p.lambda)],
      'open_set/d2',
    );
    const nearest = rowExtreme(b, d2, false, 'open_set/nearest');
    return b.op(
      'Sqrt',
      [b.op('Max', [nearest, scalar(b, 'zero', 0)], 'open_set/clamp')],
      'open_set/mahalanobis',
    );
  },
};
