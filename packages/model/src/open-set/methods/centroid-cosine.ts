/** centroid-cosine: one minus the cosine similarity to the nearest class mean. */
import { attr } from '../../export/graph-builder.js';
import { l2NormalizeGraph, OPEN_SET_PREFIX, rowExtreme, scalar } from './graph-ops.js';
import { classMeans, dot, normalizeFloat64Rows, normalizeRows } from './math.js';
import type { OpenSetMethodDefinition } from './types.js';

export interface CentroidCosineParams {
  method: 'centroid-cosine';
  dim: number;
  classes: number;
  /** L2-normalised class means [classes, dim]. */
  means: Float32Array;
}

export const centroidCosine: OpenSetMethodDefinition<CentroidCosineParams> = {
  fit(input) {
    const { train, trainLabels, classes } = input;
    const means = normalizeFloat64Rows(classMeans(train, trainLabels, classes), classes, train.dim);
    const params: CentroidCosineParams = { method: 'centroid-cosine', dim: train.dim, classes, means };
    return {
      params,
      valScores: centroidCosine.score(params, { features: input.val, logits: [], temperature: 1 }),
    };
  },
  score(p, { features }) {
    const f = normalizeRows(features);
    const out = new Float64Array(features.rows);
    for (let r = 0; r < features.rows; r++) {
      let best = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < p.classes; c++) best = Math.max(best, dot(f, r * p.dim, p.means, c * p.dim, p.dim));
      out[r] = 1 - best;
    }
    return out;
  },
  graph(b, p, input) {
    const centroids = b.addFloats(`${OPEN_SET_PREFIX}centroids`, p.means, [p.classes, p.dim]);
    const sims = b.op('Gemm', [l2NormalizeGraph(b, input.features), centroids], 'open_set/similarities', [
      attr.int('transB', 1),
    ]);
    return b.op(
      'Sub',
      [scalar(b, 'one', 1), rowExtreme(b, sims, true, 'open_set/nearest')],
      'open_set/centroid',
    );
  },
};
