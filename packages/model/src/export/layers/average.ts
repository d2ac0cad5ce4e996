import { mergeInputs } from './merge-common.js';
import type { LayerConverter } from './types.js';

export const convertAverage: LayerConverter = (ctx) => {
  const inputs = mergeInputs(ctx);
  const sum = ctx.b.op(
    'Sum',
    inputs.map((t) => t.name),
    `${ctx.name}/sum`,
  );
  const scale = ctx.b.addFloats(`${ctx.name}/n`, [1 / inputs.length], []);
  return [
    {
      name: ctx.b.op('Mul', [sum, scale], ctx.name),
      layout: inputs[0]?.layout ?? 'plain',
      shape: ctx.outputShapes[0] ?? [],
    },
  ];
};
