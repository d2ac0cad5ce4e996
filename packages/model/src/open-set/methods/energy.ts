/** energy: -T · logsumexp(logits / T), the free energy of the head's logits. */
import { OPEN_SET_PREFIX, reduceSum, rowExtreme, scalar } from './graph-ops.js';
import type { LogitParams } from './max-softmax.js';
import type { OpenSetMethodDefinition } from './types.js';

export function energyScores(logits: readonly ArrayLike<number>[], temperature: number): Float64Array {
  return Float64Array.from(logits, (row) => {
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < row.length; i++) max = Math.max(max, (row[i] as number) / temperature);
    let s = 0;
    for (let i = 0; i < row.length; i++) s += Math.exp((row[i] as number) / temperature - max);
    return -temperature * (max + Math.log(s));
  });
}

export const energy: OpenSetMethodDefinition<LogitParams<'energy'>> = {
  fit: (input) => ({
    params: { method: 'energy', dim: input.train.dim, classes: input.classes },
    valScores: energyScores(input.valLogits, input.temperature),
  }),
  score: (_, input) => energyScores(input.logits, input.temperature),
  graph(b, _, input) {
    // logsumexp = m + log(sum(exp(z - m))), m the row max, so no exp overflows.
    const m = rowExtreme(b, input.scaled, true, 'open_set/max');
    const m2 = b.op('Unsqueeze', [m, b.addInt64s(`${OPEN_SET_PREFIX}axis1`, [1])], 'open_set/max2d');
    const e = b.op('Exp', [b.op('Sub', [input.scaled, m2], 'open_set/shift')], 'open_set/exp');
    const lse = b.op(
      'Add',
      [m, b.op('Log', [reduceSum(b, e, 1, false, 'open_set/sum_exp')], 'open_set/log')],
      'open_set/logsumexp',
    );
    return b.op('Mul', [lse, scalar(b, 'minus_temperature', -input.temperature)], 'open_set/energy');
  },
};
