/**
 * The open-set part of an exported classifier: from the pooled backbone features and the logits
 * the classifier graph already has, two more outputs built from standard ONNX ops only
 * (Gemm, MatMul, Sub, Mul, Div, ReduceSum, TopK, Slice, Sqrt, Exp, Log, Softmax):
 * - `calibrated_probabilities` [batch, classes] = Softmax(logits / temperature);
 * - `ood_score` [batch], the same formula as trainer/src/ood/methods.ts `scoreOpenSet`.
 * Parameters are initializers named `open_set/...`; weight compression keeps them out of int8
 * (see precision/weight-precision.ts) because the score is a distance, not a logit.
 */
import type { OpenSetSpec } from '@ferry/core';
import { hybridParts, hybridScale, type OpenSetParams, type SingleMethod } from '../ood/methods.js';
import { attr, type OnnxGraphBuilder } from './graph-builder.js';

export const OPEN_SET_PREFIX = 'open_set/';

/** ReduceSum over one axis; its `axes` is an input from opset 13 on, Ferry's minimum. */
function reduceSum(b: OnnxGraphBuilder, x: string, axis: number, keepdims: boolean, name: string): string {
  return b.op('ReduceSum', [x, b.addInt64s(`${OPEN_SET_PREFIX}axes`, [axis])], name, [
    attr.int('keepdims', keepdims ? 1 : 0),
  ]);
}

/**
 * Row max (or min) of [batch, n] -> [batch] as TopK(1) + ReduceSum: ReduceMax/ReduceMin moved
 * `axes` from attribute to input at opset 18, and checkers of either era reject the other form,
 * while TopK and ReduceSum read the same at every opset Ferry writes (13..21).
 */
function rowExtreme(b: OnnxGraphBuilder, x: string, largest: boolean, name: string): string {
  const [values] = b.addNode('TopK', [x, b.addInt64s(`${OPEN_SET_PREFIX}one`, [1])], {
    name: `${name}/top1`,
    outputs: 2,
    attributes: [attr.int('axis', 1), attr.int('largest', largest ? 1 : 0), attr.int('sorted', 1)],
  }) as [string, string];
  return reduceSum(b, values, 1, false, name);
}

function scalar(b: OnnxGraphBuilder, base: string, value: number): string {
  return b.addFloats(`${OPEN_SET_PREFIX}${base}`, [value], [1]);
}

/** Transposed copy of a row-major [rows, cols] matrix: MatMul wants [dim, n] on the right. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}

/** f / max(|f|, 1e-12) along the feature axis. */
function l2Normalize(b: OnnxGraphBuilder, f: string): string {
  const sq = b.op('Mul', [f, f], 'open_set/normalize/square');
  const sum = reduceSum(b, sq, 1, true, 'open_set/normalize/sum');
  const norm = b.op('Sqrt', [sum], 'open_set/normalize/sqrt');
  const safe = b.op('Max', [norm, scalar(b, 'eps', 1e-12)], 'open_set/normalize/eps');
  return b.op('Div', [f, safe], 'open_set/normalize');
}

export interface OpenSetGraphInput {
  /** Pooled backbone features [batch, dim]. */
  features: string;
  /** Logits [batch, classes]. */
  logits: string;
  spec: OpenSetSpec;
  params: OpenSetParams;
}

/** Appends both outputs: `spec.probabilitiesOutput` and `spec.scoreOutput`. */
export function addOpenSetOutputs(b: OnnxGraphBuilder, o: OpenSetGraphInput): void {
  const { spec, params } = o;
  const scaled = b.op('Div', [o.logits, scalar(b, 'temperature', spec.temperature)], 'open_set/scale_logits');
  b.addNode('Softmax', [scaled], {
    name: 'open_set/calibrated',
    outputs: [spec.probabilitiesOutput],
    attributes: [attr.int('axis', 1)],
  });
  const parts = hybridParts(params.method);
  let score: string;
  if (!parts) score = singleScore(b, params.method as SingleMethod, o, scaled);
  else {
    if (!params.standardize)
      throw new Error(`open set: ${params.method} parameters lack their standardisation`);
    const [ma, , mb] = params.standardize;
    // (a - ma) + w (sa / sb) (b - mb), as ood/methods.ts scoreOpenSet.
    const a = b.op(
      'Sub',
      [singleScore(b, parts[0], o, scaled), scalar(b, 'feature_mean', ma)],
      'open_set/feature_centered',
    );
    const l = b.op(
      'Sub',
      [singleScore(b, parts[1], o, scaled), scalar(b, 'logit_mean', mb)],
      'open_set/logit_centered',
    );
    const weighted = b.op(
      'Mul',
      [l, scalar(b, 'logit_weight', hybridScale(params))],
      'open_set/logit_weighted',
    );
    score = b.op('Add', [a, weighted], 'open_set/sum');
  }
  b.addNode('Identity', [score], { name: 'open_set/score', outputs: [spec.scoreOutput] });
}

/** One scorer's [batch] score tensor. */
function singleScore(
  b: OnnxGraphBuilder,
  method: SingleMethod,
  o: OpenSetGraphInput,
  scaled: string,
): string {
  const { spec, params } = o;
  const one = () => scalar(b, 'one', 1);
  switch (method) {
    case 'max-softmax':
      return b.op(
        'Sub',
        [one(), rowExtreme(b, spec.probabilitiesOutput, true, 'open_set/top')],
        'open_set/msp',
      );
    case 'energy': {
      // logsumexp = m + log(sum(exp(z - m))), m the row max, so no exp overflows.
      const m = rowExtreme(b, scaled, true, 'open_set/max');
      const m2 = b.op('Unsqueeze', [m, b.addInt64s(`${OPEN_SET_PREFIX}axis1`, [1])], 'open_set/max2d');
      const e = b.op('Exp', [b.op('Sub', [scaled, m2], 'open_set/shift')], 'open_set/exp');
      const lse = b.op(
        'Add',
        [m, b.op('Log', [reduceSum(b, e, 1, false, 'open_set/sum_exp')], 'open_set/log')],
        'open_set/logsumexp',
      );
      return b.op('Mul', [lse, scalar(b, 'minus_temperature', -spec.temperature)], 'open_set/energy');
    }
    case 'knn-cosine': {
      const bank = params.bank as Float32Array;
      const n = bank.length / params.dim;
      const k = params.k ?? 1;
      // Gemm with transB reads the bank as stored, [n, dim]: no transposed copy at export.
      const bankName = b.addFloats(`${OPEN_SET_PREFIX}bank`, bank, [n, params.dim]);
      const sims = b.op('Gemm', [l2Normalize(b, o.features), bankName], 'open_set/similarities', [
        attr.int('transB', 1),
      ]);
      let kth: string;
      if (k === 1) kth = rowExtreme(b, sims, true, 'open_set/nearest');
      else {
        const [values] = b.addNode('TopK', [sims, b.addInt64s(`${OPEN_SET_PREFIX}k`, [k])], {
          name: 'open_set/top_k',
          outputs: 2,
          attributes: [attr.int('axis', 1), attr.int('largest', 1), attr.int('sorted', 1)],
        }) as [string, string];
        const last = b.op(
          'Slice',
          [
            values,
            b.addInt64s(`${OPEN_SET_PREFIX}kth_start`, [k - 1]),
            b.addInt64s(`${OPEN_SET_PREFIX}kth_end`, [k]),
            b.addInt64s(`${OPEN_SET_PREFIX}kth_axis`, [1]),
          ],
          'open_set/kth',
        );
        kth = reduceSum(b, last, 1, false, 'open_set/kth_value');
      }
      return b.op('Sub', [one(), kth], 'open_set/knn');
    }
    case 'centroid-cosine': {
      const centroids = b.addFloats(`${OPEN_SET_PREFIX}centroids`, params.means as Float32Array, [
        params.classes,
        params.dim,
      ]);
      const sims = b.op('Gemm', [l2Normalize(b, o.features), centroids], 'open_set/similarities', [
        attr.int('transB', 1),
      ]);
      return b.op('Sub', [one(), rowExtreme(b, sims, true, 'open_set/nearest')], 'open_set/centroid');
    }
    case 'mahalanobis': {
      const rank = params.rank as number;
      const means = b.addFloats(`${OPEN_SET_PREFIX}means`, params.means as Float32Array, [
        params.classes,
        params.dim,
      ]);
      const whitenT = b.addFloats(
        `${OPEN_SET_PREFIX}whiten`,
        transpose(params.whiten as Float32Array, rank, params.dim),
        [params.dim, rank],
      );
      // [batch, 1, dim] - [classes, dim] -> [batch, classes, dim]
      const f3 = b.op('Unsqueeze', [o.features, b.addInt64s(`${OPEN_SET_PREFIX}axis1`, [1])], 'open_set/f3');
      const v = b.op('Sub', [f3, means], 'open_set/centered');
      const n1 = reduceSum(b, b.op('Mul', [v, v], 'open_set/v2'), 2, false, 'open_set/norm');
      const p = b.op('MatMul', [v, whitenT], 'open_set/project');
      const n2 = reduceSum(b, b.op('Mul', [p, p], 'open_set/p2'), 2, false, 'open_set/explained');
      const d2 = b.op(
        'Mul',
        [b.op('Sub', [n1, n2], 'open_set/residual'), scalar(b, 'inv_lambda', 1 / (params.lambda as number))],
        'open_set/d2',
      );
      const nearest = rowExtreme(b, d2, false, 'open_set/nearest');
      return b.op(
        'Sqrt',
        [b.op('Max', [nearest, scalar(b, 'zero', 0)], 'open_set/clamp')],
        'open_set/mahalanobis',
      );
    }
  }
}
