/**
 * The open-set methods, one file each, registered here. A method is its fit, its float64 score
 * and its ONNX subgraph (types.ts); adding one is adding a file and a line below (and its name
 * to core's OPEN_SET_METHODS, which the model spec checks).
 */
import type { OpenSetMethod } from '@ferry/core';
import type { OnnxGraphBuilder } from '../../export/graph-builder.js';
import { type CentroidCosineParams, centroidCosine } from './centroid-cosine.js';
import { energy } from './energy.js';
import { type HybridParams, knnCosineEnergy, knnCosineMaxSoftmax } from './hybrid.js';
import { type KnnCosineParams, knnCosine } from './knn-cosine.js';
import { type MahalanobisParams, mahalanobis } from './mahalanobis.js';
import { type LogitParams, maxSoftmax } from './max-softmax.js';
import type { FeatureMatrix, FitInput, GraphInput, OpenSetMethodDefinition } from './types.js';

export { hybridLogitWeight } from './hybrid.js';
export { evenRows, MAX_KNN_BANK_ROWS } from './knn-cosine.js';
export { normalizeRows } from './math.js';
export type { FeatureMatrix, FitInput, GraphInput, ScoreInput } from './types.js';

/** The fitted parameters of any method, told apart by `method`. */
export type OpenSetParams =
  | KnnCosineParams
  | HybridParams
  | MahalanobisParams
  | CentroidCosineParams
  | LogitParams<'max-softmax'>
  | LogitParams<'energy'>;

/** The parameters whose `method` covers M (the hybrids share one type for both names). */
type ParamsOf<M extends OpenSetMethod> = OpenSetParams extends infer P
  ? P extends { method: infer N }
    ? M extends N
      ? P
      : never
    : never
  : never;

const METHODS: { [M in OpenSetMethod]: OpenSetMethodDefinition<ParamsOf<M>> } = {
  'knn-cosine': knnCosine,
  'knn-cosine+max-softmax': knnCosineMaxSoftmax,
  'knn-cosine+energy': knnCosineEnergy,
  mahalanobis,
  'centroid-cosine': centroidCosine,
  'max-softmax': maxSoftmax,
  energy,
};

/** Default neighbour rank of knn-cosine and the hybrids (see fit.ts DEFAULT_OPEN_SET_METHOD for why). */
export const DEFAULT_KNN_K = 3;

const definition = (method: OpenSetMethod) =>
  METHODS[method] as unknown as OpenSetMethodDefinition<OpenSetParams>;

/** Fits `method`: its parameters and the val photos' scores under them. */
export function fitOpenSetMethod(
  method: OpenSetMethod,
  input: FitInput,
): { params: OpenSetParams; valScores: Float64Array } {
  return definition(method).fit(input);
}

/** Scores for every row of `features` (and its `logits` row, for the baselines). */
export function scoreOpenSet(
  params: OpenSetParams,
  features: FeatureMatrix,
  logits: readonly ArrayLike<number>[],
  temperature = 1,
): Float64Array {
  return definition(params.method).score(params, { features, logits, temperature });
}

/** The method's [batch] score tensor, appended to `b`. */
export function openSetScoreGraph(b: OnnxGraphBuilder, params: OpenSetParams, input: GraphInput): string {
  return definition(params.method).graph(b, params, input);
}
