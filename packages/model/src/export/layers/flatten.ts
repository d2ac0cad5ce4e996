import { attr, toKerasOrder } from '../graph-builder.js';
import { type LayerConverter, single } from './types.js';

/** Keras flattens in NHWC order, so an NCHW map is transposed back before flattening. */
export const convertFlatten: LayerConverter = (ctx) => {
  const x = toKerasOrder(ctx.b, single(ctx), ctx.name);
  const y = ctx.b.op('Flatten', [x.name], ctx.name, [attr.int('axis', 1)]);
  return [{ name: y, layout: 'plain', shape: ctx.outputShapes[0] ?? [] }];
};
