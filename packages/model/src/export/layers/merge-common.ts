import type { GraphTensor } from '../graph-builder.js';
import { fromKerasOrder } from '../graph-builder.js';
import { type LayerContext, UnsupportedLayerError } from './types.js';

/**
 * Element-wise merges need every input in the same layout; 4-D inputs are all NCHW already, and
 * a lower-rank input that Keras broadcasts against a 4-D one cannot be expressed safely here.
 */
export function mergeInputs(ctx: LayerContext): GraphTensor[] {
  if (ctx.inputs.length < 2) {
    throw new UnsupportedLayerError(
      ctx.className,
      ctx.name,
      `needs at least two inputs, got ${ctx.inputs.length}`,
    );
  }
  const ranks = new Set(ctx.inputs.map((t) => t.shape.length));
  if (ranks.size > 1) {
    throw new UnsupportedLayerError(
      ctx.className,
      ctx.name,
      `inputs of different ranks (${[...ranks].join(', ')})`,
    );
  }
  return ctx.inputs.map((t, i) => fromKerasOrder(ctx.b, t, `${ctx.name}/in${i}`));
}

/** Folds a variadic Keras merge into a chain of binary ONNX ops. */
export function chain(ctx: LayerContext, opType: string): GraphTensor {
  const inputs = mergeInputs(ctx);
  let acc = (inputs[0] as GraphTensor).name;
  for (let i = 1; i < inputs.length; i++) {
    acc = ctx.b.op(
      opType,
      [acc, (inputs[i] as GraphTensor).name],
      i === inputs.length - 1 ? ctx.name : `${ctx.name}/${i}`,
    );
  }
  return { name: acc, layout: (inputs[0] as GraphTensor).layout, shape: ctx.outputShapes[0] ?? [] };
}
