/**
 * The ONNX pieces the methods' subgraphs share, from standard ops that read the same at every
 * opset Ferry writes (13..21). Parameters are initializers named `open_set/...`; weight
 * compression keeps them out of int8 (precision/weight-precision.ts): a score is a distance, not
 * a logit.
 */
import { attr, type OnnxGraphBuilder } from '../../export/graph-builder.js';

export const OPEN_SET_PREFIX = 'open_set/';

/** ReduceSum over one axis; its `axes` is an input from opset 13 on, Ferry's minimum. */
export function reduceSum(
  b: OnnxGraphBuilder,
  x: string,
  axis: number,
  keepdims: boolean,
  name: string,
): string {
  return b.op('ReduceSum', [x, b.addInt64s(`${OPEN_SET_PREFIX}axes`, [axis])], name, [
    attr.int('keepdims', keepdims ? 1 : 0),
  ]);
}

/**
 * Row max (or min) of [batch, n] -> [batch] as TopK(1) + ReduceSum: ReduceMax/ReduceMin moved
 * `axes` from attribute to input at opset 18, and checkers of either era reject the other form,
 * while TopK and ReduceSum read the same at every opset Ferry writes (13..21).
 */
export function rowExtreme(b: OnnxGraphBuilder, x: string, largest: boolean, name: string): string {
  const [values] = b.addNode('TopK', [x, b.addInt64s(`${OPEN_SET_PREFIX}one`, [1])], {
    name: `${name}/top1`,
    outputs: 2,
    attributes: [attr.int('axis', 1), attr.int('largest', largest ? 1 : 0), attr.int('sorted', 1)],
  }) as [string, string];
  return reduceSum(b, values, 1, false, name);
}

export function scalar(b: OnnxGraphBuilder, base: string, value: number): string {
  return b.addFloats(`${OPEN_SET_PREFIX}${base}`, [value], [1]);
}

/** f / max(|f|, 1e-12) along the feature axis. */
export function l2NormalizeGraph(b: OnnxGraphBuilder, f: string): string {
  const sq = b.op('Mul', [f, f], 'open_set/normalize/square');
  const sum = reduceSum(b, sq, 1, true, 'open_set/normalize/sum');
  const norm = b.op('Sqrt', [sum], 'open_set/normalize/sqrt');
  const safe = b.op('Max', [norm, scalar(b, 'eps', 1e-12)], 'open_set/normalize/eps');
  return b.op('Div', [f, safe], 'open_set/normalize');
}

/** 1 - the row max of unit-length features against unit-length rows [n, dim]: a cosine distance. */
export function nearestCosineDistance(
  b: OnnxGraphBuilder,
  features: string,
  rows: string,
  k: number,
  name: string,
): string {
  // Gemm with transB reads the rows as stored, [n, dim]: no transposed copy at export.
  const sims = b.op('Gemm', [l2NormalizeGraph(b, features), rows], 'open_set/similarities', [
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
  return b.op('Sub', [scalar(b, 'one', 1), kth], name);
}
