import { fromKerasOrder, toKerasOrder } from '../graph-builder.js';
import { type LayerConverter, single, UnsupportedLayerError } from './types.js';

/** Reshape works on Keras (NHWC) order; a 4-D result goes back to the graph's NCHW layout. */
export const convertReshape: LayerConverter = (ctx) => {
  const target = ctx.config.targetShape;
  if (!Array.isArray(target))
    throw new UnsupportedLayerError(ctx.className, ctx.name, 'no targetShape', ctx.config);
  const x = toKerasOrder(ctx.b, single(ctx), ctx.name);
  // 0 copies the (dynamic) batch dimension from the input.
  const shape = ctx.b.addInt64s(`${ctx.name}/shape`, [0, ...target.map(Number)]);
  const reshaped = ctx.b.op('Reshape', [x.name, shape], ctx.name);
  return [
    fromKerasOrder(ctx.b, { name: reshaped, layout: 'plain', shape: ctx.outputShapes[0] ?? [] }, ctx.name),
  ];
};
