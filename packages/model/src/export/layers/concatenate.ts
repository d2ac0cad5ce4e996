import { attr, onnxAxis } from '../graph-builder.js';
import { mergeInputs } from './merge-common.js';
import type { LayerConverter } from './types.js';

export const convertConcatenate: LayerConverter = (ctx) => {
  const inputs = mergeInputs(ctx);
  const first = inputs[0] as NonNullable<(typeof inputs)[0]>;
  const axis = onnxAxis(first, Number(ctx.config.axis ?? -1));
  const y = ctx.b.op(
    'Concat',
    inputs.map((t) => t.name),
    ctx.name,
    [attr.int('axis', axis)],
  );
  return [{ name: y, layout: first.layout, shape: ctx.outputShapes[0] ?? [] }];
};
