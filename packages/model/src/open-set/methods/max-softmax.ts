/** max-softmax: one minus the top calibrated probability (the classic baseline). */
import { softmaxWithTemperature } from '@ferry/core';
import { rowExtreme, scalar } from './graph-ops.js';
import type { OpenSetMethodDefinition } from './types.js';

export interface LogitParams<M extends 'max-softmax' | 'energy'> {
  method: M;
  dim: number;
  classes: number;
}

export function maxSoftmaxScores(logits: readonly ArrayLike<number>[], temperature: number): Float64Array {
  return Float64Array.from(logits, (row) => 1 - Math.max(...softmaxWithTemperature(row, temperature)));
}

export const maxSoftmax: OpenSetMethodDefinition<LogitParams<'max-softmax'>> = {
  fit: (input) => ({
    params: { method: 'max-softmax', dim: input.train.dim, classes: input.classes },
    valScores: maxSoftmaxScores(input.valLogits, input.temperature),
  }),
  score: (_, input) => maxSoftmaxScores(input.logits, input.temperature),
  graph: (b, _, input) =>
    b.op(
      'Sub',
      [scalar(b, 'one', 1), rowExtreme(b, input.probabilities, true, 'open_set/top')],
      'open_set/msp',
    ),
};
