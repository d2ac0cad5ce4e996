/**
 * What every open-set method provides (one file each in this folder, registered in index.ts):
 * its fit on the training photos' pooled features, its score in float64 TypeScript, and the same
 * score as an ONNX subgraph from standard ops, so every runtime answers "unknown" alike.
 */
import type { OpenSetMethod } from '@ferry/core';
import type { OnnxGraphBuilder } from '../../export/graph-builder.js';

/** Rows of a row-major [n, dim] matrix. */
export interface FeatureMatrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

export interface FitInput {
  /** Pooled features of the training photos (plain eval view). */
  train: FeatureMatrix;
  trainLabels: readonly number[];
  classes: number;
  /** Neighbour rank for the kNN methods. */
  k: number;
  /** The in-distribution val photos, for fits that standardise on them (the hybrids). */
  val: FeatureMatrix;
  valLogits: readonly ArrayLike<number>[];
  temperature: number;
  /** Hybrids: the logit score's weight (default: hybrid.ts hybridLogitWeight). */
  logitWeight?: number;
}

export interface ScoreInput {
  features: FeatureMatrix;
  /** One row per feature row: the baselines score the head's logits. */
  logits: readonly ArrayLike<number>[];
  /** Applied to the logits by max-softmax and energy, as the exported graph does. */
  temperature: number;
}

export interface GraphInput {
  /** Pooled backbone features [batch, dim]. */
  features: string;
  /** Logits divided by the temperature [batch, classes]. */
  scaled: string;
  /** Softmax of `scaled`: the calibrated probabilities output [batch, classes]. */
  probabilities: string;
  temperature: number;
}

export interface OpenSetMethodDefinition<P extends { method: OpenSetMethod }> {
  /** The fitted parameters, and the val photos' scores under them. */
  fit(input: FitInput): { params: P; valScores: Float64Array };
  /** One score per row, higher = less like the training photos. */
  score(params: P, input: ScoreInput): Float64Array;
  /** The same score for a batch, appended to `b`; returns the [batch] tensor's name. */
  graph(b: OnnxGraphBuilder, params: P, input: GraphInput): string;
}
